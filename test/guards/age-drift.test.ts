/**
 * Drift of a timestamp feature is measured on its age at the row's event time (event time − value): an upstream
 * job that stalls (its `last_departure_at` stops moving, the ages grow) drifts, through a real materialization
 * (DuckDB source, SQLite quality log), and warns or blocks per the drift policy; the stored age profile matches a
 * TypeScript computation of event time − value on the window's source rows.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { materialize } from '../../src/materialize/materialize.js';
import { getHistoricalFeatures } from '../../src/offline/historical.js';
import { literal } from '../../src/offline/engine.js';
import type { ColumnProfile } from '../../src/guards/profile-types.js';
import type { CheckResult } from '../../src/runs/types.js';
import { guardBench, type BenchOptions, type GuardBench } from './helpers.js';

let bench: GuardBench | undefined;
afterEach(async () => {
  await bench?.close();
  bench = undefined;
});

/**
 * 3 airports hourly over January 2024; the last departure is 0–40 minutes before each row's hour until the
 * upstream job stalls on Jan 15: from then on it stays at Jan 15 00:00 (minus the same 0–40 minutes).
 */
const SOURCE = `SELECT ['SEA','JFK','LAX'][1 + (i % 3)] AS airport, TIMESTAMP '2024-01-01' + INTERVAL (i) HOUR AS ts,
    TIMESTAMP '2024-01-01' + INTERVAL (i) HOUR + INTERVAL 5 MINUTE AS created,
    least(TIMESTAMP '2024-01-01' + INTERVAL (i) HOUR, TIMESTAMP '2024-01-15') - INTERVAL (hash(i) % 2400) SECOND AS last_departure_at,
    (i % 17)::DOUBLE AS delay
  FROM range(24 * 31) r(i)`;

async function open(o: Partial<BenchOptions> = {}): Promise<GuardBench> {
  bench = await guardBench({ features: [{ name: 'last_departure_at', type: 'timestamp' }, { name: 'delay', type: 'float64' }], ...o });
  await bench.writeSource(SOURCE);
  return bench;
}

const week = (start: string, end: string) => ({ start, end, views: ['delays'] });
const ageDrift = (checks: readonly CheckResult[]) => checks.filter((c) => c.check === 'drift' && c.feature === 'last_departure_at' && c.slice === null);

