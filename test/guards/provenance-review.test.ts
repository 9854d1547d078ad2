/**
 * Provenance on real runs, as a review of the guards found them wrong: the fingerprint record lists the run's
 * lineage inputs on materializations and dataset builds (not only on `check` runs); the tamper check re-checks the
 * recorded history before a window however long the schedule paused, and says `skipped` (not `pass`) when there is
 * none; a source column retyped with equal values is no edit of history (the schema check reports the type), while
 * an edit after it still is; and its value, metrics and message count the same unit (days).
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { materialize } from '../../src/materialize/materialize.js';
import { getHistoricalFeatures } from '../../src/offline/historical.js';
import type { GuardStageResult } from '../../src/guards/stage.js';
import { DEFAULT_SOURCE, guardBench, pick, type GuardBench } from './helpers.js';

let bench: GuardBench | undefined;
afterEach(async () => {
  await bench?.close();
  bench = undefined;
});

const tampering = (g: GuardStageResult) => pick(g, 'provenance', 'tampering')[0];
type Inputs = { name: string; fingerprint: { files?: { path: string; sha256: string }[] } }[];

describe('provenance fingerprint inputs', () => {
  it('a materialization and a dataset build list their inputs with fingerprints, as their lineage has them', async () => {
    bench = await guardBench();
    const sha = createHash('sha256').update(readFileSync(join(bench.dir, 'data', 'rows.parquet'))).digest('hex');
    const [m] = await materialize(bench.project, { start: '2024-01-01', end: '2024-01-08', views: ['delays'] });
    const fp = m.checks.find((c) => c.check === 'provenance' && c.method === 'fingerprint')!;
    const inputs = (fp.details as { inputs: Inputs }).inputs;
    expect(inputs[0].fingerprint.files![0]).toMatchObject({ path: 'data/rows.parquet', sha256: sha });
    // The same inputs as the run's lineage records.
    expect(inputs).toEqual(JSON.parse(JSON.stringify(bench.project.runs.get(m.run!.id).lineage!.inputs)));

    const entities = Array.from({ length: 60 }, (_, i) => ({ airport: ['SEA', 'JFK', 'LAX'][i % 3], event_timestamp: new Date(Date.UTC(2024, 0, 1, 6 * i + 1)).toISOString() }));
    const ds = await getHistoricalFeatures(bench.project, { entities, features: ['delays:delay'], out: join(bench.dir, 'ds.parquet'), allowFailedChecks: true });
    const dfp = bench.project.runs.results(ds.run.id).find((c) => c.check === 'provenance' && c.method === 'fingerprint')!;
    const dInputs = (dfp.details as { inputs: Inputs }).inputs;
    expect(dInputs[0].fingerprint.files![0]).toMatchObject({ path: 'data/rows.parquet', sha256: sha });
    expect(dInputs.map((i) => i.name)).toEqual(['rows', 'entities']);
  });
});

describe('tamper detection after a pause', () => {
  it('re-checks the recorded days before a window that starts 10 days after them: an edit there blocks', async () => {
    bench = await guardBench();
    const first = await bench.runWindow('2024-01-01', '2024-01-08');
    // No history at all: skipped, saying why, not "0 earlier partition(s) unchanged".
    expect(tampering(first)).toMatchObject({ status: 'skipped', message: expect.stringContaining('no earlier') });
    await bench.writeSource(`SELECT * REPLACE (CASE WHEN ts::DATE = DATE '2024-01-05' AND airport = 'SEA' THEN delay + 100 ELSE delay END AS delay) FROM (${DEFAULT_SOURCE})`);
    const g = await bench.runWindow('2024-01-18', '2024-01-20');
    expect(tampering(g)).toMatchObject({ status: 'fail', message: expect.stringContaining('2024-01-05') });
    expect(g.verdict).toBe('block');
  });

  it('a clean history before a gap is re-checked over recheck_days and passes', async () => {
    bench = await guardBench();
    await bench.runWindow('2024-01-01', '2024-01-11');
    const g = await bench.runWindow('2024-01-25', '2024-01-26');
    // The last 7 recorded days (Jan 4-10), not 0.
    expect(tampering(g)).toMatchObject({ status: 'pass', metrics: { partitions_checked: 7, partitions_changed: 0 } });
  });

  it('counts recorded days, not calendar days: a short window after the pause leaves the days before it re-checked', async () => {
    bench = await guardBench();
    await bench.runWindow('2024-01-01', '2024-01-04');
    expect(tampering(await bench.runWindow('2024-01-20', '2024-01-21'))).toMatchObject({ status: 'pass', metrics: { partitions_checked: 3 } });
    await bench.writeSource(`SELECT * REPLACE (CASE WHEN ts = TIMESTAMP '2024-01-02 07:00' THEN delay + 1 ELSE delay END AS delay) FROM (${DEFAULT_SOURCE})`);
    // The last 7 recorded days before Jan 21: Jan 20 and Jan 1-3.
    const t = tampering(await bench.runWindow('2024-01-21', '2024-01-22'));
    expect(t).toMatchObject({ status: 'fail', value: 1, metrics: { partitions_checked: 4, partitions_changed: 1 }, message: expect.stringContaining('2024-01-02') });
  });
});

/** Hourly rows of 3 airports over January 2024 with an integer `departures` and a `mean_distance` of 3 decimals. */
const TYPED_SOURCE = `
  SELECT ['SEA','JFK','LAX'][1 + (i % 3)] AS airport,
         TIMESTAMP '2024-01-01' + INTERVAL (i) HOUR AS ts,
         TIMESTAMP '2024-01-01' + INTERVAL (i) HOUR + INTERVAL 5 MINUTE AS created,
         (10 + hash(i) % 50)::BIGINT AS departures,
         round(500 + (hash(i, 2) % 100000) / 100.0, 3)::DOUBLE AS mean_distance
  FROM range(24 * 31) r(i)`;
