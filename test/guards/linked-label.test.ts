/**
 * Target leakage on a label-linked feature view: the label joined point-in-time
 * onto a sample of the view's own rows in the guard stage of a materialization.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { defineEntity, defineFeatureService, defineFeatureView, defineSource } from '../../src/definitions/define.js';
import { guardBench, pick, type GuardBench } from './helpers.js';

let bench: GuardBench | undefined;
afterEach(async () => {
  await bench?.close();
  bench = undefined;
});

/** Apply extra definitions next to the bench's own. */
function applyMore(b: GuardBench, defs: Parameters<GuardBench['project']['registry']['apply']>[0]): void {
  const set = b.project.registry.current();
  b.project.registry.apply([...set.entities.values(), ...set.sources.values(), ...set.views.values(), ...set.services.values(), ...defs]);
}

describe('target leakage on label-linked views', () => {
  it('fails a feature that is the label of a service consuming the view; other features pass', async () => {
    bench = await guardBench({ features: [{ name: 'delay', type: 'float64' }, { name: 'carrier', type: 'string' }] });
    applyMore(bench, [
      // The label is the delay itself, read from the same source rows: `delays:delay` leaks it.
      defineFeatureView({ name: 'outcome', role: 'label', entities: ['airport'], source: 'rows', online: false, features: [{ name: 'delay', type: 'float64' }] }),
      defineFeatureService({ name: 'model', features: ['delays:delay', 'delays:carrier'], label: 'outcome:delay' }),
    ]);
    const g = await bench.runWindow('2024-01-01', '2024-01-08');
    const leak = pick(g, 'leakage', 'target', 'delay')[0];
    expect(leak, JSON.stringify(g.results.filter((r) => r.check === 'leakage'))).toMatchObject({ status: 'fail', policy: 'warn' });
    expect(leak.value).toBeCloseTo(1, 9);
    expect(leak.details).toMatchObject({ label: 'outcome:delay', label_view: 'outcome', services: ['model'], sampled_rows: 24 * 7 });
    expect(leak.message).toMatch(/label outcome:delay via model/);
    expect(pick(g, 'leakage', 'target', 'carrier')[0].status).toBe('pass');
    expect(g.verdict).toBe('warn');
  });

  it('joins the label as of each row: a label known only a day later does not count', async () => {
    bench = await guardBench();
    // The label of each row is its own delay, but it is recorded a day after the row (an outcome known later).
    const file = join(bench.dir, 'data', 'labels.parquet');
    await bench.conn.run(`COPY (SELECT airport, ts + INTERVAL 1 DAY AS ts, delay FROM read_parquet('${join(bench.dir, 'data', 'rows.parquet')}')) TO '${file}' (FORMAT parquet)`);
    applyMore(bench, [
      defineSource({ name: 'labels', path: 'data/labels.parquet', timestamp_field: 'ts' }),
      defineFeatureView({ name: 'outcome', role: 'label', entities: ['airport'], source: 'labels', online: false, features: [{ name: 'delay', type: 'float64' }] }),
      defineFeatureService({ name: 'model', features: ['delays:delay'], label: 'outcome:delay' }),
    ]);
    // As of each row the newest known label is the same airport's delay of about a day earlier: unrelated (iid).
    const g = await bench.runWindow('2024-01-05', '2024-01-12');
    const leak = pick(g, 'leakage', 'target', 'delay')[0];
    expect(leak.status).toBe('pass');
    expect(leak.value!).toBeLessThan(0.3);
    expect(leak.details).toMatchObject({ sampled_rows: 24 * 7 });
    // Joined on the event time instead (no point in time), the same label would be the feature itself.
    const same = await bench.conn.runAndReadAll(`SELECT count(*) AS n FROM read_parquet('${file}') l JOIN read_parquet('${join(bench.dir, 'data', 'rows.parquet')}') r ON l.airport = r.airport AND l.ts = r.ts + INTERVAL 1 DAY AND l.delay = r.delay`);
    expect(Number(same.getRowObjectsJS()[0].n)).toBeGreaterThan(0);
  });

  it('does not judge a handful of rows: below min_rows the check is skipped', async () => {
    bench = await guardBench();
    applyMore(bench, [
      defineFeatureView({ name: 'outcome', role: 'label', entities: ['airport'], source: 'rows', online: false, features: [{ name: 'delay', type: 'float64' }] }),
      defineFeatureService({ name: 'model', features: ['delays:delay'], label: 'outcome:delay' }),
    ]);
    // Six hours, one row an hour: 6 rows.
    const g = await bench.runWindow('2024-01-01T00:00:00Z', '2024-01-01T06:00:00Z');
    const r = pick(g, 'leakage', 'target')[0];
    expect(r.status).toBe('skipped');
    expect(r.message).toMatch(/6 row\(s\) < min_rows 30/);
  });

  it('counts only rows that have a label as of their time toward min_rows', async () => {
    bench = await guardBench();
    // Labels for three rows only.
    const file = join(bench.dir, 'data', 'labels.parquet');
    await bench.conn.run(`COPY (SELECT airport, ts, delay FROM read_parquet('${join(bench.dir, 'data', 'rows.parquet')}') WHERE ts >= TIMESTAMP '2024-01-07 21:00' AND ts < TIMESTAMP '2024-01-08') TO '${file}' (FORMAT parquet)`);
    applyMore(bench, [
      defineSource({ name: 'labels', path: 'data/labels.parquet', timestamp_field: 'ts' }),
      defineFeatureView({ name: 'outcome', role: 'label', entities: ['airport'], source: 'labels', online: false, features: [{ name: 'delay', type: 'float64' }] }),
      defineFeatureService({ name: 'model', features: ['delays:delay'], label: 'outcome:delay' }),
    ]);
    const g = await bench.runWindow('2024-01-01', '2024-01-08');
    const r = pick(g, 'leakage', 'target')[0];
    expect(r.status).toBe('skipped');
    expect(r.message).toMatch(/only 3 sampled row\(s\) have a label outcome:delay/);
  });

  it('is skipped with the reason when the label is about another entity', async () => {
    bench = await guardBench();
    applyMore(bench, [
      defineEntity({ name: 'flight', join_keys: [{ name: 'flight_id', type: 'int64' }] }),
      defineFeatureView({ name: 'outcome', role: 'label', entities: ['flight'], source: 'rows', online: false, features: [{ name: 'delay', type: 'float64' }] }),
      defineFeatureService({ name: 'model', features: ['delays:delay'], label: 'outcome:delay' }),
    ]);
    const g = await bench.runWindow('2024-01-01', '2024-01-08');
    const r = pick(g, 'leakage', 'target')[0];
    expect(r.status).toBe('skipped');
    expect(r.message).toMatch(/keyed by flight_id; the rows of delays lack flight_id/);
  });
});
