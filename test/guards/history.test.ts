/**
 * The guards' memory over time (a review's findings, each reproduced first):
 * a late-arriving row (created after the run that read its day) is no edit of
 * history, a backdated one is; under `tampering: warn` an edit is reported
 * once, not by every later run; an empty window is no drift reference and no
 * baseline; a dataset written despite blocking checks is no reference; a view
 * removed and added back starts its history over.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { pinBaseline } from '../../src/guards/baselines.js';
import { findReference, WRITTEN_DESPITE_BLOCK } from '../../src/guards/reference.js';
import { volumeHistory } from '../../src/guards/run-stats.js';
import { dropPendingView, requestDrops } from '../../src/registry/online-drops.js';
import { DEFAULT_SOURCE, guardBench, pick, type BenchOptions, type GuardBench } from './helpers.js';

let bench: GuardBench | undefined;
afterEach(async () => {
  await bench?.close();
  bench = undefined;
});
const open = async (o: BenchOptions = {}) => (bench = await guardBench(o));
const tampering = (g: Awaited<ReturnType<GuardBench['runWindow']>>) => pick(g, 'provenance', 'tampering')[0];

describe('tamper detection over time', () => {
  it('a row that arrived late (created after the run that read its day) is no edit; one created back then is', async () => {
    const b = await open();
    await b.runWindow('2024-01-01', '2024-01-08');
    // Ingest lag: a row of Jan 5 that only exists now.
    await b.writeSource(`SELECT * FROM (${DEFAULT_SOURCE}) UNION ALL SELECT 'SEA', TIMESTAMP '2024-01-05 10:30', current_timestamp::TIMESTAMP, 3.0, 'AA'`);
    const late = await b.runWindow('2024-01-08', '2024-01-09');
    expect(tampering(late)).toMatchObject({ status: 'pass', metrics: { partitions_checked: 7, partitions_changed: 0 } });
    // The same row claiming to have been there all along (created on Jan 5): history changed.
    await b.writeSource(`SELECT * FROM (${DEFAULT_SOURCE}) UNION ALL SELECT 'SEA', TIMESTAMP '2024-01-05 10:30', TIMESTAMP '2024-01-05 10:35', 3.0, 'AA'`);
    const backdated = await b.runWindow('2024-01-09', '2024-01-10');
    expect(tampering(backdated)).toMatchObject({ status: 'fail', message: expect.stringContaining('2024-01-05') });
  });

  it('a row created just before the run read its day that lands after it is a late arrival (landing_delay); once landed, an edit of it is an edit', async () => {
    // A short delay for the test (15 minutes by default).
    const b = await open({ quality: { provenance: { landing_delay: '3s' } } as never });
    await b.runWindow('2024-01-01', '2024-01-08');
    // A row computed a second before that run read its day, landing in the file just after it (a review finding:
    // it blocked every later run of the view for recheck_days).
    const row = (value: number) => `SELECT * FROM (${DEFAULT_SOURCE}) UNION ALL SELECT 'SEA', TIMESTAMP '2024-01-05 10:30', (current_timestamp - INTERVAL 1 SECOND)::TIMESTAMP, ${value}, 'AA'`;
    await b.writeSource(row(3));
    const next = await b.runWindow('2024-01-08', '2024-01-09');
    expect(tampering(next)).toMatchObject({ status: 'pass', metrics: { partitions_changed: 0 } });
    // Later runs record the re-checked days again as of their own cutoff: the landed row is part of history now.
    await new Promise((r) => setTimeout(r, 3_500));
    expect(tampering(await b.runWindow('2024-01-09', '2024-01-10'))).toMatchObject({ status: 'pass' });
    await b.writeSource(`SELECT * FROM (${DEFAULT_SOURCE}) UNION ALL SELECT 'SEA', TIMESTAMP '2024-01-05 10:30', created, 4.0, 'AA' FROM (SELECT max(created) AS created FROM read_parquet('${b.dir}/data/rows.parquet') WHERE delay = 3.0)`);
    expect(tampering(await b.runWindow('2024-01-10', '2024-01-11'))).toMatchObject({ status: 'fail', message: expect.stringContaining('2024-01-05') });
  });

  it('a row the run read within landing_delay of its creation is protected at once: an edit of it before the next run is an edit (the diff review: it was rolled into history unnoticed)', async () => {
    const realNow = Date.now;
    let fake = Date.parse('2024-02-15T00:05:00Z');
    Date.now = () => fake;
    try {
      const b = await open();
      const withRow = (v: number) => `SELECT * FROM (${DEFAULT_SOURCE}) UNION ALL SELECT 'SEA', TIMESTAMP '2024-01-05 10:30', TIMESTAMP '2024-02-14 23:55', ${v}, 'AA'`;
      await b.writeSource(withRow(3));
      // Read at 00:05, ten minutes after the row was created (inside the default 15 minutes).
      expect(tampering(await b.runWindow('2024-01-01', '2024-01-08'))).toMatchObject({ status: 'skipped' }); // the first run: no history to re-check
      fake = Date.parse('2024-02-15T06:00:00Z');
      await b.writeSource(withRow(99));
      fake = Date.parse('2024-02-16T00:05:00Z');
      expect(tampering(await b.runWindow('2024-01-08', '2024-01-09'))).toMatchObject({ status: 'fail', message: expect.stringContaining('2024-01-05') });
      // A late landing in the same band (created 23:58, landed after the read) alone is no edit.
      const c = await guardBench();
      try {
        fake = Date.parse('2024-02-15T00:05:00Z');
        await c.writeSource(withRow(3));
        await c.runWindow('2024-01-01', '2024-01-08');
        await c.writeSource(`${withRow(3)} UNION ALL SELECT 'JFK', TIMESTAMP '2024-01-06 10:30', TIMESTAMP '2024-02-14 23:58', 5, 'AA'`);
        fake = Date.parse('2024-02-16T00:05:00Z');
        expect(tampering(await c.runWindow('2024-01-08', '2024-01-09'))).toMatchObject({ status: 'pass' });
      } finally {
        await c.close();
      }
    } finally {
      Date.now = realNow;
    }
  });

  it("a row the run read whose created time is ahead of the clock (a producer's clock) is no edit later", async () => {
    const b = await open();
    await b.writeSource(`SELECT * FROM (${DEFAULT_SOURCE}) UNION ALL SELECT 'SEA', TIMESTAMP '2024-01-05 10:30', (current_timestamp + INTERVAL 2 MINUTE)::TIMESTAMP, 3.0, 'AA'`);
    await b.runWindow('2024-01-01', '2024-01-08');
    expect(tampering(await b.runWindow('2024-01-08', '2024-01-09'))).toMatchObject({ status: 'pass', metrics: { partitions_changed: 0 } });
  });

  it('under tampering: warn, edits of hours of a day run hour by hour are each reported once', async () => {
    const b = await open({ viewQuality: { provenance: { tampering: 'warn' } } });
    const hour = (d: string, h: number) => `${d}T${String(h).padStart(2, '0')}:00:00Z`;
    for (let h = 0; h < 6; h++) await b.runWindow(hour('2024-01-02', h), hour('2024-01-02', h + 1));
    // Two hours of Jan 2 edited, while the hourly runs go on the same day.
    await b.writeSource(`SELECT * REPLACE (CASE WHEN ts IN (TIMESTAMP '2024-01-02 01:00', TIMESTAMP '2024-01-02 03:00') THEN delay + 100 ELSE delay END AS delay) FROM (${DEFAULT_SOURCE})`);
    const first = tampering(await b.runWindow(hour('2024-01-02', 6), hour('2024-01-02', 7)));
    // Counted in days: one day (2 of its hourly ranges, both in the details).
    expect([first.status, first.value, (first.details as { changed: unknown[] }).changed.length]).toEqual(['fail', 1, 2]);
    for (let h = 7; h < 10; h++) expect(tampering(await b.runWindow(hour('2024-01-02', h), hour('2024-01-02', h + 1))).status, `hour ${h}`).toBe('pass');
  });

  it('under tampering: warn an edit is reported by one run, not by every later one', async () => {
    const b = await open({ viewQuality: { provenance: { tampering: 'warn' } } });
    await b.runWindow('2024-01-01', '2024-01-03');
    await b.writeSource(`SELECT * REPLACE (CASE WHEN ts::DATE = DATE '2024-01-02' AND airport = 'SEA' THEN delay + 100 ELSE delay END AS delay) FROM (${DEFAULT_SOURCE})`);
    const first = await b.runWindow('2024-01-03', '2024-01-04');
    expect([tampering(first).status, first.verdict]).toEqual(['fail', 'warn']);
    const second = await b.runWindow('2024-01-04', '2024-01-05');
    expect(tampering(second)).toMatchObject({ status: 'pass', metrics: { partitions_changed: 0 } });
    // A further edit of the same day is reported again.
    await b.writeSource(`SELECT * REPLACE (CASE WHEN ts::DATE = DATE '2024-01-02' AND airport = 'SEA' THEN delay + 200 ELSE delay END AS delay) FROM (${DEFAULT_SOURCE})`);
    expect(tampering(await b.runWindow('2024-01-05', '2024-01-06')).status).toBe('fail');
  });
});

describe('volume', () => {
  it('a row more in a view of one row per entity per window is normal, twice or half the rows are not (the past counts were all equal: MAD 0)', async () => {
    const b = await open({ features: [{ name: 'delay', type: 'float64' }] });
    // Three airports every hour (72 rows a day); one more airport's row on Jan 5 and Jan 6.
    await b.writeSource(`SELECT * FROM (SELECT ['SEA','JFK','LAX'][1 + (i % 3)] AS airport, TIMESTAMP '2024-01-01' + INTERVAL (i // 3) HOUR AS ts,
      TIMESTAMP '2024-01-01' + INTERVAL (i // 3) HOUR + INTERVAL 5 MINUTE AS created, (i % 17)::DOUBLE AS delay FROM range(3 * 24 * 10) r(i))
      UNION ALL SELECT 'BOS', d, d + INTERVAL 5 MINUTE, 3.0 FROM (VALUES (TIMESTAMP '2024-01-05 12:00'), (TIMESTAMP '2024-01-06 12:00')) v(d)`);
    const day = async (d: number, transform?: string) => pick(await b.runWindow(`2024-01-0${d}`, `2024-01-0${d + 1}`, { now: new Date('2024-01-20'), transform }), 'anomaly', 'volume')[0];
    for (const d of [1, 2, 3, 4]) await day(d);
    // It said "row count 73 is unusual vs the last 4 runs (median 72, robust z inf)".
    expect(await day(5)).toMatchObject({ status: 'pass', message: 'row count 73 is normal (robust z 0.697)' });
    expect((await day(6)).status).toBe('pass');
    expect(await day(7, 'SELECT w.* FROM w, range(2)')).toMatchObject({ status: 'warn', message: 'row count 144 is unusual vs the last 6 runs (median 72, robust z 35)' });
    expect((await day(8, 'SELECT * FROM w WHERE hour(event_timestamp) % 2 = 0')).status).toBe('warn');
  });

  it('compares windows of different lengths by rows per hour: a 1-day window after 2-day ones is normal, half the rate is not', async () => {
    const b = await open();
    for (const [s, e] of [['2024-01-01', '2024-01-03'], ['2024-01-03', '2024-01-05'], ['2024-01-05', '2024-01-07']]) await b.runWindow(s, e);
    const day = pick(await b.runWindow('2024-01-07', '2024-01-08'), 'anomaly', 'volume')[0];
    expect([day.status, day.message]).toEqual(['pass', 'row count 24 (1 rows per hour) is normal (robust z 0)']);
    // The same day with every other hour gone.
    const half = pick(await b.runWindow('2024-01-08', '2024-01-09', { transform: 'SELECT * FROM w WHERE hour(event_timestamp) % 2 = 0' }), 'anomaly', 'volume')[0];
    expect([half.status, half.message]).toEqual(['warn', expect.stringMatching(/^row count 12 \(0\.5 rows per hour\) is unusual vs the last 4 runs \(median 1 rows per hour/)]);
  });
});

describe('volume history', () => {
  it('counts each window once (its newest run) and leaves empty windows out: a window run again does not make a 1-row change "robust z inf"', async () => {
    const b = await open({ quality: { anomaly: { allow_empty: true } } });
    // Two days, one run again (a retry): before, two equal samples of three made the spread 0.
    await b.runWindow('2024-01-01', '2024-01-02');
    await b.runWindow('2024-01-02', '2024-01-03');
    await b.runWindow('2024-01-02', '2024-01-03');
    // An empty window (allowed): no sample.
    await b.runWindow('2024-01-03', '2024-01-04', { transform: 'SELECT * FROM w WHERE false' });
    const hist = volumeHistory(b.project.state, 'delays', 10, 'none');
    expect(hist.map((h) => h.rows)).toEqual([24, 24]);
    // One row fewer than the history: normal, not "infinitely unusual" (the history is too short to judge here anyway).
    const next = pick(await b.runWindow('2024-01-04', '2024-01-05', { transform: 'SELECT * FROM w WHERE hour(event_timestamp) <> 3' }), 'anomaly', 'volume')[0];
    expect(next.status).toBe('pass');
  });
});

describe('drift references', () => {
  /** Delay shifted by 50 from Jan 13 on; no rows on Jan 11. */
  const SHIFTED = `SELECT * REPLACE (CASE WHEN ts >= TIMESTAMP '2024-01-13' THEN delay + 50 ELSE delay END AS delay) FROM (${DEFAULT_SOURCE}) WHERE ts::DATE <> DATE '2024-01-11'`;

  it('an empty window is neither the previous run drift compares with nor a baseline', async () => {
    const b = await open({ quality: { anomaly: { allow_empty: true } } });
    await b.writeSource(SHIFTED);
    await b.runWindow('2024-01-06', '2024-01-11');
    const empty = await b.runWindow('2024-01-11', '2024-01-12');
    expect(empty.verdict).not.toBe('block');
    const shifted = await b.runWindow('2024-01-13', '2024-01-16');
    expect(pick(shifted, 'drift', undefined, 'delay').find((r) => !r.slice)!.status).toBe('fail');
    expect(() => pinBaseline(b.project, { name: 'empty', view: 'delays', fromRun: empty.runId })).toThrow(/read no rows/);
  });

  it("a dataset written despite blocking checks is not the next build's reference", async () => {
    const b = await open();
    const build = (message: string | null) => {
      const run = b.project.runs.create({ kind: 'dataset', service: 'svc' });
      b.project.runs.addProfiles(run.id, [{ column: 'delay', profile: { column: 'delay', count: 100 } }]);
      return b.project.runs.update(run.id, { status: message ? 'warned' : 'success', message, rows_in: 100, finished_at: new Date().toISOString() });
    };
    const good = build(null);
    build(`${WRITTEN_DESPITE_BLOCK}: schema.range: delay violates range`);
    const next = b.project.runs.create({ kind: 'dataset', service: 'svc' });
    expect(findReference(b.project, { service: 'svc', kind: 'dataset', runId: next.id, setting: 'previous', minRows: 30 }).reference?.runId).toBe(good.id);
  });

  it('a view removed and added back starts its history over: no reference, no volume history from before', async () => {
    const b = await open();
    for (const [s, e] of [['2024-01-01', '2024-01-03'], ['2024-01-03', '2024-01-05'], ['2024-01-05', '2024-01-07']]) await b.runWindow(s, e);
    // Its values dropped (as an apply that removed it does), then materialized again: a 1-hour window.
    requestDrops(b.project.state, ['delays']);
    await dropPendingView(b.project, 'delays');
    const again = await b.runWindow('2024-01-07T00:00:00Z', '2024-01-07T01:00:00Z');
    expect(pick(again, 'anomaly', 'volume')[0]?.status ?? 'skipped').not.toBe('warn');
    // No reference: the drift check says so instead of comparing with the runs before the drop.
    expect(pick(again, 'drift').filter((r) => r.status !== 'skipped')).toEqual([]);
    expect(pick(again, 'drift')[0]).toMatchObject({ status: 'skipped', message: expect.stringMatching(/no earlier successful run/) });
  });
});
