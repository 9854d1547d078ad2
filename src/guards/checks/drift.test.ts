import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DuckDBConnection } from '@duckdb/node-api';
import { openOfflineEngine } from '../../offline/engine.js';
import type { CheckContext } from '../check.js';
import { resolveQuality } from '../config.js';
import { maskProfile } from '../profile-mask.js';
import type { ColumnProfile, ReferenceProfiles } from '../profile-types.js';
import { profileTable } from '../profile.js';
import { poolProfiles } from '../pooled-profile.js';
import { driftCheck } from './drift.js';

let conn: DuckDBConnection;
beforeAll(async () => {
  conn = await (await openOfflineEngine()).connect();
});
afterAll(() => conn.closeSync());

/**
 * 600 rows a minute apart from `start`, each with a timestamp feature `seen_at` that is `ageSql` seconds before the
 * row's event time (SQL over the row number i), and a NULL event time or value now and then.
 */
async function window(name: string, start: string, ageSql: string): Promise<Map<string, ColumnProfile>> {
  await conn.run(`CREATE OR REPLACE TEMP TABLE ${name} AS SELECT
      CASE WHEN i % 97 = 5 THEN NULL ELSE TIMESTAMP '${start}' + INTERVAL (i) MINUTE END AS event_timestamp,
      CASE WHEN i % 89 = 7 THEN NULL ELSE TIMESTAMP '${start}' + INTERVAL (i) MINUTE - to_seconds((${ageSql})::BIGINT) END AS seen_at
    FROM range(600) r(i)`);
  return profileTable(conn, name, { age: { eventTimestamp: 'event_timestamp', columns: ['seen_at'] } });
}

/** Ages of 10 to 70 minutes, spread by a hash of the row (`seed` draws another sample of the same distribution). */
const fresh = (seed: number) => `(600 + hash(i, ${seed}) % 3600)::BIGINT`;

const quality = resolveQuality();
function ctx(reference: ReadonlyMap<string, ColumnProfile>, current: ReadonlyMap<string, ColumnProfile>, description = 'previous', runIds?: string[], q = quality): CheckContext {
  const ref: ReferenceProfiles = { description, runId: runIds?.[0] ?? 'run_ref', ...(runIds ? { runIds } : {}), profiles: reference };
  return {
    run: { id: 'run_cur' }, quality: q, rowCount: 600, reference: ref, profiles: current, sliceProfiles: new Map(),
    features: [{ column: 'seen_at', view: 'v', def: { name: 'seen_at', type: 'timestamp' }, quality: q }],
  } as unknown as CheckContext;
}

const driftOfSeen = async (c: CheckContext) => (await driftCheck(c)).filter((r) => r.feature === 'seen_at');

