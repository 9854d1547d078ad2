/**
 * Drift check (default policy warn): every feature against the reference
 * (pinned baseline, last successful run, or earlier pushes pooled), per slice when the view declares
 * `slices`, and the share of drifted features (`drift_share`) for the view or
 * service as a whole. A timestamp feature is compared on its age at the row's
 * time (event time − value, profile-age.ts), as a number.
 */
import type { CheckResult } from '../../runs/types.js';
import { judgedProfile, result, type Check, type CheckContext, type CheckedFeature } from '../check.js';
import { poolDetails, poolNote } from '../push-pool.js';
import { valueCount, type ColumnProfile } from '../profile-types.js';
import { driftOf } from './drift-methods.js';
import { comparable } from '../profile-mask.js';
import { pooledAgeOf } from '../pooled-profile.js';
import { named, referenceDetails, referenceName, type ReferenceName } from './reference-label.js';

function round(x: number | null): string {
  return x === null || !Number.isFinite(x) ? String(x) : Number(x.toPrecision(3)).toString();
}

/**
 * Why a drift record is `skipped`, as a code in its `details.reason` (its message words it for people and may change;
 * readers such as the history page go by the code): `no_reference` (nothing to compare with yet), `no_rows`, `missing`
 * (the feature is not in the current rows or the reference), `no_event_time` (a timestamp feature without event times
 * to age it against), `reference_predates_ages`, `pii` (a personal-data column keeps no values), `min_rows` (too few
 * values to compare, in the current rows, the reference or the sample), `not_computed` (list and struct features),
 * `not_comparable`; for a slice, `no_slice_reference` and `min_slice_rows`.
 */
export type DriftSkipReason =
  | 'no_reference' | 'no_rows' | 'missing' | 'no_event_time' | 'reference_predates_ages' | 'pii' | 'min_rows' | 'not_computed' | 'not_comparable'
  | 'no_slice_reference' | 'min_slice_rows';

/** How messages name a timestamp feature compared on its age. */
const AGE_LABEL = '(age: event time − value)';

function featureRecord(ctx: CheckContext, f: CheckedFeature, ref: ColumnProfile | undefined, cur: ColumnProfile | undefined, slice: string | null): CheckResult {
  const reference = ctx.reference!;
  // A small push judged on its pool says so (slices are not pooled).
  const pool = slice === null ? ctx.pool : null;
  const bare = `${f.column}${slice ? ` [${slice}]` : ''}`;
  const who = `${bare}${poolNote(pool)}`;
  const base = { check: 'drift' as const, feature: f.column, slice };
  const refDetails = { ...referenceDetails(ctx, reference), ...poolDetails(pool) };
  const refName = referenceName(ctx, reference);
  const skip = (reason: DriftSkipReason, message: string, details: Record<string, unknown> = refDetails) => result(ctx, { ...base, status: 'skipped', message, details: { ...details, reason } });
  if (!ref || !cur) return skip('missing', `${who}: not in ${ref ? 'the current rows' : named(refName)}`);
  if (ref.kind === 'timestamp' && cur.kind === 'timestamp') {
    // A timestamp's values only move on from window to window: what is compared is its age at the row's time.
    const aged = `${bare} ${AGE_LABEL}${poolNote(pool)}`;
    const ageDetails = { ...refDetails, basis: 'age_seconds' };
    if (!cur.age) return skip('no_event_time', `${who}: drift is not computed for timestamp features without an event time to age them against (${cur.type}); its null rate is still checked`);
    const next = reference.description.startsWith('baseline:') ? 'pin it again from a newer run to compare the age' : 'the runs profiled from now on have them';
    const partial = pooledAgeOf(ref);
    if (!ref.age) {
      // Profiles stored before ages were profiled: the one run, or every run pooled.
      const predates = (reference.runIds?.length ?? 1) > 1 ? 'predate' : 'predates';
      return skip('reference_predates_ages', `${aged}: ${named(refName)} ${predates} age profiles; ${next}`, ageDetails);
    }
    if (ref.masked || cur.masked || ref.age.masked || cur.age.masked) return skip('pii', `${aged}: not compared: the column holds personal data, whose profiles keep no values`, ageDetails);
    if (partial) {
      // A pool (`previous:<n>`) right after the upgrade: the runs with ages are compared when they hold enough values.
      const ids = reference.runIds?.length === partial.of ? reference.runIds : undefined;
      const pooledDetails = { ...ageDetails, reference_age_runs: partial.withAge.length, ...(ids ? { reference_age_run_ids: partial.withAge.map((i) => ids[i]) } : {}) };
      const without = partial.of - partial.withAge.length;
      const values = valueCount(ref.age);
      const min = f.quality.drift.min_rows;
      if (values < min) {
        const has = partial.withAge.length === 1 ? 'the 1 that has them holds' : `the ${partial.withAge.length} that have them hold`;
        return skip('min_rows', `${aged}: ${without} of ${named(refName)} ${without === 1 ? 'predates' : 'predate'} age profiles, and ${has} ${values} age value(s) < min_rows ${min}; ${next}`, pooledDetails);
      }
      return compared(ctx, f, ref.age, cur.age, { base, who: aged, refDetails: pooledDetails, label: { ...refName, name: `the ${partial.withAge.length} of ${refName.name} with age profiles` } });
    }
    return compared(ctx, f, ref.age, cur.age, { base, who: aged, refDetails: ageDetails });
  }
  return compared(ctx, f, ref, cur, { base, who, refDetails });
}

