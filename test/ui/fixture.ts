/**
 * A small project for the page tests, with runs written through the run store
 * the way the guard stage writes them: a clean January materialization of the
 * flights example's `airport_hourly` view (the reference), a June window whose
 * delays drifted (warned, with PSI/KS/Wasserstein/JS and per-slice results),
 * and a run blocked by a broken source. Distributions are drawn from a seeded
 * generator shaped like the real flights delays (right-skewed, June later).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defineEntity, defineFeatureService, defineFeatureView, defineSource } from '../../src/definitions/define.js';
import type { FeatureViewDef } from '../../src/definitions/types.js';
import { openProject, type Project } from '../../src/project.js';
import type { CheckResult, Run, RunStatus } from '../../src/runs/types.js';
import { recordAttempt } from '../../src/alerts/attempts.js';
import { pinBaseline } from '../../src/guards/baselines.js';

export const airport = defineEntity({ name: 'airport', description: 'An origin airport (IATA code).', join_keys: [{ name: 'origin', type: 'string' }] });
export const source = defineSource({ name: 'airport_hourly_source', path: 'data/airport_hourly.parquet', timestamp_field: 'hour_end', created_timestamp_field: 'computed_at' });
export const viewV1: FeatureViewDef = defineFeatureView({
  name: 'airport_hourly',
  description: 'Departures and delays at the origin airport over the last complete hour.',
  entities: ['airport'],
  source: 'airport_hourly_source',
  ttl: '6h',
  online: true,
  slices: ['origin'],
  features: [
    { name: 'departures', type: 'int64', min: 0 },
    { name: 'mean_delay', type: 'float64', description: 'Mean delay in minutes' },
    { name: 'share_delayed', type: 'float64', min: 0, max: 1 },
  ],
});
/** The edited definition applied second (ttl and a constraint changed): version 2 of the view. */
export const viewV2: FeatureViewDef = defineFeatureView({
  ...viewV1,
  ttl: '12h',
  features: [
    { name: 'departures', type: 'int64', min: 0 },
    { name: 'mean_delay', type: 'float64', description: 'Mean delay in minutes', max_null_ratio: 0.05 },
    { name: 'share_delayed', type: 'float64', min: 0, max: 1 },
  ],
});
export const service = defineFeatureService({ name: 'delay_model', features: ['airport_hourly'] });

/** Seeded PRNG (mulberry32) and a right-skewed delay sample like the flights data. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
export function delays(n: number, seed: number, shift: number, scale: number): number[] {
  const r = rng(seed);
  return Array.from({ length: n }, () => {
    const u = Math.max(r(), 1e-12);
    return Math.round((-Math.log(u) * scale - 8 + shift) * 100) / 100; // exponential tail, early departures below 0
  });
}

const quantile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];

/** A profile in the guard stage's shape (src/guards/profile-types.ts) for numbers, binned on `edges`. */
export function numericProfile(column: string, values: number[], nulls: number, edges?: number[]) {
  const s = [...values].sort((a, b) => a - b);
  const deciles = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9].map((q) => quantile(s, q));
  const inner = edges ?? deciles;
  const counts = new Array<number>(inner.length + 1).fill(0);
  for (const v of values) counts[inner.filter((e) => v >= e).length]++;
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  const std = Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / values.length);
  return {
    column, type: 'DOUBLE', kind: 'numeric', count: values.length + nulls, nulls, nan: 0, inf: 0, distinct: new Set(values).size,
    min: s[0], max: s[s.length - 1], mean, stddev: std,
    quantiles: { p1: quantile(s, 0.01), p5: quantile(s, 0.05), p25: quantile(s, 0.25), p50: quantile(s, 0.5), p75: quantile(s, 0.75), p95: quantile(s, 0.95), p99: quantile(s, 0.99) },
    histogram: { edges: inner, counts }, deciles, sample: s.slice(0, 10_000), mad: null, outlier_rate: null, outlier_rate_vs_reference: null, top: null,
  };
}

export interface UiFixture {
  readonly project: Project;
  readonly dir: string;
  readonly reference: Run;
  readonly drifted: Run;
  readonly blocked: Run;
  close(): Promise<void>;
}

/** Overwrite a run's start time (the run store stamps `now`; history needs spread-out runs). */
export function setStartedAt(project: Project, id: string, iso: string, finishedIso?: string): void {
  project.state.prepare('UPDATE runs SET started_at = ?, finished_at = ? WHERE id = ?').run(iso, finishedIso ?? iso, id);
}