const RETYPED = `SELECT * REPLACE (departures::DOUBLE AS departures, mean_distance::DECIMAL(18,6) AS mean_distance) FROM (${TYPED_SOURCE})`;

describe('tamper detection across a source column retype', () => {
  it('a retype with equal values compares unchanged as the recorded types (only the schema check fails); an edit after it is caught on the next run', async () => {
    bench = await guardBench({ features: [{ name: 'departures', type: 'int64' }, { name: 'mean_distance', type: 'float64' }] });
    await bench.writeSource(TYPED_SOURCE);
    expect((await bench.runWindow('2024-01-01', '2024-01-08')).verdict).not.toBe('block');
    await bench.writeSource(RETYPED);
    const g = await bench.runWindow('2024-01-08', '2024-01-09');
    const failed = g.results.filter((r) => r.status === 'fail');
    expect(failed.length).toBeGreaterThan(0);
    expect(failed.every((r) => r.check === 'schema'), JSON.stringify(failed.map((r) => [r.check, r.method, r.message]))).toBe(true);
    // Cast back to BIGINT and DOUBLE, the values are the recorded ones.
    expect(tampering(g)).toMatchObject({ status: 'pass', message: '7 earlier partition(s) unchanged', details: { retyped: ['departures BIGINT -> DOUBLE', 'mean_distance DOUBLE -> DECIMAL(18,6)'] } });

    // A real edit of an already-materialized day, after the retype.
    await bench.writeSource(`SELECT * REPLACE (CASE WHEN ts::DATE = DATE '2024-01-05' AND airport = 'SEA' THEN departures + 1 ELSE departures END AS departures) FROM (${RETYPED})`);
    const next = await bench.runWindow('2024-01-09', '2024-01-10');
    expect(tampering(next)).toMatchObject({ status: 'fail', message: expect.stringContaining('2024-01-05') });
    expect(tampering(next).message).not.toContain('2024-01-04');
  });

  it('checksums recorded before column types were (an upgrade) are compared as before, then take the types: a later retype is not an edit', async () => {
    bench = await guardBench({ features: [{ name: 'departures', type: 'int64' }, { name: 'mean_distance', type: 'float64' }] });
    await bench.writeSource(TYPED_SOURCE);
    // Without a created timestamp: no re-checked range is recorded again as of a later cutoff (rolled).
    const { defineSource } = await import('../../src/definitions/define.js');
    const current = bench.project.registry.current();
    bench.project.registry.apply([...current.entities.values(), defineSource({ name: 'rows', path: 'data/rows.parquet', timestamp_field: 'ts' }), ...current.views.values()]);
    await bench.runWindow('2024-01-01', '2024-01-08');
    bench.project.state.prepare('UPDATE guard_partitions SET column_types = NULL').run();
    // As before: compared, unchanged; an edit would be caught.
    expect(tampering(await bench.runWindow('2024-01-08', '2024-01-09'))).toMatchObject({ status: 'pass', metrics: { partitions_checked: 7 } });
    expect(bench.project.state.prepare('SELECT count(*) AS n FROM guard_partitions WHERE column_types IS NULL').get()).toEqual({ n: 0 });
    await bench.writeSource(RETYPED);
    expect(tampering(await bench.runWindow('2024-01-09', '2024-01-10'))).toMatchObject({ status: 'pass', details: { retyped: expect.arrayContaining(['departures BIGINT -> DOUBLE']) } });
  });

  it('without a retype, the same equal values compare unchanged (the control)', async () => {
    bench = await guardBench({ features: [{ name: 'departures', type: 'int64' }, { name: 'mean_distance', type: 'float64' }] });
    await bench.writeSource(TYPED_SOURCE);
    await bench.runWindow('2024-01-01', '2024-01-08');
    expect(tampering(await bench.runWindow('2024-01-08', '2024-01-09'))).toMatchObject({ status: 'pass', metrics: { partitions_checked: 7, partitions_changed: 0 } });
  });
});