/** The drift record of two profiles of one feature (`who` names it in messages). */
function compared(
  ctx: CheckContext, f: CheckedFeature, ref: ColumnProfile, cur: ColumnProfile,
  { base, who, refDetails, label: given }: { base: { check: 'drift'; feature: string; slice: string | null }; who: string; refDetails: Record<string, unknown>; label?: ReferenceName },
): CheckResult {
  // The reference named with its run and window (the comparison goes in the same parenthesis).
  const label = given ?? referenceName(ctx, ctx.reference!);
  const q = f.quality.drift;
  const skip = (reason: DriftSkipReason, message: string) => result(ctx, { ...base, status: 'skipped', message, details: { ...refDetails, reason } });
  const curValues = valueCount(cur);
  if (curValues < q.min_rows) {
    return skip('min_rows', `${who}: ${curValues} value(s) < min_rows ${q.min_rows}, too few to compare`);
  }
  const refValues = valueCount(ref);
  if (refValues < q.min_rows) {
    return skip('min_rows', `${who}: ${refValues} value(s) in ${named(label)} < min_rows ${q.min_rows}, too few to compare`);
  }
  if (ref.kind === 'numeric' && cur.kind === 'numeric' && Math.min(ref.sample.length, cur.sample.length) < q.min_rows) {
    // Mostly-null columns: the row sample holds too few values for KS, Wasserstein or PSI to mean anything.
    return skip('min_rows', `${who}: only ${Math.min(ref.sample.length, cur.sample.length)} sampled value(s) (< min_rows ${q.min_rows}), too few to compare`);
  }
  if (ref.kind === cur.kind && cur.kind === 'other') {
    // Profiles of lists and structs keep no values to compare: no drift method applies, which is not a mismatch.
    return skip('not_computed', `${who}: drift is not computed for list or struct features (${cur.type}); its null rate is still checked`);
  }
  const [r, c] = comparable(ref, cur);
  const d = driftOf(r, c, q);
  if (!d) return skip('not_comparable', `${who}: not comparable (${ref.kind === cur.kind ? 'no values' : `${ref.kind} ${ref.type} in the reference, ${cur.kind} ${cur.type} now`})`);
  if (!Number.isFinite(d.value)) {
    // A metric that could not be computed is an error, never a silent pass.
    return result(ctx, { ...base, status: 'error', method: d.method, metrics: d.metrics, message: `${who}: the ${d.method} drift metric could not be computed (${d.value})`, details: { ...refDetails, n_ref: d.nRef, n_cur: d.nCur } });
  }
  // The reference named with its run and window, the comparison in the same parenthesis.
  const pValued = d.method === 'ks' || d.method === 'chisquare' || d.method === 'z';
  const cmp = pValued ? `p ${round(d.value)} < ${q.p_value}` : `${d.method} ${round(d.value)} >= ${d.thresholds[d.method] ?? d.thresholds.fail}`;
  const message = d.driftedBy === 'method'
    ? `${who} drifted from ${named(label, cmp)}`
    : d.driftedBy === 'psi'
      ? `${who} drifted from ${named(label, `psi ${round(d.metrics.psi)} >= ${q.psi_fail}`)}`
      : d.status === 'warn'
        ? `${who} shifted from ${named(label, `psi ${round(d.metrics.psi)} >= ${q.psi_warn}`)}`
        : `${who} stable vs ${named(label, `${d.method} ${pValued ? 'p ' : ''}${round(d.value)}, psi ${round(d.metrics.psi)}`)}`;
  return result(ctx, {
    ...base, status: d.status, method: d.method, value: Number.isFinite(d.value) ? d.value : null, thresholds: d.thresholds, metrics: d.metrics, message,
    details: { ...refDetails, n_ref: d.nRef, n_cur: d.nCur, drifted: d.drifted, drifted_by: d.driftedBy, histogram: d.histogram, categories: d.categories, ...(r.masked ? { masked: true } : {}) },
  });
}

