/**
 * Why the history page left a push out is read from the reason code the drift check records in a skipped record's
 * `details.reason`, not from its message: a rewording of the drift check's messages must not move a push from
 * "too few values" or "no reference yet" to "not measured". Records stored before the code (no `details.reason`)
 * are still read by their message. Real pushes through the guard stage into a fresh project (DuckDB profiles, the
 * SQLite quality log).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openProject, type Project } from '../../src/project.js';
import { featureHistoryLeftOut } from '../../src/server/ui/history-data.js';
import { push } from '../../src/serving/push.js';
import { airport, service, source, viewV2 } from './fixture.js';

let dir: string;
let project: Project;
const runs: Record<string, string> = {};

/** `n` rows of airport_hourly, one per airport, at `at` (minutes from now, negative: earlier). */
function rows(n: number, at: number) {
  const ts = new Date(Date.now() + at * 60_000).toISOString();
  return Array.from({ length: n }, (_, i) => ({ origin: `A${String(i).padStart(2, '0')}`, event_timestamp: ts, departures: 10 + i, mean_delay: 5 + (i % 7) * 3.5, share_delayed: 0.3 }));
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'fg-ui-reason-'));
  writeFileSync(join(dir, 'featureguard.yaml'), 'project: reason\ndefinitions: features\n');
  project = openProject(dir);
  project.registry.apply([airport, source, viewV2, service]);
  // A first push of 40 rows: no reference yet. Then two of 5 rows: too few values to compare.
  runs.first = (await push(project, { view: 'airport_hourly', rows: rows(40, -30) })).run_id;
  runs.small = (await push(project, { view: 'airport_hourly', rows: rows(5, -20) })).run_id;
  runs.old = (await push(project, { view: 'airport_hourly', rows: rows(5, -10) })).run_id;
}, 60_000);
afterAll(async () => {
  await project?.close();
  rmSync(dir, { recursive: true, force: true });
});

const drift = (id: string) => project.runs.results(id).filter((r) => r.check === 'drift' && r.slice === null);

describe('the reason a push was left out of the history', () => {
  it('is recorded as a code in the skipped drift records', () => {
    expect(drift(runs.first).map((r) => [r.feature, r.status, (r.details as { reason?: string } | null)?.reason])).toEqual([[null, 'skipped', 'no_reference']]);
    const small = drift(runs.small).filter((r) => r.feature === 'mean_delay');
    expect(small.map((r) => [r.status, r.message, (r.details as { reason?: string }).reason])).toEqual([
      ['skipped', 'mean_delay: 5 value(s) < min_rows 30, too few to compare', 'min_rows'],
    ]);
    // The reference is still named beside the code.
    expect(small[0].details).toMatchObject({ reference_kind: 'push' });
  });

  it('is read from the code, whatever the message says; a record stored before the code by its message', () => {
    const before = featureHistoryLeftOut(project, 'airport_hourly', 'mean_delay');
    expect(before).toEqual(new Map([['no_reference', 1], ['min_rows', 2]]));
    // The drift check's messages reworded: the page must not notice.
    const reword = project.state.prepare(`UPDATE check_results SET record = json_set(record, '$.message', 'reworded: ' || ?) WHERE run_id = ? AND "check" = 'drift'`);
    reword.run('few values', runs.small);
    reword.run('nothing to compare against', runs.first);
    // A record of an earlier version: no code, the message it had then.
    project.state.prepare(`UPDATE check_results SET record = json_remove(record, '$.details.reason') WHERE run_id = ? AND "check" = 'drift'`).run(runs.old);
    expect(drift(runs.old).find((r) => r.feature === 'mean_delay')!.details).not.toHaveProperty('reason');
    expect(featureHistoryLeftOut(project, 'airport_hourly', 'mean_delay')).toEqual(new Map([['no_reference', 1], ['min_rows', 2]]));
    // An old record whose message says neither: not measured (as before).
    project.state.prepare(`UPDATE check_results SET record = json_set(record, '$.message', 'something else') WHERE run_id = ? AND "check" = 'drift'`).run(runs.old);
    expect(featureHistoryLeftOut(project, 'airport_hourly', 'mean_delay')).toEqual(new Map([['no_reference', 1], ['min_rows', 1], ['not_measured', 1]]));
  });
});