describe('tamper detection across a retype, cast back to the recorded types', () => {
  const typed = { features: [{ name: 'departures', type: 'int64' as const }, { name: 'mean_distance', type: 'float64' as const }] };
  const editSea = (col: string, rel: string) => `SELECT * REPLACE (CASE WHEN ts::DATE = DATE '2024-01-05' AND airport = 'SEA' THEN ${col} + 7 ELSE ${col} END AS ${col}) FROM (${rel})`;

  it('BIGINT -> INTEGER with an edit in another column is blocked naming the day', async () => {
    bench = await guardBench(typed);
    await bench.writeSource(TYPED_SOURCE);
    await bench.runWindow('2024-01-01', '2024-01-08');
    await bench.writeSource(editSea('mean_distance', `SELECT * REPLACE (departures::INTEGER AS departures) FROM (${TYPED_SOURCE})`));
    const t = tampering(await bench.runWindow('2024-01-08', '2024-01-09'));
    expect(t).toMatchObject({ status: 'fail', value: 1, message: expect.stringContaining('2024-01-05') });
    expect(t.message).not.toContain('not compared');
  });

  it('BIGINT -> DOUBLE with equal values is not an edit', async () => {
    bench = await guardBench(typed);
    await bench.writeSource(TYPED_SOURCE);
    await bench.runWindow('2024-01-01', '2024-01-08');
    await bench.writeSource(`SELECT * REPLACE (departures::DOUBLE AS departures) FROM (${TYPED_SOURCE})`);
    expect(tampering(await bench.runWindow('2024-01-08', '2024-01-09')).status).not.toBe('fail');
  });

  it('DOUBLE -> BIGINT with an edit is blocked', async () => {
    bench = await guardBench({ features: [{ name: 'departures', type: 'float64' }, { name: 'mean_distance', type: 'float64' }] });
    const asDouble = `SELECT * REPLACE (departures::DOUBLE AS departures) FROM (${TYPED_SOURCE})`;
    await bench.writeSource(asDouble);
    await bench.runWindow('2024-01-01', '2024-01-08');
    await bench.writeSource(editSea('departures', `SELECT * REPLACE (departures::BIGINT AS departures) FROM (${asDouble})`));
    expect(tampering(await bench.runWindow('2024-01-08', '2024-01-09'))).toMatchObject({ status: 'fail', message: expect.stringContaining('2024-01-05') });
  });

  it('TIMESTAMP -> TIMESTAMPTZ of the created time (read as TIMESTAMP, no retype): unchanged, an edit in another column blocked', async () => {
    bench = await guardBench(typed);
    await bench.writeSource(TYPED_SOURCE);
    await bench.runWindow('2024-01-01', '2024-01-08');
    const tz = `SELECT * REPLACE (timezone('UTC', created) AS created) FROM (${TYPED_SOURCE})`;
    await bench.writeSource(tz);
    const same = tampering(await bench.runWindow('2024-01-08', '2024-01-09'));
    expect(same).toMatchObject({ status: 'pass' });
    expect(same.details).not.toHaveProperty('retyped');
    await bench.writeSource(editSea('mean_distance', tz));
    expect(tampering(await bench.runWindow('2024-01-09', '2024-01-10'))).toMatchObject({ status: 'fail', message: expect.stringContaining('2024-01-05') });
  });

  it('a retype whose values do not cast back (VARCHAR words) is not compared', async () => {
    bench = await guardBench(typed);
    await bench.writeSource(TYPED_SOURCE);
    await bench.runWindow('2024-01-01', '2024-01-08');
    await bench.writeSource(`SELECT * REPLACE ('n' || departures::VARCHAR AS departures) FROM (${TYPED_SOURCE})`);
    expect(tampering(await bench.runWindow('2024-01-08', '2024-01-09'))).toMatchObject({ status: 'skipped', message: expect.stringContaining('departures BIGINT -> VARCHAR (source type changed)') });
  });
});

