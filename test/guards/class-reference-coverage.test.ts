/**
 * Which dataset builds the class imbalance check takes as its class reference, given their label coverage results
 * (`class_imbalance.labelled_rows`), on a real SQLite state db: a build whose part had labels but under
 * `min_labelled_share` still has its classes and stays eligible (builds that always sit under the share would
 * otherwise have no class reference, and a vanished class would go unnoticed); a part without a label, or a
 * failed imbalance result, passes the build over.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { failedIn, previousRuns } from '../../src/guards/reference.js';
import { openProject, type Project } from '../../src/project.js';
import type { CheckResult } from '../../src/runs/types.js';

let project: Project | undefined;
let dir: string | undefined;
afterEach(async () => {
  await project?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
  project = dir = undefined;
});

const result = (run_id: string, method: string, status: CheckResult['status'], labelled: number): CheckResult => ({
  run_id, check: 'class_imbalance', feature: 'fraud', slice: null, status, policy: 'warn', method, value: null, thresholds: null,
  metrics: method === 'labelled_rows' ? { rows: 10, labelled_rows: labelled, labelled_share: labelled / 10 } : null, message: 'm', details: null,
});

/** A finished dataset build of service svc with `results` and a profile (reference-eligible otherwise). */
async function build(p: Project, results: (id: string) => CheckResult[]): Promise<string> {
  const run = p.runs.create({ kind: 'dataset', service: 'svc' });
  await p.runs.addResults(results(run.id));
  await p.runs.addProfiles(run.id, [{ column: 'fraud', profile: {} }]);
  p.runs.update(run.id, { status: 'warned', rows_in: 10, finished_at: new Date().toISOString() });
  return run.id;
}

describe('class reference and label coverage', () => {
  it('keeps a build whose part was under the share but labelled; passes over one with an unlabelled part or a failed imbalance', async () => {
    dir = mkdtempSync(join(tmpdir(), 'fg-classref-'));
    writeFileSync(join(dir, 'featureguard.yaml'), 'project: classref\n');
    project = openProject(dir);
    const p = project;
    const under = await build(p, (id) => [result(id, 'imbalance', 'pass', 0), result(id, 'labelled_rows', 'fail', 4)]);
    const none = await build(p, (id) => [result(id, 'imbalance', 'skipped', 0), result(id, 'labelled_rows', 'fail', 0)]);
    const lost = await build(p, (id) => [result(id, 'imbalance', 'fail', 0), result(id, 'labelled_rows', 'pass', 10)]);
    const q = { service: 'svc', runId: 'current', minRows: 1, notFailed: { check: 'class_imbalance', feature: 'fraud' } };
    expect(previousRuns(p.runs.db, q, 'dataset', 10)).toEqual([under]);
    expect([under, none, lost].map((id) => failedIn(p.runs.db, [id], 'class_imbalance', 'fraud'))).toEqual([false, true, true]);
  });
});
