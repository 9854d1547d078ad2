/**
 * `allowed_lateness` end to end (real DuckDB, SQLite online store, the guards on): a row that lands in the source
 * after the incremental run that covered its event time (created now, in a new file of the source's glob) is
 * materialized by the next incremental run, which re-reads the lateness window; the re-read rows already online
 * are skipped, not written; and no check fails or blocks because of the overlap (the tamper check counts the late
 * row a late arrival, not an edit; the overlap's rows are no duplicates). Without it (the default, as before), the
 * late row is not materialized by later incremental runs (a review finding: "incremental windows miss late rows").
 */
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { defineFeatureView } from '../src/definitions/define.js';
import { literal } from '../src/offline/engine.js';
import { materialize } from '../src/materialize/materialize.js';
import { listIntervals } from '../src/materialize/intervals.js';
import { getOnlineFeatures } from '../src/serving/online-features.js';
import { DEFAULT_SOURCE, guardBench, type GuardBench } from './guards/helpers.js';

let bench: GuardBench | undefined;
afterEach(async () => {
  await bench?.close();
  bench = undefined;
});

/** Hourly rows of three airports over January 2024 (created 5 minutes after each hour), one Parquet file of a glob. */
async function benchWithLateness(allowedLateness?: string): Promise<GuardBench> {
  const b = await guardBench({ sourceGlob: true });
  const set = b.project.registry.current();
  const view = set.views.get('delays')!;
  b.project.registry.apply([...set.entities.values(), ...set.sources.values(), defineFeatureView({ ...view, ...(allowedLateness ? { allowed_lateness: allowedLateness } : {}) })]);
  return b;
}

/** A row of an airport not seen so far, at an event time already materialized, created now: it landed late. */
async function landLateRow(b: GuardBench): Promise<void> {
  await b.conn.run(`COPY (SELECT 'BOS' AS airport, TIMESTAMP '2024-01-19 22:00:00' AS ts, now()::TIMESTAMP AS created, 7.5::DOUBLE AS delay, 'AA' AS carrier)
    TO ${literal(join(b.dir, 'data', 'rows', 'part-1.parquet'))} (FORMAT parquet)`);
}

const bos = async (b: GuardBench) => (await getOnlineFeatures(b.project, { features: ['delays:delay'], entities: { airport: ['BOS'] } })).results[1];
const run = async (b: GuardBench, end: string) => (await materialize(b.project, { views: ['delays'], incremental: true, end }))[0];
const failedChecks = (r: Awaited<ReturnType<typeof run>>) => r.checks.filter((c) => c.status === 'fail' || c.status === 'error').map((c) => `${c.check}.${c.method}: ${c.message}`);

