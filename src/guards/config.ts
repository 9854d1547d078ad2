/**
 * Quality policy configuration: project defaults in `featureguard.yaml`
 * (`quality:`), overridden per view / service (`quality:` on the definition) and
 * per feature. Every family has a `policy` (`block`, `warn`, `off`) and
 * thresholds with the defaults of QUALITY-CHECKS.md. Families with sub-checks
 * whose default policy differs from the family's (provenance: tampering and
 * future timestamps; leakage: temporal and PII) carry sub-policies.
 *
 * @example
 * const q = resolveQuality(project.config.quality, view.quality, feature.quality);
 * q.drift.policy; // 'warn'
 * subPolicy(q, 'provenance', 'tampering'); // 'block'
 */
import { storedDuration } from '../definitions/ttl.js';

export type Policy = 'block' | 'warn' | 'off';

export interface SchemaQuality {
  policy: Policy;
  /** Allow declared `int32`/`int64` features to be read from any integer column that fits (`true`) or only exact widths. */
  lenient_integers: boolean;
}

export interface ProvenanceQuality {
  /** Policy of duplicates, created < event and fingerprint problems. */
  policy: Policy;
  /** Policy of changed checksums of already-materialized history (tamper detection). */
  tampering: Policy;
  /** Policy of event timestamps later than now + max_clock_skew. */
  future_timestamps: Policy;
  /** Days of already-materialized history re-checked by each run. */
  recheck_days: number;
  /** Allowed clock skew, a duration (`5m`). */
  max_clock_skew: string;
  /**
   * How long after its created timestamp a row may still land in the source (a duration, `15m`): tamper detection
   * counts a row created that long before a run read its day as a late arrival, not an edit. Sources with
   * created timestamps only.
   */
  landing_delay: string;
  /** Files larger than this (bytes) are fingerprinted by size, mtime and first/last MiB. */
  full_hash_max_bytes: number;
  /** Windows up to this many rows count duplicates exactly; larger ones count them on 1/16 of the key space and scale up. */
  exact_duplicates_max_rows: number;
}

export interface ClassImbalanceQuality {
  policy: Policy;
  /** Warn when max count / min count exceeds this. */
  max_imbalance_ratio: number;
  /** Fail when the minority class has fewer rows. */
  min_class_count: number;
  /** Bin edges for numeric labels (else numeric labels are skipped). */
  bins: number[] | null;
  /** Dataset builds: fail a part (whole set, train or test) whose share of labelled rows is below this. */
  min_labelled_share: number;
}

export interface LeakageQuality {
  /** Policy of target leakage and train/test overlap. */
  policy: Policy;
  /** Policy of temporal leakage (feature event_ts after the entity timestamp). */
  temporal: Policy;
  /** Policy of undeclared PII in string features. */
  pii: Policy;
  target_warn: number;
  target_fail: number;
  /** Rows sampled for target leakage. */
  sample_rows: number;
  /** Categorical feature with distinct/rows above this is reported as identifier-like. */
  identifier_ratio: number;
  /** Non-null values sampled per string column for PII. */
  pii_sample: number;
  /** Share of sampled values that must match for a column to be PII. */
  pii_min_share: number;
}

export interface DriftQuality {
  policy: Policy;
  /** `previous` (last successful run), `previous:<n>` (last n runs pooled) or `baseline:<name>`. A pinned baseline for the view/service wins over `previous`. */
  reference: string;
  /** Method: `auto` follows Evidently's choice table; else one of psi, ks, wasserstein, jensenshannon, chisquare, z. */
  method: 'auto' | 'psi' | 'ks' | 'wasserstein' | 'jensenshannon' | 'chisquare' | 'z';
  psi_warn: number;
  psi_fail: number;
  /** p-value threshold of statistical tests (drift when p < this). */
  p_value: number;
  /** Distance threshold of normed Wasserstein and Jensen–Shannon (drift when >=). */
  distance: number;
  /** Share of drifted features at which a service is drifted. */
  drift_share: number;
  /** Slices per slice column (largest by count). */
  max_slices: number;
  /** Minimum rows of a slice (in reference and current) to be compared. */
  min_slice_rows: number;
  /** Minimum non-null current values of a feature to be compared at all (tiny pushes are skipped, or pooled). */
  min_rows: number;
  /**
   * Judge a push of fewer than `min_rows` rows on a pool of the view's recent small pushes (push-pool.ts): `null`
   * (the default) pools them under `policy: block` only, where a stream sent one row at a time would otherwise slip
   * past what a batch is refused for; under `warn` a pool of a stream's latest rows, judged against a reference of
   * whole days, warns on most pushes of a real stream, so it is asked for (`true`) rather than given.
   */
  pool_pushes: boolean | null;
}

