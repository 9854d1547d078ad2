/**
 * Tamper checksums recorded by an older version carry no column types (`guard_partitions.column_types` NULL). A
 * source column retyped before the first run of the new version (DOUBLE -> FLOAT, BIGINT -> DOUBLE, same values) is
 * then no edit of history: the recorded types are taken from the recording run's column profiles, and the range is
 * compared cast back to them, as a typed range is (an edit made with the retype is still caught). Without those
 * profiles (pruned), the range is compared as before, and a change says that it may be the retype.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { GuardStageResult } from '../../src/guards/stage.js';
import { guardBench, pick, type GuardBench } from './helpers.js';

let bench: GuardBench | undefined;
afterEach(async () => {
  await bench?.close();
  bench = undefined;
});

const tampering = (g: GuardStageResult) => pick(g, 'provenance', 'tampering')[0];

/** Hourly rows of 3 airports over January 2024: an integer `departures` and a whole-number `distance` (DOUBLE). */
const SOURCE = `
  SELECT ['SEA','JFK','LAX'][1 + (i % 3)] AS airport,
         TIMESTAMP '2024-01-01' + INTERVAL (i) HOUR AS ts,
         TIMESTAMP '2024-01-01' + INTERVAL (i) HOUR + INTERVAL 5 MINUTE AS created,
         (10 + hash(i) % 50)::BIGINT AS departures,
         (500 + hash(i, 2) % 1000)::DOUBLE AS distance
  FROM range(24 * 31) r(i)`;
/** `distance` as FLOAT, the same values: float64 takes it, so the schema check passes. */
const AS_FLOAT = `SELECT * REPLACE (distance::FLOAT AS distance) FROM (${SOURCE})`;
const editSea = (rel: string) => `SELECT * REPLACE (CASE WHEN ts::DATE = DATE '2024-01-05' AND airport = 'SEA' THEN departures + 7 ELSE departures END AS departures) FROM (${rel})`;
const features = { features: [{ name: 'departures', type: 'int64' as const }, { name: 'distance', type: 'float64' as const }] };

/** A week recorded as an older version records it: checksums without column types (its run's profiles kept). */
async function legacyWeek(): Promise<GuardBench> {
  const b = await guardBench(features);
  await b.writeSource(SOURCE);
  expect((await b.runWindow('2024-01-01', '2024-01-08')).verdict).not.toBe('block');
  b.project.state.prepare('UPDATE guard_partitions SET column_types = NULL').run();
  return b;
}

describe('tamper checksums recorded before column types were, and a retype before the first new run', () => {
  it('DOUBLE -> FLOAT with equal values: not blocked, compared cast back to the type the recording run profiled', async () => {
    bench = await legacyWeek();
    await bench.writeSource(AS_FLOAT);
    const g = await bench.runWindow('2024-01-08', '2024-01-09');
    expect(tampering(g)).toMatchObject({ status: 'pass', message: '7 earlier partition(s) unchanged', details: { retyped: ['distance DOUBLE -> FLOAT'] } });
    expect(g.verdict).not.toBe('block');
    // Recorded again under the new types: the next run compares without a cast, unchanged.
    expect(bench.project.state.prepare("SELECT count(*) AS n FROM guard_partitions WHERE column_types IS NULL OR column_types NOT LIKE '%\"distance\":\"FLOAT\"%'").get()).toEqual({ n: 0 });
    const next = tampering(await bench.runWindow('2024-01-09', '2024-01-10'));
    expect(next).toMatchObject({ status: 'pass', metrics: { partitions_changed: 0 } });
    expect(next.details).not.toHaveProperty('retyped');
  });

  it('BIGINT -> DOUBLE with equal values: tamper does not add a false "history changed" to the schema failure', async () => {
    bench = await legacyWeek();
    await bench.writeSource(`SELECT * REPLACE (departures::DOUBLE AS departures) FROM (${SOURCE})`);
    const g = await bench.runWindow('2024-01-08', '2024-01-09');
    expect(tampering(g)).toMatchObject({ status: 'pass', details: { retyped: ['departures BIGINT -> DOUBLE'] } });
    const failed = g.results.filter((r) => r.status === 'fail');
    expect(failed.map((r) => r.check)).toContain('schema');
    expect(failed.every((r) => r.check === 'schema'), JSON.stringify(failed.map((r) => [r.check, r.method, r.message]))).toBe(true);
  });

  it('DOUBLE -> FLOAT plus an edit of another column: blocked naming only the edited day', async () => {
    bench = await legacyWeek();
    await bench.writeSource(editSea(AS_FLOAT));
    const g = await bench.runWindow('2024-01-08', '2024-01-09');
    const t = tampering(g);
    expect(t).toMatchObject({ status: 'fail', value: 1, message: expect.stringContaining('2024-01-05') });
    expect(t.message).not.toContain('recorded before column types');
    expect(g.verdict).toBe('block');
  });

  it('without the recording run\'s profiles (pruned), compared as before: the change says it may be the retype and how to accept it', async () => {
    bench = await legacyWeek();
    bench.project.state.prepare('DELETE FROM profiles').run();
    await bench.writeSource(AS_FLOAT);
    const t = tampering(await bench.runWindow('2024-01-08', '2024-01-09'));
    expect(t).toMatchObject({ status: 'fail', message: expect.stringContaining('recorded before column types were kept; if the source was retyped, this may be the retype') });
    expect(t.message).toContain('tampering: warn');
  });

  it('the control: no retype, no edit, legacy records pass; an edit alone is blocked without the retype note', async () => {
    bench = await legacyWeek();
    expect(tampering(await bench.runWindow('2024-01-08', '2024-01-09'))).toMatchObject({ status: 'pass', metrics: { partitions_checked: 7, partitions_changed: 0 } });
    bench.project.state.prepare('UPDATE guard_partitions SET column_types = NULL').run();
    await bench.writeSource(editSea(SOURCE));
    const t = tampering(await bench.runWindow('2024-01-09', '2024-01-10'));
    expect(t).toMatchObject({ status: 'fail', message: expect.stringContaining('2024-01-05') });
    expect(t.message).not.toContain('recorded before column types');
  });
});