describe('tamper detection after a pause, with source retention', () => {
  it('recorded days the source no longer holds at all are reported as not compared, not as edits', async () => {
    bench = await guardBench();
    await bench.runWindow('2024-01-01', '2024-01-04');
    await bench.writeSource(`SELECT * FROM (${DEFAULT_SOURCE}) WHERE ts >= TIMESTAMP '2024-01-04'`);
    const g = await bench.runWindow('2024-01-14', '2024-01-15');
    expect(tampering(g)).toMatchObject({ status: 'skipped', message: expect.stringContaining('no rows now for 2024-01-01 .. 2024-01-03 (source retention?)') });
    expect(g.verdict).not.toBe('block');
  });

  it('an edit (not a deletion) of such a day after the gap is still blocked', async () => {
    bench = await guardBench();
    await bench.runWindow('2024-01-01', '2024-01-04');
    await bench.writeSource(`SELECT * REPLACE (CASE WHEN ts::DATE = DATE '2024-01-02' AND airport = 'SEA' THEN delay + 1 ELSE delay END AS delay) FROM (${DEFAULT_SOURCE})`);
    const g = await bench.runWindow('2024-01-14', '2024-01-15');
    expect(tampering(g)).toMatchObject({ status: 'fail', message: expect.stringContaining('2024-01-02') });
  });

  it('a day partly deleted after the gap is still a change; a day within recheck_days with all rows gone is too', async () => {
    bench = await guardBench();
    await bench.runWindow('2024-01-01', '2024-01-04');
    await bench.runWindow('2024-01-10', '2024-01-12');
    // Jan 2: half its rows gone (a gap day); Jan 10: all gone (inside the 7 days before Jan 12).
    await bench.writeSource(`SELECT * FROM (${DEFAULT_SOURCE}) WHERE NOT (ts::DATE = DATE '2024-01-02' AND hour(ts) < 12) AND ts::DATE <> DATE '2024-01-10'`);
    const t = tampering(await bench.runWindow('2024-01-12', '2024-01-13'));
    expect(t).toMatchObject({ status: 'fail' });
    expect(t.message).toContain('2024-01-02');
    expect(t.message).toContain('2024-01-10');
  });
});

describe('tamper counts', () => {
  it('counts days in value, metrics and message when a day was recorded as two ranges', async () => {
    bench = await guardBench();
    await bench.runWindow('2024-01-01', '2024-01-02T06:00:00Z');
    await bench.runWindow('2024-01-02T06:00:00Z', '2024-01-03');
    // Edit a row in each range of Jan 2 and one on Jan 1: 3 ranges, 2 days.
    await bench.writeSource(`SELECT * REPLACE (CASE WHEN ts IN (TIMESTAMP '2024-01-01 04:00', TIMESTAMP '2024-01-02 03:00', TIMESTAMP '2024-01-02 10:00') THEN delay + 100 ELSE delay END AS delay) FROM (${DEFAULT_SOURCE})`);
    const t = tampering(await bench.runWindow('2024-01-03', '2024-01-04'));
    expect(t).toMatchObject({ status: 'fail', value: 2, metrics: { partitions_changed: 2, partitions_checked: 2 } });
    expect(t.message).toContain('changed in 2 partition(s): 2024-01-01, 2024-01-02');
    expect((t.details as { changed: unknown[] }).changed).toHaveLength(3);
  });
});