function finish(project: Project, run: Run, status: RunStatus, results: CheckResult[], message: string | null, rows: number): Run {
  project.runs.addResults(results);
  const counts = { pass: 0, warn: 0, fail: 0, error: 0, skipped: 0 };
  for (const r of results) counts[r.status]++;
  return project.runs.update(run.id, { status, counts, message, rows_in: rows, rows_out: status === 'blocked' ? 0 : rows, finished_at: new Date().toISOString() });
}

const lineage = (window: string, sha: string) => ({
  job: 'materialize:airport_hourly',
  definition_versions: { 'feature_view/airport_hourly': { version: 2, hash: 'a1b2c3d4e5f60718293a4b5c6d7e8f90' }, 'source/airport_hourly_source': { version: 1, hash: '0f1e2d3c4b5a69788796a5b4c3d2e1f0' } },
  inputs: [{ name: 'airport_hourly_source', kind: 'file' as const, uri: 'data/airport_hourly.parquet', fingerprint: { size: 48_213_771, mtime: '2026-11-25T17:40:00.000Z', sha256: sha, window } }],
  output: { kind: 'online', uri: 'sqlite:.featureguard/online.db#airport_hourly' },
  package_version: '0.1.0',
  host: 'ci-runner',
  user: 'featureguard',
});

/**
 * Create the project (two versions of the view applied) and the runs.
 * `extra` lets a test add runs with hostile text (XSS tests).
 */