describe('incremental runs with allowed_lateness', () => {
  it('materialize a row that landed after the run covering its event time, with no check failed or blocked', async () => {
    const b = (bench = await benchWithLateness('6h'));
    const first = await run(b, '2024-01-20T00:00:00Z');
    expect([first.status, first.window.start], first.message ?? '').toEqual([expect.stringMatching(/^(success|warned)$/), '2024-01-01T00:00:00.000Z']);
    expect(failedChecks(first)).toEqual([]);
    expect((await bos(b)).statuses).toEqual(['NOT_FOUND']);

    await landLateRow(b);
    const second = await run(b, '2024-01-20T06:00:00Z');
    // The window read starts allowed_lateness before the last end, and the run records it so (`runs show`).
    expect(second.window).toEqual({ start: '2024-01-19T18:00:00.000Z', end: '2024-01-20T06:00:00.000Z' });
    expect([second.run?.window_start, second.run?.window_end]).toEqual(['2024-01-19T18:00:00.000Z', '2024-01-20T06:00:00.000Z']);
    expect(second.status, second.message ?? '').toMatch(/^(success|warned)$/);
    expect(failedChecks(second)).toEqual([]);
    const tamper = second.checks.find((c) => c.method === 'tampering')!;
    expect([tamper.status, tamper.metrics?.partitions_changed]).toEqual(['pass', 0]);
    // The late row's day, 2024-01-19, among them: read again from the source as of when the first run read it.
    expect(tamper.metrics?.partitions_checked).toBeGreaterThan(0);
    expect(second.checks.find((c) => c.method === 'duplicates')?.status).toBe('pass');
    expect((await bos(b)).values).toEqual([7.5]);
    // 13 rows in the 12 hours read (6 re-read, 6 new, BOS): BOS and the airports with newer rows written; none stale.
    expect(second.rowsRead).toBe(13);
    expect(second.entitiesWritten + second.skipped).toBe(4);

    // A run right after re-reads the lateness window: every row already online is skipped, nothing is written.
    const third = await run(b, '2024-01-20T06:00:00Z');
    expect([third.status === 'success' || third.status === 'warned', third.window.start, third.entitiesWritten, third.skipped], third.message ?? '')
      .toEqual([true, '2024-01-20T00:00:00.000Z', 0, 3]);
    expect(failedChecks(third)).toEqual([]);
    // The materialized intervals are the windows read, overlapping; the history stays covered up to the last end.
    expect(listIntervals(b.project.state, 'delays').map((i) => [i.window_start, i.window_end])).toEqual([
      ['2024-01-20T00:00:00.000Z', '2024-01-20T06:00:00.000Z'],
      ['2024-01-19T18:00:00.000Z', '2024-01-20T06:00:00.000Z'],
      ['2024-01-01T00:00:00.000Z', '2024-01-20T00:00:00.000Z'],
    ]);
  });

  // A late row keeps the created time its producer gave it (an hour computed at :05 that lands at :40): one created
  // before the run that missed it read counts as a late arrival while it is within allowed_lateness (the tamper
  // check's landing delay is the longer of provenance.landing_delay and allowed_lateness), not as an edit.
  it('materialize a late row created before the run that missed it read, within allowed_lateness', async () => {
    const b = (bench = await benchWithLateness('6h'));
    const first = await run(b, '2024-01-20T00:00:00Z');
    expect(failedChecks(first)).toEqual([]);
    // Created 20 minutes before now (before the first run read), landed after it.
    await b.conn.run(`COPY (SELECT 'BOS' AS airport, TIMESTAMP '2024-01-19 22:00:00' AS ts, (now() - INTERVAL 20 MINUTE)::TIMESTAMP AS created, 7.5::DOUBLE AS delay, 'AA' AS carrier)
      TO ${literal(join(b.dir, 'data', 'rows', 'part-1.parquet'))} (FORMAT parquet)`);
    const second = await run(b, '2024-01-20T06:00:00Z');
    expect(second.status, second.message ?? '').toMatch(/^(success|warned)$/);
    expect(failedChecks(second)).toEqual([]);
    expect((await bos(b)).values).toEqual([7.5]);
  });

  it('block a recomputed row that replaced the one a run read: an edit of history, even within allowed_lateness', async () => {
    const b = (bench = await benchWithLateness('6h'));
    expect(failedChecks(await run(b, '2024-01-20T00:00:00Z'))).toEqual([]);
    const recomputed = `ts = TIMESTAMP '2024-01-19 23:00:00'`;
    await b.writeSource(`SELECT airport, ts, CASE WHEN ${recomputed} THEN now()::TIMESTAMP ELSE created END AS created,
      CASE WHEN ${recomputed} THEN 99.5 ELSE delay END AS delay, carrier FROM (${DEFAULT_SOURCE})`);
    const second = await run(b, '2024-01-20T00:00:00Z');
    expect(second.status).toBe('blocked');
    expect(failedChecks(second)).toEqual([expect.stringContaining('provenance.tampering: already-materialized history changed in 1 partition(s): 2024-01-19')]);
  });

  // The band allowed_lateness opens (rows a run read that were created within it before the run read) grows with
  // late landings: a row count and sum cannot tell an edit of a band row from a late landing beside it. Each band
  // row's hash is recorded and must still be there.
  it('block an edit of a row read within allowed_lateness of its creation, hidden by a late landing beside it', async () => {
    const b = (bench = await benchWithLateness('6h'));
    const created = literal(new Date(Date.now() - 2 * 3_600_000).toISOString().replace('T', ' ').replace('Z', ''));
    const withBos = (delay: number) => `SELECT * FROM (${DEFAULT_SOURCE}) UNION ALL SELECT 'BOS', TIMESTAMP '2024-01-19 21:00:00', ${created}::TIMESTAMP, ${delay}::DOUBLE, 'AA'`;
    await b.writeSource(withBos(7.5));
    expect(failedChecks(await run(b, '2024-01-20T00:00:00Z'))).toEqual([]);
    // A late landing alone (created an hour ago, landed after that run) is no edit.
    await b.conn.run(`COPY (SELECT 'ORD' AS airport, TIMESTAMP '2024-01-19 22:00:00' AS ts, (now() - INTERVAL 1 HOUR)::TIMESTAMP AS created, 3.5::DOUBLE AS delay, 'AA' AS carrier)
      TO ${literal(join(b.dir, 'data', 'rows', 'part-1.parquet'))} (FORMAT parquet)`);
    const second = await run(b, '2024-01-20T06:00:00Z');
    expect(second.status, second.message ?? '').toMatch(/^(success|warned)$/);
    expect(failedChecks(second)).toEqual([]);
    // The band row recomputed in place (same created time), and another late landing in its day: one row more, another sum.
    await b.writeSource(withBos(99.5));
    await b.conn.run(`COPY (SELECT 'DEN' AS airport, TIMESTAMP '2024-01-19 23:00:00' AS ts, (now() - INTERVAL 1 HOUR)::TIMESTAMP AS created, 4.5::DOUBLE AS delay, 'AA' AS carrier)
      TO ${literal(join(b.dir, 'data', 'rows', 'part-2.parquet'))} (FORMAT parquet)`);
    const third = await run(b, '2024-01-20T06:00:00Z');
    expect(third.status).toBe('blocked');
    expect(failedChecks(third)).toEqual([expect.stringContaining('provenance.tampering: already-materialized history changed in 1 partition(s): 2024-01-19')]);
  });

  it('still block an edit of history older than the lateness window', async () => {
    const b = (bench = await benchWithLateness('6h'));
    expect(failedChecks(await run(b, '2024-01-20T00:00:00Z'))).toEqual([]);
    await b.writeSource(`SELECT airport, ts, created, CASE WHEN ts = TIMESTAMP '2024-01-15 05:00:00' THEN delay + 1 ELSE delay END AS delay, carrier FROM (${DEFAULT_SOURCE})`);
    const second = await run(b, '2024-01-20T06:00:00Z');
    expect(second.status).toBe('blocked');
    expect(failedChecks(second)).toEqual([expect.stringContaining('provenance.tampering: already-materialized history changed in 1 partition(s): 2024-01-15')]);
  });

  it('without it (the default), leave the late row out, as before', async () => {
    const b = (bench = await benchWithLateness());
    const first = await run(b, '2024-01-20T00:00:00Z');
    expect(first.status, first.message ?? '').toMatch(/^(success|warned)$/);
    await landLateRow(b);
    const second = await run(b, '2024-01-20T06:00:00Z');
    expect(second.window).toEqual({ start: '2024-01-20T00:00:00.000Z', end: '2024-01-20T06:00:00.000Z' });
    expect(failedChecks(second)).toEqual([]);
    expect((await bos(b)).statuses).toEqual(['NOT_FOUND']);
    // Right after: nothing to do, as before.
    const third = await run(b, '2024-01-20T06:00:00Z');
    expect([third.status, third.message]).toEqual(['up_to_date', 'nothing to materialize: already materialized up to 2024-01-20T06:00:00.000Z']);
  });
});
