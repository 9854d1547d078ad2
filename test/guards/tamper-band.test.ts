/**
 * The tamper check's band: the rows a run read that were created within the landing delay before it read (after
 * `known_by`, up to `read_at`) are not settled, late landings may still add rows there. A run records the hash of
 * each such row, and a later run requires every recorded hash to be in the band still: an edit of a band row is an
 * edit even when a late landing in the same band hides it from the row count and sum (the blind spot this closes).
 * Above `BAND_HASHES_MAX` band rows in a range, the band is checked by count and sum only, as before.
 * Real DuckDB and SQLite; the clock the check reads (`Date.now`) is pinned.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BAND_HASHES_MAX } from '../../src/guards/checks/tamper-band.js';
import { DEFAULT_SOURCE, guardBench, pick, type BenchOptions, type GuardBench } from './helpers.js';

let bench: GuardBench | undefined;
const realNow = Date.now;
let fake = 0;
beforeEach(() => {
  Date.now = () => fake;
});
afterEach(async () => {
  Date.now = realNow;
  await bench?.close();
  bench = undefined;
});
const open = async (o: BenchOptions = {}) => (bench = await guardBench(o));
const tampering = (g: Awaited<ReturnType<GuardBench['runWindow']>>) => pick(g, 'provenance', 'tampering')[0];

/** A row of Jan 5 (event time `hour`, created `created`): SQL to add to the default source. */
const row = (airport: string, hour: string, created: string, delay: number) => `SELECT '${airport}', TIMESTAMP '2024-01-05 ${hour}', TIMESTAMP '${created}', ${delay}::DOUBLE, 'AA'`;
const source = (...rows: string[]) => [`SELECT * FROM (${DEFAULT_SOURCE})`, ...rows].join(' UNION ALL ');

// The first run reads at 00:05 with the default landing_delay of 15 minutes: its band is (23:50, 00:05].
const BAND_ROW = (delay: number) => row('SEA', '10:30', '2024-02-14 23:55', delay);
const LATE = row('JFK', '11:30', '2024-02-14 23:58', 5);
const LATE_2 = row('LAX', '12:30', '2024-02-14 23:59', 6);

/** The first run (Jan 1–8) reads the band row at 00:05; then the source is edited; the next run (Jan 8) reads at `nextAt`. */
async function readThenEdit(b: GuardBench, edited: string, nextAt = '2024-02-16T00:05:00Z'): Promise<ReturnType<typeof tampering>> {
  fake = Date.parse('2024-02-15T00:05:00Z');
  await b.writeSource(source(BAND_ROW(3)));
  expect(tampering(await b.runWindow('2024-01-01', '2024-01-08'))).toMatchObject({ status: 'skipped' }); // the first run: no history
  await b.writeSource(edited);
  fake = Date.parse(nextAt);
  return tampering(await b.runWindow('2024-01-08', '2024-01-09'));
}

/** The recorded band of Jan 5 (the first run's record, updated in place when rolled or accepted). */
const jan5Band = (b: GuardBench) =>
  b.project.state.prepare("SELECT rows_read - rows AS band, length(band_hashes) / 8 AS hashed FROM guard_partitions WHERE view = 'delays' AND day = '2024-01-05' AND range_start = '2024-01-05T00:00:00.000Z'").all();

