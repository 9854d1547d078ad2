/**
 * A warned run's failed checks are under a warn policy: the CLI text says so ("4 fail (warn policy)"), not a bare
 * "4 fail" that reads as a failed run; and drift_share names the reference it was measured against as the
 * per-feature records do (`run:<id>`, not `previous`). Real DuckDB windows and a real SQLite state db.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { guardBench, pick, type GuardBench } from './helpers.js';
import { formatRunList, formatRunShow } from '../../src/cli/commands/quality-format.js';
import { failCount } from '../../src/runs/count-text.js';
import { WRITTEN_DESPITE_BLOCK } from '../../src/guards/reference.js';

let bench: GuardBench | undefined;
afterEach(async () => {
  await bench?.close();
  bench = undefined;
});

describe('failed checks of a warned run', () => {
  it('runs list and runs show say the failures were under a warn policy; drift_share names the resolved reference', async () => {
    bench = await guardBench();
    const first = await bench.runWindow('2024-01-01', '2024-01-08');
    const g = await bench.runWindow('2024-01-08', '2024-01-15', { transform: 'SELECT * REPLACE (delay * 3 + 20 AS delay) FROM w' });
    expect(g.verdict).toBe('warn');
    const run = bench.project.runs.get(g.runId)!;
    expect(run.status).toBe('warned');
    const fails = run.counts.fail;
    expect(fails).toBeGreaterThan(0);
    const results = bench.project.runs.results(g.runId);
    const row = formatRunList([run], 1, 0, () => results).split('\n')[1];
    expect(row).toContain(`${run.counts.pass}/${run.counts.warn}/${fails} (warn policy)/${run.counts.error}`);
    expect(formatRunShow(run, results, [], [], false)).toContain(`checks: ${run.counts.pass} passed, ${run.counts.warn} warned, ${fails} failed (warn policy), `);

    const [share] = pick(g, 'drift', 'drift_share');
    const [feature] = pick(g, 'drift', undefined, 'delay');
    expect((share.details as { reference: string }).reference).toBe(`run:${first.runId}`);
    expect((share.details as { reference: string }).reference).toBe((feature.details as { reference: string }).reference);
  });

  it('a blocked run, a run without failures and a dataset written despite blocking checks keep the bare count', () => {
    const counts = { pass: 3, warn: 0, fail: 2, error: 0, skipped: 0 };
    expect(failCount({ status: 'warned', message: null, counts }, 'fail')).toBe('2 fail (warn policy)');
    expect(failCount({ status: 'blocked', message: 'schema.type: …', counts }, 'fail')).toBe('2 fail');
    expect(failCount({ status: 'warned', message: `${WRITTEN_DESPITE_BLOCK}: schema.type: …`, counts }, 'fail')).toBe('2 fail');
    expect(failCount({ status: 'warned', message: null, counts: { ...counts, fail: 0 } }, 'failed')).toBe('0 failed');
  });
});
