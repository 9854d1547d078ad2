/**
 * Drift, outlier and null-rate results name the reference they compared with
 * (which kind of run, its short id and window), in the message and in details.
 * Real DuckDB tables and a real state database.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { referenceOf } from '../../src/server/ui/drift-data.js';
import { named, referenceDetails, referenceName, shortTime } from '../../src/guards/checks/reference-label.js';
import { guardBench, pick, type GuardBench } from './helpers.js';

let bench: GuardBench | undefined;
afterEach(async () => {
  await bench?.close();
  bench = undefined;
});

const SHIFT = 'SELECT * REPLACE (delay + 100 AS delay) FROM w';
const short = (id: string) => id.slice(0, 8);

describe('the reference a result names', () => {
  it('a push after a push to a materialized view names the last materialization, its run and window, not "the previous run"', async () => {
    bench = await guardBench();
    const m = await bench.runWindow('2024-01-10', '2024-01-12');
    await bench.runWindow('2024-01-12', '2024-01-14', { kind: 'push' });
    const p = await bench.runWindow('2024-01-14', '2024-01-16', { kind: 'push', transform: SHIFT });
    const [d] = pick(p, 'drift', undefined, 'delay');
    const label = `the last materialization (run ${short(m.runId)}, 2024-01-10 to 2024-01-12)`;
    expect(d.status).toBe('fail');
    expect(d.message).toMatch(new RegExp(`^delay drifted from the last materialization \\(run ${short(m.runId)}, 2024-01-10 to 2024-01-12; \\w+ [0-9.e+-]+ (>=|<) [0-9.]+\\)$`));
    expect(d.details).toMatchObject({ reference: `run:${m.runId}`, reference_run_id: m.runId, reference_run_kind: 'materialize', reference_label: label });
    // The drift page says the same.
    expect(referenceOf(d)).toMatchObject({ runId: m.runId, label });
  });

  it('a materialization names the previous materialization; pushes pooled and previous:<n> name their runs', async () => {
    bench = await guardBench();
    const a = await bench.runWindow('2024-01-01', '2024-01-08');
    const b = await bench.runWindow('2024-01-08', '2024-01-15');
    const [d] = pick(b, 'drift', undefined, 'delay');
    expect(d.message).toMatch(new RegExp(`^delay stable vs the previous materialization \\(run ${short(a.runId)}, 2024-01-01 to 2024-01-08; ks p [0-9.e-]+, psi [0-9.e-]+\\)$`));
    expect(d.details).toMatchObject({ reference_run_kind: 'materialize' });
    await bench.close();

    bench = await guardBench({ quality: { drift: { reference: 'previous:2' } } });
    const w1 = await bench.runWindow('2024-01-01', '2024-01-08');
    const w2 = await bench.runWindow('2024-01-08', '2024-01-15');
    const g = await bench.runWindow('2024-01-15', '2024-01-22', { transform: SHIFT });
    const [pooled] = pick(g, 'drift', undefined, 'delay');
    expect(pooled.message).toMatch(new RegExp(`^delay drifted from the previous 2 materializations \\(newest run ${short(w2.runId)}, windows 2024-01-01 to 2024-01-15; `));
    expect(pooled.details).toMatchObject({ reference_run_ids: [w2.runId, w1.runId], reference_label: `the previous 2 materializations (newest run ${short(w2.runId)}, windows 2024-01-01 to 2024-01-15)` });
    expect(referenceOf(pooled).label).toBe(pooled.details!.reference_label);
  });

  it('runs without a window (pushes through the API) are named by when they were pushed; a pruned run by its id alone', async () => {
    bench = await guardBench();
    const { runs } = bench.project;
    const a = runs.create({ kind: 'push', view: 'delays' });
    const b = runs.create({ kind: 'push', view: 'delays' });
    runs.update(a.id, { status: 'success' });
    const started = (id: string) => shortTime(runs.get(id).started_at);
    const one = { description: 'previous', runId: a.id, pushes: true, profiles: new Map() };
    expect(named(referenceName({ project: bench.project, kind: 'push' }, one))).toBe(`the previous push (run ${short(a.id)}, pushed ${started(a.id)})`);
    const two = { description: 'previous:2', runId: b.id, runIds: [b.id, a.id], pushes: true, profiles: new Map() };
    expect(named(referenceName({ project: bench.project, kind: 'push' }, two))).toBe(`the previous 2 pushes (newest run ${short(b.id)}, pushed ${started(a.id)} to ${started(b.id)})`);
    const gone = { description: 'previous', runId: '0123456789abcdef', profiles: new Map() };
    expect(referenceDetails({ project: bench.project, kind: 'check' }, gone)).toEqual({
      reference: 'run:0123456789abcdef', reference_run_id: '0123456789abcdef', reference_run_kind: 'materialize', reference_label: 'the last materialization (run 01234567)',
    });
    expect(shortTime('2024-01-10T00:00:00.000Z')).toBe('2024-01-10');
    expect(shortTime('2024-01-10T14:30:00.000Z')).toBe('2024-01-10 14:30 UTC');
    expect(shortTime('2024-01-10T14:30:05.250Z')).toBe('2024-01-10 14:30:05 UTC');
  });

  it('a pinned baseline names the run it was pinned from', async () => {
    bench = await guardBench();
    const jan = await bench.runWindow('2024-01-01', '2024-01-08');
    const { pinBaseline } = await import('../../src/guards/baselines.js');
    pinBaseline(bench.project, { name: 'jan', view: 'delays', fromRun: jan.runId });
    const g = await bench.runWindow('2024-01-08', '2024-01-15', { transform: SHIFT });
    const [d] = pick(g, 'drift', undefined, 'delay');
    expect(d.message).toMatch(new RegExp(`^delay drifted from baseline 'jan' \\(pinned from run ${short(jan.runId)}, 2024-01-01 to 2024-01-08; `));
    expect(d.details).toMatchObject({ reference: 'baseline:jan', reference_run_id: jan.runId, reference_run_kind: 'materialize' });
  });

  it('outlier and null-rate results name their reference in the message and details', async () => {
    bench = await guardBench();
    const m = await bench.runWindow('2024-01-01', '2024-01-08');
    const g = await bench.runWindow('2024-01-08', '2024-01-15', {
      transform: 'SELECT * REPLACE (CASE WHEN hour(event_timestamp) % 3 = 0 THEN delay * 1000 ELSE delay END AS delay, CASE WHEN hour(event_timestamp) % 2 = 0 THEN NULL ELSE carrier END AS carrier) FROM w',
    });
    const where = `the previous materialization (run ${short(m.runId)}, 2024-01-01 to 2024-01-08`;
    const details = { reference: `run:${m.runId}`, reference_run_id: m.runId, reference_run_kind: 'materialize' };
    const [outliers] = pick(g, 'anomaly', 'outliers', 'delay');
    expect(outliers.status).toBe('warn');
    expect(outliers.message).toBe(`delay outlier rate ${Number(outliers.value!.toPrecision(3))} vs 0 in ${where}; more than 3x and above 1%)`);
    expect(outliers.details).toMatchObject(details);
    const [nulls] = pick(g, 'anomaly', 'null_rate', 'carrier');
    expect(nulls.status).toBe('warn');
    expect(nulls.message).toBe(`carrier null rate (NULL, NaN, ±Inf) 0.5 vs 0 in ${where}; jump 0.5 > 0.1)`);
    expect(nulls.details).toMatchObject(details);
  });
});