export interface AnomalyQuality {
  policy: Policy;
  /** Robust z of log(row count) above which the volume warns. */
  volume_z: number;
  /** Successful runs of the view used as volume history. */
  volume_history: number;
  /** An empty window passes instead of failing. */
  allow_empty: boolean;
  /** Fail when now − max(event_ts) exceeds this duration (`null`: no freshness check). */
  max_staleness: string | null;
  /** Robust z above which a value is an outlier. */
  outlier_z: number;
  /** Warn when the outlier rate exceeds this multiple of the reference's rate... */
  outlier_factor: number;
  /** ...and this absolute rate. */
  outlier_min_rate: number;
  /** Warn when null_rate − null_rate_ref exceeds this. */
  null_rate_jump: number;
}

/** Fully resolved quality settings (every field present). */
export interface ResolvedQuality {
  schema: SchemaQuality;
  provenance: ProvenanceQuality;
  class_imbalance: ClassImbalanceQuality;
  leakage: LeakageQuality;
  drift: DriftQuality;
  anomaly: AnomalyQuality;
}

export type QualityFamily = keyof ResolvedQuality;
export const QUALITY_FAMILIES: readonly QualityFamily[] = ['schema', 'provenance', 'class_imbalance', 'leakage', 'drift', 'anomaly'];

/**
 * Quality config as written in YAML/JSON (every field optional), at project,
 * view, service or feature level. A family may also be given as a bare policy
 * string (`drift: off`).
 */
export type QualityConfig = {
  readonly [F in QualityFamily]?: Policy | Readonly<Partial<ResolvedQuality[F]>>;
};

/** The defaults of QUALITY-CHECKS.md. */
export const DEFAULT_QUALITY: ResolvedQuality = Object.freeze({
  schema: { policy: 'block', lenient_integers: true },
  provenance: {
    policy: 'warn',
    tampering: 'block',
    future_timestamps: 'block',
    recheck_days: 7,
    max_clock_skew: '5m',
    landing_delay: '15m',
    full_hash_max_bytes: 256 * 1024 * 1024,
    exact_duplicates_max_rows: 1_000_000,
  },
  class_imbalance: { policy: 'warn', max_imbalance_ratio: 10, min_class_count: 30, bins: null, min_labelled_share: 0.5 },
  leakage: {
    policy: 'warn',
    temporal: 'block',
    pii: 'block',
    target_warn: 0.9,
    target_fail: 0.98,
    sample_rows: 50_000,
    identifier_ratio: 0.9,
    pii_sample: 10_000,
    pii_min_share: 0.01,
  },
  drift: {
    policy: 'warn',
    reference: 'previous',
    method: 'auto',
    psi_warn: 0.1,
    psi_fail: 0.25,
    p_value: 0.05,
    distance: 0.1,
    drift_share: 0.5,
    max_slices: 20,
    min_slice_rows: 30,
    min_rows: 30,
    pool_pushes: null,
  },
  anomaly: {
    policy: 'warn',
    volume_z: 3.5,
    volume_history: 10,
    allow_empty: false,
    max_staleness: null,
    outlier_z: 5,
    outlier_factor: 3,
    outlier_min_rate: 0.01,
    null_rate_jump: 0.1,
  },
}) as ResolvedQuality;

/** Sub-checks carrying their own policy, per family. */
export const SUB_POLICIES = {
  provenance: ['tampering', 'future_timestamps'],
  leakage: ['temporal', 'pii'],
} as const;

type Layer = QualityConfig | undefined | null;

function mergeFamily<F extends QualityFamily>(base: ResolvedQuality[F], over: QualityConfig[F] | undefined): ResolvedQuality[F] {
  if (over === undefined || over === null) return base;
  if (typeof over === 'string') {
    // A bare policy sets the family policy; `off` also switches every sub-check off (see subPolicy).
    return { ...base, policy: over } as ResolvedQuality[F];
  }
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) if (v !== undefined) out[k] = v;
  return out as unknown as ResolvedQuality[F];
}

/**
 * Merge quality layers: defaults ← project ← view/service ← feature. Later
 * layers win field by field.
 */
export function resolveQuality(project?: Layer, view?: Layer, feature?: Layer): ResolvedQuality {
  let q: ResolvedQuality = structuredClone(DEFAULT_QUALITY);
  for (const layer of [project, view, feature]) {
    if (!layer) continue;
    const next = { ...q } as Record<QualityFamily, unknown>;
    for (const f of QUALITY_FAMILIES) next[f] = mergeFamily(q[f] as never, layer[f] as never);
    q = next as unknown as ResolvedQuality;
  }
  return q;
}

/**
 * Effective policy of a sub-check: `off` when the family is off, else the
 * sub-policy (default `block` for tampering, future timestamps, temporal
 * leakage and PII), else the family policy.
 */
export function subPolicy(q: ResolvedQuality, family: QualityFamily, sub?: string): Policy {
  const fam = q[family] as unknown as Record<string, unknown>;
  const policy = fam.policy as Policy;
  if (policy === 'off' || sub === undefined) return policy;
  const s = fam[sub];
  return s === 'block' || s === 'warn' || s === 'off' ? s : policy;
}

/** A duration setting in milliseconds (`'5m'` → 300000). */
export function durationMs(value: string | null): number | null {
  return value === null ? null : storedDuration(value);
}