describe('the band of rows created within the landing delay before a run read', () => {
  it('an edit of a band row hidden by a late landing in the same band is reported (more rows, another sum)', async () => {
    const b = await open();
    const t = await readThenEdit(b, source(BAND_ROW(99), LATE));
    // Before: pass, the band had grown by a row and its sum changed, as a late landing alone makes it.
    expect(t).toMatchObject({ status: 'fail', value: 1, message: expect.stringContaining('2024-01-05') });
    const [change] = (t.details as { changed: { day: string; range: string[]; before: { rows: number }; now: { rows: number } }[] }).changed;
    expect(change).toMatchObject({ day: '2024-01-05', range: ['2024-01-05T00:00:00.000Z', '2024-01-06T00:00:00.000Z'], before: { rows: 25 }, now: { rows: 26 } });
  });

  it('a late landing alone in the band passes, and so do the runs after it', async () => {
    const b = await open();
    expect(await readThenEdit(b, source(BAND_ROW(3), LATE, LATE_2))).toMatchObject({ status: 'pass', metrics: { partitions_changed: 0 } });
    expect(tampering(await b.runWindow('2024-01-09', '2024-01-10'))).toMatchObject({ status: 'pass', metrics: { partitions_changed: 0 } });
  });

  it('a deletion of a band row is reported, alone or with late landings that outnumber it', async () => {
    const b = await open();
    expect(await readThenEdit(b, source())).toMatchObject({ status: 'fail', message: expect.stringContaining('2024-01-05') });
    await b.close();
    const c = (bench = await guardBench());
    // Before: pass (two rows more than the one gone, another sum).
    expect(await readThenEdit(c, source(LATE, LATE_2))).toMatchObject({ status: 'fail', message: expect.stringContaining('2024-01-05') });
  });

  it('a range recorded again by a later run (rolled forward) has the band as of then checked', async () => {
    const b = await open();
    fake = Date.parse('2024-02-15T00:05:00Z');
    // Created 23:57: in the first run's band (23:50, 00:05] and in the next run's (23:55, 00:10].
    const sea = row('SEA', '10:30', '2024-02-14 23:57', 3);
    await b.writeSource(source(sea));
    await b.runWindow('2024-01-01', '2024-01-08');
    // Created after the first run read (no edit of it), read by the next one within its band.
    const lax = (delay: number) => row('LAX', '12:30', '2024-02-15 00:07', delay);
    await b.writeSource(source(sea, lax(6)));
    fake = Date.parse('2024-02-15T00:10:00Z');
    // Re-checks Jan 1–7 unchanged and records them again as of 23:55 (settled) and 00:10 (read).
    expect(tampering(await b.runWindow('2024-01-08', '2024-01-09'))).toMatchObject({ status: 'pass' });
    expect(jan5Band(b)).toEqual([{ band: 2, hashed: 2 }]);
    // The row the rolled record added to the band edited, a late landing beside it.
    await b.writeSource(source(sea, lax(60), row('JFK', '11:30', '2024-02-15 00:01', 5)));
    fake = Date.parse('2024-02-16T00:05:00Z');
    expect(tampering(await b.runWindow('2024-01-09', '2024-01-10'))).toMatchObject({ status: 'fail', message: expect.stringContaining('2024-01-05') });
  });

  it('under tampering: warn, an edit in the band is accepted as it is now: reported once, a later edit again', async () => {
    const b = await open({ viewQuality: { provenance: { tampering: 'warn' } } });
    // Read again at 00:07: the band row and the late one are in the accepting run's band (23:52, 00:07].
    expect(await readThenEdit(b, source(BAND_ROW(99), LATE), '2024-02-15T00:07:00Z')).toMatchObject({ status: 'fail' });
    expect(jan5Band(b)).toEqual([{ band: 2, hashed: 2 }]);
    fake = Date.parse('2024-02-15T00:08:00Z');
    expect(tampering(await b.runWindow('2024-01-09', '2024-01-10'))).toMatchObject({ status: 'pass', metrics: { partitions_changed: 0 } });
    await b.writeSource(source(BAND_ROW(99), row('JFK', '11:30', '2024-02-14 23:58', 50), LATE_2));
    fake = Date.parse('2024-02-15T00:09:00Z');
    expect(tampering(await b.runWindow('2024-01-10', '2024-01-11'))).toMatchObject({ status: 'fail', message: expect.stringContaining('2024-01-05') });
  });

  it("a band read with a producer's clock ahead (the cutoff moved past the row pass's) is hashed too", async () => {
    const b = await open();
    fake = Date.parse('2024-02-15T00:05:00Z');
    // Created 00:07, two minutes ahead of the run's clock: it read as of 00:07, its band is (23:52, 00:07].
    const ahead = (delay: number) => row('SEA', '10:30', '2024-02-15 00:07', delay);
    await b.writeSource(source(ahead(3)));
    expect(tampering(await b.runWindow('2024-01-01', '2024-01-08'))).toMatchObject({ status: 'skipped' }); // the first run: no history
    expect(jan5Band(b)).toEqual([{ band: 1, hashed: 1 }]);
    await b.writeSource(source(ahead(99), LATE));
    fake = Date.parse('2024-02-16T00:05:00Z');
    expect(tampering(await b.runWindow('2024-01-08', '2024-01-09'))).toMatchObject({ status: 'fail', message: expect.stringContaining('2024-01-05') });
  });

  it(`above ${BAND_HASHES_MAX} band rows in a range, the band is checked by count and sum only`, async () => {
    const b = await open();
    fake = Date.parse('2024-02-15T00:05:00Z');
    // Jan 5: a row fewer than the cap of band rows (hashed, and at the cap with a late landing); Jan 6: one more
    // than the cap (not hashed). Distinct times: no duplicates.
    const many = (day: string, n: number) =>
      `SELECT 'ZZZ', TIMESTAMP '${day}' + INTERVAL (i) SECOND, TIMESTAMP '2024-02-14 23:55', 1.0::DOUBLE, 'AA' FROM range(${n}) r(i)`;
    await b.writeSource(source(many('2024-01-05', BAND_HASHES_MAX - 1), many('2024-01-06', BAND_HASHES_MAX + 1)));
    await b.runWindow('2024-01-05', '2024-01-07');
    const recorded = b.project.state
      .prepare("SELECT day, rows_read - rows AS band, length(band_hashes) / 8 AS hashed FROM guard_partitions WHERE view = 'delays' ORDER BY day")
      .all();
    expect(recorded).toEqual([{ day: '2024-01-05', band: BAND_HASHES_MAX - 1, hashed: BAND_HASHES_MAX - 1 }, { day: '2024-01-06', band: BAND_HASHES_MAX + 1, hashed: null }]);
    // A band row of each day edited, with a late landing beside it: told apart on Jan 5 only.
    const edited = (day: string, n: number) => `SELECT * REPLACE (CASE WHEN ts = TIMESTAMP '${day}' THEN 2.0 ELSE delay END AS delay) FROM (${many(day, n)}) AS t(airport, ts, created, delay, carrier)`;
    const lateOn = (day: string) => `SELECT 'YYY', TIMESTAMP '${day} 23:59:59', TIMESTAMP '2024-02-14 23:58', 1.0::DOUBLE, 'AA'`;
    await b.writeSource(source(edited('2024-01-05', BAND_HASHES_MAX - 1), edited('2024-01-06', BAND_HASHES_MAX + 1), lateOn('2024-01-05'), lateOn('2024-01-06')));
    fake = Date.parse('2024-02-16T00:05:00Z');
    const t = tampering(await b.runWindow('2024-01-08', '2024-01-09'));
    expect([t.status, (t.details as { changed: { day: string }[] }).changed.map((c) => c.day)]).toEqual(['fail', ['2024-01-05']]);
    // A deletion there is still a row fewer.
    await b.writeSource(source(many('2024-01-05', BAND_HASHES_MAX - 1), many('2024-01-06', BAND_HASHES_MAX)));
    fake = Date.parse('2024-02-16T00:06:00Z');
    const gone = tampering(await b.runWindow('2024-01-09', '2024-01-10'));
    expect([gone.status, (gone.details as { changed: { day: string }[] }).changed.map((c) => c.day)]).toEqual(['fail', ['2024-01-06']]);
  });

  it('only the newest record of a range keeps its band hashes: a window read again clears the older ones', async () => {
    const b = await open();
    await b.writeSource(source(BAND_ROW(3), LATE));
    const records = () =>
      b.project.state
        .prepare("SELECT p.run_id AS run, length(p.band_hashes) / 8 AS hashed FROM guard_partitions p JOIN runs r ON r.id = p.run_id WHERE p.view = 'delays' AND p.day = '2024-01-05' ORDER BY r.rowid")
        .all() as { run: string; hashed: number | null }[];
    // The same window read three times while its band is unsettled: each run records the day again; the second rolls
    // the first record forward (a later cutoff), the third reads at the same time as the second (nothing to roll).
    for (const [i, at] of ['2024-02-15T00:05:00Z', '2024-02-15T00:06:00Z', '2024-02-15T00:06:00Z'].entries()) {
      fake = Date.parse(at);
      // The first run has no history to re-check.
      expect(tampering(await b.runWindow('2024-01-01', '2024-01-08'))).toMatchObject({ status: i === 0 ? 'skipped' : 'pass' });
    }
    const recs = records();
    expect(recs.length).toBe(3);
    // Before: every record kept its copy (8 bytes per band row per run, never cleared).
    expect(recs.map((r) => r.hashed)).toEqual([null, null, 2]);
    const total = b.project.state.prepare("SELECT coalesce(sum(length(band_hashes)), 0) AS n FROM guard_partitions WHERE view = 'delays'").get() as { n: number };
    expect(total.n).toBe(2 * 8);
    // The newest record's hashes still tell an edit of a band row hidden by a late landing beside it.
    await b.writeSource(source(BAND_ROW(99), LATE, LATE_2));
    fake = Date.parse('2024-02-15T00:08:00Z');
    expect(tampering(await b.runWindow('2024-01-08', '2024-01-09'))).toMatchObject({ status: 'fail', message: expect.stringContaining('2024-01-05') });
  });
});