export const driftCheck: Check = async (ctx) => {
  if (ctx.referenceProblem) return [result(ctx, { check: 'drift', status: 'error', message: ctx.referenceProblem })];
  if (!ctx.reference) return [result(ctx, { check: 'drift', status: 'skipped', message: `no reference yet: ${ctx.referenceReason || 'no pinned baseline and no earlier successful run'}`, details: { reason: 'no_reference' } })];
  if (ctx.rowCount === 0) return [result(ctx, { check: 'drift', status: 'skipped', message: 'no rows to compare', details: { reason: 'no_rows' } })];
  const out: CheckResult[] = [];
  const perFeature = ctx.features.filter((f) => f.quality.drift.policy !== 'off').map((f) => featureRecord(ctx, f, ctx.reference!.profiles.get(f.column), judgedProfile(ctx, f.column), null));
  out.push(...perFeature);

  const compared = perFeature.filter((r) => r.status !== 'skipped');
  if (compared.length > 0) {
    const drifted = compared.filter((r) => (r.details as { drifted?: boolean }).drifted);
    const share = drifted.length / compared.length;
    const target = ctx.service ? `service ${ctx.service.name}` : ctx.view ? `view ${ctx.view.name}` : 'dataset';
    out.push(result(ctx, {
      check: 'drift', method: 'drift_share', status: share >= ctx.quality.drift.drift_share ? 'fail' : 'pass', value: share,
      thresholds: { drift_share: ctx.quality.drift.drift_share },
      metrics: { drifted: drifted.length, compared: compared.length },
      message: `${drifted.length} of ${compared.length} feature(s) drifted from ${named(referenceName(ctx, ctx.reference), `share ${round(share)}`)}${share >= ctx.quality.drift.drift_share ? `: ${target} is drifted` : ''}`,
      details: { ...referenceDetails(ctx, ctx.reference), drifted_features: drifted.map((r) => r.feature) },
    }));
  }

  for (const [sliceCol, byValue] of ctx.sliceProfiles) {
    const refSlices = ctx.reference.slices?.get(sliceCol);
    for (const [value, profiles] of byValue) {
      const slice = `${sliceCol}=${value}`;
      const refProfiles = refSlices?.get(value);
      if (!refProfiles) {
        out.push(result(ctx, { check: 'drift', slice, status: 'skipped', message: `slice ${slice} has no reference profile`, details: { reason: 'no_slice_reference' } }));
        continue;
      }
      for (const f of ctx.features) {
        // Within a slice the slice column is one value: nothing to compare.
        if (f.quality.drift.policy === 'off' || f.column === sliceCol) continue;
        const ref = refProfiles.get(f.column);
        const cur = profiles.get(f.column);
        const min = f.quality.drift.min_slice_rows;
        if (ref && cur && (ref.count < min || cur.count < min)) {
          out.push(result(ctx, { check: 'drift', feature: f.column, slice, status: 'skipped', message: `slice ${slice} too small (${ref.count} / ${cur.count} rows < ${min})`, details: { reason: 'min_slice_rows' } }));
          continue;
        }
        out.push(featureRecord(ctx, f, ref, cur, slice));
      }
    }
  }
  return out;
};