export async function createUiFixture(opts: { xss?: boolean } = {}): Promise<UiFixture> {
  const dir = mkdtempSync(join(tmpdir(), 'fg-ui-'));
  writeFileSync(join(dir, 'featureguard.yaml'), 'project: flights_ui\ndefinitions: features\n');
  const project = openProject(dir);
  project.registry.apply([airport, source, viewV1, service]);
  project.registry.apply([airport, source, viewV2, service], { allowBreaking: true });

  const jan = delays(12_000, 1, 0, 18);
  const ref = project.runs.create({ kind: 'materialize', view: 'airport_hourly', window_start: '2001-01-01T00:00:00.000Z', window_end: '2001-02-01T00:00:00.000Z' });
  const refProfile = numericProfile('mean_delay', jan, 24);
  project.runs.addProfiles(ref.id, [
    { column: 'mean_delay', profile: refProfile },
    { column: 'mean_delay', slice: 'origin=SEA', profile: numericProfile('mean_delay', jan.slice(0, 2500), 5, refProfile.deciles) },
  ]);
  const reference = finish(project, ref, 'success', [
    { run_id: ref.id, check: 'schema', feature: 'mean_delay', slice: null, status: 'pass', policy: 'block', method: 'type', value: null, thresholds: null, metrics: null, message: 'mean_delay is DOUBLE as declared', details: null },
    { run_id: ref.id, check: 'drift', feature: 'mean_delay', slice: null, status: 'skipped', policy: 'warn', method: null, value: null, thresholds: null, metrics: null, message: 'no earlier successful run and no pinned baseline', details: null },
  ], null, 12_024);
  project.state.prepare("UPDATE runs SET lineage = ? WHERE id = ?").run(JSON.stringify(lineage('2001-01', '9f2c4e0d8a7b6c5d4e3f2a1b0c9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a3b2c1d')), ref.id);
  setStartedAt(project, ref.id, '2026-11-20T06:05:00.000Z', '2026-11-20T06:05:04.200Z');

  const jun = delays(14_000, 2, 9, 26);
  const cur = project.runs.create({ kind: 'materialize', view: 'airport_hourly', window_start: '2001-06-01T00:00:00.000Z', window_end: '2001-07-01T00:00:00.000Z' });
  const curProfile = numericProfile('mean_delay', jun, 1_100, refProfile.deciles);
  const slicesEdges = refProfile.deciles;
  project.runs.addProfiles(cur.id, [
    { column: 'mean_delay', profile: curProfile },
    { column: 'mean_delay', slice: 'origin=SEA', profile: numericProfile('mean_delay', jun.slice(0, 3000), 50, slicesEdges) },
  ]);
  const driftMetrics = { psi: 0.312, ks_statistic: 0.204, ks_pvalue: 1.2e-12, wasserstein_normed: 0.41, js_distance: 0.173, l_inf: null, null_rate_change: 0.0706 };
  const drifted = finish(project, cur, 'warned', [
    { run_id: cur.id, check: 'schema', feature: 'mean_delay', slice: null, status: 'pass', policy: 'block', method: 'type', value: null, thresholds: null, metrics: null, message: 'mean_delay is DOUBLE as declared', details: null },
    { run_id: cur.id, check: 'drift', feature: 'mean_delay', slice: null, status: 'warn', policy: 'warn', method: 'wasserstein', value: 0.41, thresholds: { warn: 0.1 }, metrics: driftMetrics, message: "mean_delay drifted from the previous run (wasserstein_normed 0.41 >= 0.1)", details: { reference: 'previous', reference_run_id: ref.id, n_ref: 12_000, n_cur: 14_000 } },
    { run_id: cur.id, check: 'drift', feature: 'mean_delay', slice: 'origin=SEA', status: 'warn', policy: 'warn', method: 'wasserstein', value: 0.38, thresholds: { warn: 0.1 }, metrics: { ...driftMetrics, psi: 0.28, wasserstein_normed: 0.38 }, message: 'mean_delay drifted in slice origin=SEA (wasserstein_normed 0.38 >= 0.1)', details: { reference: 'previous', reference_run_id: ref.id } },
    { run_id: cur.id, check: 'anomaly', feature: 'mean_delay', slice: null, status: 'warn', policy: 'warn', method: 'null_rate_jump', value: 0.0706, thresholds: { warn: 0.1 }, metrics: null, message: 'null rate of mean_delay rose from 0.2% to 7.3%', details: null },
  ], 'mean_delay drifted from the previous run (wasserstein_normed 0.41 >= 0.1)', 15_100);
  project.state.prepare("UPDATE runs SET lineage = ? WHERE id = ?").run(JSON.stringify(lineage('2001-06', '4d3c2b1a0f9e8d7c6b5a49382716050f4e3d2c1b0a99887766554433221100ff')), cur.id);
  setStartedAt(project, cur.id, '2026-11-21T06:05:00.000Z', '2026-11-21T06:05:05.900Z');

  const blk = project.runs.create({ kind: 'materialize', view: 'airport_hourly', window_start: '2001-06-01T00:00:00.000Z', window_end: '2001-07-01T00:00:00.000Z' });
  const reason = opts.xss
    ? 'schema: <script>alert("xss")</script> column missing'
    : "schema: source airport_hourly_source has no column 'mean_delay' (declared float64)";
  const blocked = finish(project, blk, 'blocked', [
    { run_id: blk.id, check: 'schema', feature: 'mean_delay', slice: null, status: 'fail', policy: 'block', method: 'missing_column', value: null, thresholds: null, metrics: null, message: reason.replace(/^schema: /, ''), details: null },
    { run_id: blk.id, check: 'schema', feature: 'departures', slice: null, status: 'pass', policy: 'block', method: 'type', value: null, thresholds: null, metrics: null, message: 'departures is BIGINT as declared', details: null },
    { run_id: blk.id, check: 'provenance', feature: null, slice: null, status: 'pass', policy: 'warn', method: 'duplicates', value: 0, thresholds: null, metrics: null, message: 'no duplicate (origin, hour_end) rows', details: null },
  ], reason, 15_100);
  setStartedAt(project, blk.id, '2026-11-22T06:05:00.000Z', '2026-11-22T06:05:01.100Z');
  // The alert fired for the blocked run: the first delivery failed, the retry worked.
  recordAttempt(project.state, { run_id: blk.id, alert: 'retrain_hook', url: 'https://hooks.example/retrain', attempt: 1, status_code: 503, ok: false, error: 'Service Unavailable', at: '2026-11-22T06:05:01.200Z', duration_ms: 41.5 });
  recordAttempt(project.state, { run_id: blk.id, alert: 'retrain_hook', url: 'https://hooks.example/retrain', attempt: 2, status_code: 200, ok: true, error: null, at: '2026-11-22T06:05:02.300Z', duration_ms: 18.2 });
  pinBaseline(project, { name: 'train_2001_01', view: 'airport_hourly', fromRun: ref.id });

  return {
    project,
    dir,
    reference: project.runs.get(reference.id),
    drifted: project.runs.get(drifted.id),
    blocked: project.runs.get(blocked.id),
    async close() {
      await project.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