describe('drift of a timestamp feature: its age (event time − value)', () => {
  it('passes when the ages keep their distribution in a later window, fails when they grow by hours', async () => {
    const jan = await window('age_jan', '2024-01-01', fresh(1));
    const mar = await window('age_mar', '2024-03-01', fresh(2));
    const stalled = await window('age_stalled', '2024-03-01', `${fresh(2)} + 3 * 3600`);
    const [same] = await driftOfSeen(ctx(jan, mar));
    expect([same.status, same.method, same.message]).toEqual(['pass', 'ks', expect.stringMatching(/^seen_at \(age: event time − value\) stable vs the previous materialization \(run run_ref; ks p /)]);
    expect(same.details).toMatchObject({ basis: 'age_seconds', reference: 'run:run_ref', n_ref: 600 - 7 - 7, n_cur: 600 - 7 - 7 });
    expect(same.metrics?.mean_ref).toBeCloseTo(jan.get('seen_at')!.age!.mean!, 9);
    const [grown] = await driftOfSeen(ctx(jan, stalled));
    expect([grown.status, grown.method, grown.message]).toEqual(['fail', 'ks', expect.stringMatching(/^seen_at \(age: event time − value\) drifted from the previous materialization \(run run_ref; p [0-9.e-]+ < 0\.05\)$/)]);
    expect(grown.details).toMatchObject({ basis: 'age_seconds', drifted: true });
    // A mean age 3 hours older.
    expect(grown.metrics!.mean_cur! - grown.metrics!.mean_ref!).toBeCloseTo(3 * 3600, -2);
    // The drift share counts the age as the feature's comparison.
    const [share] = (await driftCheck(ctx(jan, stalled))).filter((r) => r.method === 'drift_share');
    expect(share).toMatchObject({ status: 'fail', metrics: { drifted: 1, compared: 1 } });
  });

  it('future values (negative ages) drift too', async () => {
    const jan = await window('age_jan2', '2024-01-01', fresh(1));
    const future = await window('age_future', '2024-03-01', `-(${fresh(2)})`);
    const [r] = await driftOfSeen(ctx(jan, future));
    expect(r.status).toBe('fail');
    expect(r.metrics!.mean_cur!).toBeLessThan(0);
  });

  it('skips a reference profiled before ages were (an old run, a baseline pinned before), saying so', async () => {
    const jan = await window('age_old', '2024-01-01', fresh(1));
    const mar = await window('age_new', '2024-03-01', fresh(2));
    const { age: _, ...old } = jan.get('seen_at')!;
    const before = new Map([['seen_at', old as ColumnProfile]]);
    const [prev] = await driftOfSeen(ctx(before, mar));
    expect([prev.status, prev.message]).toEqual(['skipped', 'seen_at (age: event time − value): the previous materialization (run run_ref) predates age profiles; the runs profiled from now on have them']);
    const [pinned] = await driftOfSeen(ctx(before, mar, 'baseline:train'));
    expect([pinned.status, pinned.message]).toEqual(['skipped', "seen_at (age: event time − value): baseline 'train' (pinned from run run_ref) predates age profiles; pin it again from a newer run to compare the age"]);
  });

  it('a table without an event time to age against keeps the old skip', async () => {
    await conn.run(`CREATE OR REPLACE TEMP TABLE age_none AS SELECT TIMESTAMP '2024-01-01' + INTERVAL (i) MINUTE AS seen_at FROM range(100) r(i)`);
    const p = await profileTable(conn, 'age_none');
    expect(p.get('seen_at')!.age).toBeUndefined();
    const [r] = await driftOfSeen(ctx(p, p));
    expect([r.status, r.message]).toEqual(['skipped', 'seen_at: drift is not computed for timestamp features without an event time to age them against (TIMESTAMP); its null rate is still checked']);
  });

  it('a masked timestamp (personal data) keeps no ages either: skipped', async () => {
    const jan = await window('age_m1', '2024-01-01', fresh(1));
    const mar = await window('age_m2', '2024-03-01', fresh(2));
    const masked = maskProfile(mar.get('seen_at')!);
    expect(masked.age).toMatchObject({ masked: true, sample: [], quantiles: null, histogram: null, deciles: null, min: null, max: null });
    const [r] = await driftOfSeen(ctx(jan, new Map([['seen_at', masked]])));
    expect([r.status, r.message]).toEqual(['skipped', 'seen_at (age: event time − value): not compared: the column holds personal data, whose profiles keep no values']);
  });

  it('compares against pooled runs (previous:<n>) whose ages are pooled', async () => {
    const days = await Promise.all([1, 2, 3].map((d) => window(`age_pool${d}`, `2024-01-0${d}`, fresh(d))));
    const pooled = poolProfiles(days.map((d) => d.get('seen_at')!));
    expect(pooled.age).toMatchObject({ kind: 'numeric', count: 1800, sample: expect.any(Array) });
    expect(pooled.age!.sample).toHaveLength(3 * (600 - 14));
    const stalled = await window('age_pool_stalled', '2024-03-01', `${fresh(9)} + 2 * 3600`);
    const [r] = await driftOfSeen(ctx(new Map([['seen_at', pooled]]), stalled, 'previous:3'));
    expect([r.status, r.message]).toEqual(['fail', expect.stringMatching(/^seen_at \(age: event time − value\) drifted from the previous 3 materializations \(newest run run_ref; /)]);
  });

  it('right after the upgrade (previous:3, some runs without ages): pools the runs with ages when they hold min_rows values, else says how many predate', async () => {
    const days = await Promise.all([1, 2, 3].map((d) => window(`age_up${d}`, `2024-01-0${d}`, fresh(d))));
    const old = (p: ColumnProfile): ColumnProfile => {
      const { age: _, ...rest } = p;
      return rest;
    };
    const [newest, older, oldest] = days.map((d) => d.get('seen_at')!);
    const runIds = ['run_3', 'run_2', 'run_1'];
    const stalled = await window('age_up_stalled', '2024-03-01', `${fresh(9)} + 2 * 3600`);
    const steady = await window('age_up_steady', '2024-03-01', fresh(9));

    // Only the newest run has ages (586 values >= min_rows 30): compared with its ages alone, a stall is seen.
    const oneAged = poolProfiles([newest, old(older), old(oldest)]);
    expect(oneAged.age).toEqual(newest.age);
    const [fail] = await driftOfSeen(ctx(new Map([['seen_at', oneAged]]), stalled, 'previous:3', runIds));
    expect([fail.status, fail.message]).toEqual(['fail', expect.stringMatching(/^seen_at \(age: event time − value\) drifted from the 1 of the previous 3 materializations with age profiles \(newest run run_3; p [0-9.e-]+ < 0\.05\)$/)]);
    expect(fail.details).toMatchObject({ basis: 'age_seconds', reference: 'previous:3', reference_run_ids: runIds, reference_age_runs: 1, reference_age_run_ids: ['run_3'], n_ref: 600 - 14 });
    const [pass] = await driftOfSeen(ctx(new Map([['seen_at', oneAged]]), steady, 'previous:3', runIds));
    expect([pass.status, pass.message]).toEqual(['pass', expect.stringMatching(/^seen_at \(age: event time − value\) stable vs the 1 of the previous 3 materializations with age profiles \(newest run run_3; /)]);

    // Two with ages: pooled as the reference of those two runs alone would be.
    const twoAged = poolProfiles([newest, older, old(oldest)]);
    expect(twoAged.age).toEqual(poolProfiles([newest, older]).age);
    const [two] = await driftOfSeen(ctx(new Map([['seen_at', twoAged]]), stalled, 'previous:3', runIds));
    expect([two.status, two.details]).toEqual(['fail', expect.objectContaining({ reference_age_runs: 2, reference_age_run_ids: ['run_3', 'run_2'], n_ref: 2 * (600 - 14) })]);

    // Fewer age values than min_rows: skipped, saying exactly how many runs predate age profiles.
    const strict = resolveQuality({ drift: { min_rows: 1000 } });
    const [few] = await driftOfSeen(ctx(new Map([['seen_at', oneAged]]), stalled, 'previous:3', runIds, strict));
    expect([few.status, few.message]).toEqual(['skipped', 'seen_at (age: event time − value): 2 of the previous 3 materializations (newest run run_3) predate age profiles, and the 1 that has them holds 586 age value(s) < min_rows 1000; the runs profiled from now on have them']);
    expect(few.details).toMatchObject({ reference_age_runs: 1, reference_age_run_ids: ['run_3'] });

    // None with ages: as before.
    const noneAged = poolProfiles([old(newest), old(older), old(oldest)]);
    expect(noneAged.age).toBeUndefined();
    const [none] = await driftOfSeen(ctx(new Map([['seen_at', noneAged]]), stalled, 'previous:3', runIds));
    expect([none.status, none.message]).toEqual(['skipped', 'seen_at (age: event time − value): the previous 3 materializations (newest run run_3) predate age profiles; the runs profiled from now on have them']);
  });
});

describe('why a drift record is skipped: a code in details.reason', () => {
  /** A numeric feature `x` of `n` rows, one in `nullEvery` NULL (0: none). */
  async function numeric(name: string, n: number, nullEvery = 0): Promise<Map<string, ColumnProfile>> {
    await conn.run(`CREATE OR REPLACE TEMP TABLE ${name} AS SELECT CASE WHEN ${nullEvery} > 0 AND i % ${nullEvery} = 0 THEN NULL ELSE (i % 37)::DOUBLE END AS x FROM range(${n}) r(i)`);
    return profileTable(conn, name);
  }
  function numCtx(reference: ReadonlyMap<string, ColumnProfile> | null, current: ReadonlyMap<string, ColumnProfile>, rowCount = 600): CheckContext {
    return {
      run: { id: 'run_cur' }, quality, rowCount, profiles: current, sliceProfiles: new Map(),
      reference: reference ? { description: 'previous', runId: 'run_ref', profiles: reference } : undefined,
      features: [{ column: 'x', view: 'v', def: { name: 'x', type: 'float64' }, quality }],
    } as unknown as CheckContext;
  }
  const why = async (c: CheckContext) => (await driftCheck(c)).map((r) => [r.feature, r.status, (r.details as { reason?: string } | null)?.reason ?? null]);

  it('names too few values (current or reference), no reference, no rows, a missing feature; a comparison has none', async () => {
    const big = await numeric('n_big', 600);
    const small = await numeric('n_small', 5);
    expect(await why(numCtx(big, small))).toEqual([['x', 'skipped', 'min_rows']]);
    // The reference's values too few: the same code (the message says whose).
    const [ref] = await driftCheck(numCtx(small, big));
    expect([ref.message, (ref.details as { reason: string; reference: string })]).toEqual([
      'x: 5 value(s) in the previous materialization (run run_ref) < min_rows 30, too few to compare', expect.objectContaining({ reason: 'min_rows', reference: 'run:run_ref' }),
    ]);
    expect(await why(numCtx(null, big))).toEqual([[null, 'skipped', 'no_reference']]);
    expect(await why(numCtx(big, big, 0))).toEqual([[null, 'skipped', 'no_rows']]);
    expect(await why(numCtx(new Map(), big))).toEqual([['x', 'skipped', 'missing']]);
    const compared = await why(numCtx(big, await numeric('n_big2', 600)));
    expect(compared).toEqual([['x', 'pass', null], [null, 'pass', null]]);
  });
});
