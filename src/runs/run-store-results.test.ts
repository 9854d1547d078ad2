/**
 * `results(runId, statuses)`: the runs page and `runs list` read only the results a warned run's reason is picked
 * from (a regression review measured the page 3-5x slower when it parsed every result of every warned run). The
 * filtered read must hold exactly the results of those statuses, in check order, and the reason built from it must
 * be the one built from all results.
 */
import fc from 'fast-check';
import { expect, it } from 'vitest';
import { tempStateDb } from '../../test/helpers/state-db.js';
import { REASON_STATUSES, runReason } from './run-reason.js';
import { openRunStore } from './run-store.js';
import type { CheckResult, CheckStatus } from './types.js';

const { db } = tempStateDb('run-store-results');
const STATUSES: CheckStatus[] = ['pass', 'warn', 'fail', 'error', 'skipped'];

it('reads the results of the given statuses only, in check order, and the reason is the same as from all of them', async () => {
  const runs = openRunStore(db);
  await fc.assert(
    fc.asyncProperty(fc.array(fc.record({ status: fc.constantFrom(...STATUSES), policy: fc.constantFrom('warn', 'block') }), { maxLength: 12 }), async (specs) => {
      const run = runs.create({ kind: 'materialize', view: 'v' });
      const results = specs.map((s, i) => ({ run_id: run.id, check: `c${i}`, feature: `f${i}`, slice: null, status: s.status, policy: s.policy, method: null, value: null, thresholds: null, metrics: null, message: `m${i}`, details: null }) as unknown as CheckResult);
      await runs.addResults(results);
      const all = runs.results(run.id);
      expect(runs.results(run.id, REASON_STATUSES).map((r) => r.check)).toEqual(all.filter((r) => REASON_STATUSES.includes(r.status)).map((r) => r.check));
      expect(runs.results(run.id, [])).toEqual([]);
      const counts = { pass: 0, warn: 0, fail: 0, error: 0, skipped: 0 };
      for (const s of specs) counts[s.status]++;
      for (const status of ['warned', 'blocked', 'failed'] as const) {
        const r = { ...run, status, message: null, counts };
        expect(runReason(r, runs.results(run.id, REASON_STATUSES))).toEqual(runReason(r, all));
      }
    }),
    { numRuns: 100 },
  );
});
