/**
 * Age drift with `reference: previous:3` right after the upgrade that added age profiles, through real
 * materializations (DuckDB source, SQLite quality log): the two older runs' stored profiles have no age (as
 * profiles stored before the upgrade), the newest has. A stall of the upstream job used to go unseen (the whole
 * pool skipped: "the previous 3 materializations (…) predate age profiles"); it is compared against the run with ages.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { materialize } from '../materialize/materialize.js';
import type { CheckResult } from '../runs/types.js';
import { guardBench, type GuardBench } from '../../test/guards/helpers.js';

let bench: GuardBench | undefined;
afterEach(async () => {
  await bench?.close();
  bench = undefined;
});

/** Hourly rows over January 2024; the last departure is 0–40 minutes before each row's hour until it stalls on Jan 15. */
const SOURCE = `SELECT ['SEA','JFK','LAX'][1 + (i % 3)] AS airport, TIMESTAMP '2024-01-01' + INTERVAL (i) HOUR AS ts,
    TIMESTAMP '2024-01-01' + INTERVAL (i) HOUR + INTERVAL 5 MINUTE AS created,
    least(TIMESTAMP '2024-01-01' + INTERVAL (i) HOUR, TIMESTAMP '2024-01-15') - INTERVAL (hash(i) % 2400) SECOND AS last_departure_at,
    (i % 17)::DOUBLE AS delay
  FROM range(24 * 31) r(i)`;

const ageDrift = (checks: readonly CheckResult[]) => checks.filter((c) => c.check === 'drift' && c.feature === 'last_departure_at' && c.slice === null);

describe('age drift against previous:3 right after the upgrade', () => {
  it('compares against the runs with age profiles when they hold min_rows values', async () => {
    bench = await guardBench({ features: [{ name: 'last_departure_at', type: 'timestamp' }, { name: 'delay', type: 'float64' }], viewQuality: { drift: { reference: 'previous:3' } } });
    await bench.writeSource(SOURCE);
    const project = bench.project;
    const runs = [];
    for (const [start, end] of [['2024-01-07', '2024-01-09'], ['2024-01-09', '2024-01-11'], ['2024-01-11', '2024-01-13']]) {
      const [r] = await materialize(project, { start, end, views: ['delays'] });
      expect(r.status, r.message ?? '').toBe('success');
      runs.push(r.run!.id);
    }
    // The two older runs as a version before age profiles stored them.
    project.state.prepare(`UPDATE profiles SET profile = json_remove(profile, '$.age') WHERE "column" = 'last_departure_at' AND run_id IN (?, ?)`).run(runs[0], runs[1]);
    expect(project.runs.profile(runs[0], 'last_departure_at')).not.toHaveProperty('age');
    expect(project.runs.profile(runs[2], 'last_departure_at')).toHaveProperty('age');

    const [stalled] = await materialize(project, { start: '2024-01-15', end: '2024-01-17', views: ['delays'] });
    const [d] = ageDrift(stalled.checks);
    expect([d.status, d.message]).toEqual(['fail', expect.stringMatching(/^last_departure_at \(age: event time − value\) drifted from the 1 of the previous 3 materializations with age profiles \(newest run [0-9a-f]{8}, windows 2024-01-07 to 2024-01-13; /)]);
    expect(d.details).toMatchObject({ basis: 'age_seconds', reference: 'previous:3', reference_run_ids: [...runs].reverse(), reference_age_runs: 1, reference_age_run_ids: [runs[2]], n_ref: 48 });
  });
});