describe('a timestamp feature whose upstream stalls', () => {
  it('drifts on its age: the materialization warns (drift policy warn), the weeks before pass', async () => {
    const b = await open();
    const [w1] = await materialize(b.project, week('2024-01-01', '2024-01-08'));
    expect(w1.status, w1.message ?? '').toBe('success');
    const [w2] = await materialize(b.project, week('2024-01-08', '2024-01-15'));
    const [d2] = ageDrift(w2.checks);
    expect([w2.status, d2.status, d2.message], w2.message ?? '').toEqual(['success', 'pass', expect.stringMatching(/^last_departure_at \(age: event time − value\) stable vs the previous materialization \(run [0-9a-f]{8}, /)]);
    const [w3] = await materialize(b.project, week('2024-01-15', '2024-01-22'));
    const [d3] = ageDrift(w3.checks);
    expect([w3.status, d3.status, d3.policy, d3.message]).toEqual(['warned', 'fail', 'warn', expect.stringMatching(/^last_departure_at \(age: event time − value\) drifted from the previous materialization \(run [0-9a-f]{8}, /)]);
    expect(d3.details).toMatchObject({ basis: 'age_seconds', reference: `run:${w2.run!.id}` });
    // A week of stalling: the mean age grew by about 3.5 days.
    expect((d3.metrics!.mean_cur! - d3.metrics!.mean_ref!) / 86400).toBeCloseTo(3.5, 1);

    // The stored age profile is event time − value of the window's source rows (computed here in TypeScript).
    const stored = b.project.runs.profile(w3.run!.id, 'last_departure_at') as ColumnProfile;
    const r = await b.conn.runAndReadAll(`SELECT ts::VARCHAR AS e, last_departure_at::VARCHAR AS v FROM read_parquet(${literal(join(b.dir, 'data', 'rows.parquet'))})
      WHERE ts >= TIMESTAMP '2024-01-15' AND ts < TIMESTAMP '2024-01-22'`);
    const ms = (t: string) => Date.parse(`${t.replace(' ', 'T')}Z`);
    const ages = (r.getRowObjectsJS() as { e: string; v: string }[]).map((x) => (ms(x.e) - ms(x.v)) / 1000).sort((a, b) => a - b);
    expect(ages).toHaveLength(24 * 7);
    expect(stored.age).toMatchObject({ kind: 'numeric', count: 24 * 7, nulls: 0, min: ages[0], max: ages[ages.length - 1] });
    expect([...(stored.age!.sample as number[])].sort((a, b) => a - b)).toEqual(ages);
    expect(stored.age!.quantiles!.p50).toBeCloseTo((ages[83] + ages[84]) / 2, 6);
  });

  it('blocks the write when the drift policy blocks; a feature whose ages keep their distribution does not drift', async () => {
    const b = await open({ viewQuality: { drift: { policy: 'block' } } });
    const [w1] = await materialize(b.project, week('2024-01-01', '2024-01-08'));
    expect(w1.status, w1.message ?? '').toBe('success');
    const [w3] = await materialize(b.project, week('2024-01-15', '2024-01-22'));
    expect([w3.status, w3.entitiesWritten]).toEqual(['blocked', 0]);
    expect(w3.message).toMatch(/last_departure_at \(age: event time − value\) drifted/);
    expect(ageDrift(w3.checks).map((c) => c.status)).toEqual(['fail']);
  });

  it('ages a dataset build\'s feature at each entity row\'s event_timestamp: two builds an hour and a week after the rows', async () => {
    const b = await open({ services: [{ kind: 'feature_service', name: 'svc', features: ['delays'] }] });
    // Entity rows of Jan 2–12, asked at the hour (the point-in-time row is that hour's), then 7 days later
    // than the last departure (the source stalled on Jan 15: the rows of Jan 16–26 get ages that grow).
    const entities = (day0: number) => Array.from({ length: 240 }, (_, i) => ({ airport: ['SEA', 'JFK', 'LAX'][i % 3], event_timestamp: new Date(Date.UTC(2024, 0, day0, i + 1)).toISOString() }));
    const first = await getHistoricalFeatures(b.project, { entities: entities(2), service: 'svc', allowFailedChecks: true });
    const second = await getHistoricalFeatures(b.project, { entities: entities(16), service: 'svc', allowFailedChecks: true });
    for (const ds of [first, second]) {
      const stored = b.project.runs.profile(ds.run.id, 'last_departure_at') as ColumnProfile;
      const t = ds.table!;
      const evt = t.getChild('event_timestamp')!.toArray() as ArrayLike<number | bigint>;
      const seen = t.getChild('last_departure_at')!.toArray() as ArrayLike<number | bigint>;
      // Arrow timestamps of the dataset (their unit from the schema), in TypeScript.
      const unit = (name: string) => ({ 0: 1, 1: 1e3, 2: 1e6, 3: 1e9 } as Record<number, number>)[(t.schema.fields.find((f) => f.name === name)!.type as { unit: number }).unit];
      const ages = Array.from({ length: t.numRows }, (_, i) => Number(evt[i]) / unit('event_timestamp') - Number(seen[i]) / unit('last_departure_at')).sort((a, b) => a - b);
      expect(stored.age).toMatchObject({ kind: 'numeric', count: 240, nulls: 0, min: ages[0], max: ages[ages.length - 1] });
      expect([...(stored.age!.sample as number[])].sort((a, b) => a - b)).toEqual(ages);
    }
    const [d] = second.checks.results.filter((r) => r.check === 'drift' && r.feature === 'last_departure_at');
    expect([d.status, d.details?.basis, d.message]).toEqual(['fail', 'age_seconds', expect.stringMatching(/^last_departure_at \(age: event time − value\) drifted from the previous dataset build \(run [0-9a-f]{8}, built /)]);
  });

  it('keeps no ages of a timestamp declared pii: true (event time − a birth date is the birth date): skipped, stored masked', async () => {
    const b = await open({ features: [{ name: 'last_departure_at', type: 'timestamp', pii: true }, { name: 'delay', type: 'float64' }] });
    await materialize(b.project, week('2024-01-01', '2024-01-08'));
    const [w3] = await materialize(b.project, week('2024-01-15', '2024-01-22'));
    const [d] = ageDrift(w3.checks);
    expect([d.status, d.message]).toEqual(['skipped', 'last_departure_at (age: event time − value): not compared: the column holds personal data, whose profiles keep no values']);
    const stored = b.project.runs.profile(w3.run!.id, 'last_departure_at') as ColumnProfile;
    expect(stored.age).toMatchObject({ masked: true, sample: [], quantiles: null, histogram: null, deciles: null, min: null, max: null, count: 24 * 7 });
  });
});
