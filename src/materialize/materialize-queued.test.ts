/**
 * One materialization of several views runs them one after another: a view's run says `queued` until its work
 * begins, and its `started_at` is when it began, not when the job started.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadDefinitions } from '../definitions/loader.js';
import type { GuardStageInput } from '../guards/stage.js';
import { openOfflineEngine } from '../offline/engine.js';
import { openProject, type Project } from '../project.js';
import { failOrphanedRuns } from '../runs/run-store.js';
import type { Run } from '../runs/types.js';
import { createMaterializeJobs, type MaterializeJob } from '../server/materialize-jobs.js';
import { startMaterialization } from './materialize.js';

const DEFS = `kind: entity
name: thing
join_keys: [{name: id, type: int64}]
---
kind: source
name: things
path: data/things.parquet
timestamp_field: ts
---
kind: feature_view
name: first
entities: [thing]
source: things
online: true
features: [{name: x, type: float64}]
---
kind: feature_view
name: second
entities: [thing]
source: things
online: true
features: [{name: x, type: float64}]
`;

const NO_COUNTS = { pass: 0, warn: 0, fail: 0, error: 0, skipped: 0 };

describe('a materialization of several views', () => {
  let dir: string;
  let project: Project;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'fg-mat-queued-'));
    mkdirSync(join(dir, 'features'));
    mkdirSync(join(dir, 'data'));
    writeFileSync(join(dir, 'featureguard.yaml'), 'project: queued\n');
    writeFileSync(join(dir, 'features', 'defs.yaml'), DEFS);
    await (await openOfflineEngine()).run(`COPY (SELECT * FROM (VALUES (1, TIMESTAMP '2001-01-01 10:00', 0.5), (2, TIMESTAMP '2001-01-01 11:00', 1.5)) AS v(id, ts, x))
      TO '${join(dir, 'data', 'things.parquet')}' (FORMAT parquet)`);
    project = openProject(dir);
    project.registry.apply(loadDefinitions(dir, project.config));
  });
  afterAll(async () => {
    await project.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("starts each view's run when its work begins: the views behind are queued, not running", async () => {
    const seen = new Map<string, Run[]>();
    const guardEnded = new Map<string, number>();
    // The guards of each view take 300 ms; meanwhile every run of the job is read.
    const slow = async (input: GuardStageInput) => {
      seen.set(input.view!.name, handle.runs.map((r) => project.runs.get(r.runId!)));
      await new Promise((res) => setTimeout(res, 300));
      guardEnded.set(input.view!.name, Date.now());
      return { verdict: 'pass' as const, results: [], blockedReason: null, counts: { ...NO_COUNTS } };
    };
    const handle = await startMaterialization(project, { views: ['first', 'second'], start: '2001-01-01', end: '2001-01-02', guardStage: slow });
    expect(handle.runs.map((r) => [r.view, r.status])).toEqual([['first', 'running'], ['second', 'queued']]);
    const [first, second] = await handle.done;
    expect([first.status, second.status]).toEqual(['success', 'success']);

    // While the first view worked, the second's run was queued; then it ran, and the first had finished.
    expect(seen.get('first')!.map((r) => r.status)).toEqual(['running', 'queued']);
    expect(seen.get('second')!.map((r) => r.status)).toEqual(['success', 'running']);
    // Its start is when its work began: after the first view's guards, not with the job.
    expect(Date.parse(second.run!.started_at)).toBeGreaterThanOrEqual(guardEnded.get('first')!);
    expect(Date.parse(second.run!.started_at)).toBeGreaterThanOrEqual(Date.parse(first.run!.finished_at!));
    expect(Date.parse(second.run!.finished_at!) - Date.parse(second.run!.started_at)).toBeLessThan(Date.parse(second.run!.finished_at!) - Date.parse(first.run!.started_at) - 250);
    expect(project.runs.list({ status: 'queued' }).total).toBe(0);
  });

  it('a job (POST /v1/materialize, schedules) shows each view queued until its run starts', async () => {
    const jobs = createMaterializeJobs((o) => startMaterialization(project, o));
    const seen: string[][] = [];
    let id = '';
    const slow = async () => {
      seen.push(jobs.get(id).runs.map((r) => String(r.status)));
      await new Promise((res) => setTimeout(res, 100));
      return { verdict: 'pass' as const, results: [], blockedReason: null, counts: { ...NO_COUNTS } };
    };
    const { job, done } = await jobs.start({ views: ['first', 'second'], start: '2001-01-02', end: '2001-01-03', guardStage: slow }, 'api');
    id = job.id;
    expect(job.runs.map((r) => r.status)).toEqual(['running', 'queued']);
    const end: MaterializeJob = await done;
    // (A job gives each view's verdict when it finishes: the first view says `running` until then.)
    expect(seen).toEqual([['running', 'queued'], ['running', 'running']]);
    expect(end.runs.map((r) => r.status)).toEqual(['success', 'success']);
  });

  it('a view that breaks before its run can record it fails that run and the ones queued behind it, and frees their views', async () => {
    // Before: the runs stayed `running` and `queued` for as long as the process lived (its heartbeat kept them from
    // being orphans), the views behind kept their leases, and the scheduler skipped them at every slot.
    const handle = await startMaterialization(project, {
      views: ['first', 'second'], start: '2001-01-03', end: '2001-01-04',
      onRunStarted: (view) => {
        if (view === 'first') throw new Error('database is locked');
      },
    });
    await expect(handle.done).rejects.toThrow('database is locked');
    const [first, second] = handle.runs.map((r) => project.runs.get(r.runId!));
    expect(first).toMatchObject({ status: 'failed', message: 'failed: database is locked' });
    expect(second).toMatchObject({ status: 'failed', message: "not started: the materialization stopped at view 'first' (database is locked)" });
    // Both views can be materialized again at once: no lease left held.
    const again = await startMaterialization(project, { views: ['first', 'second'], start: '2001-01-03', end: '2001-01-04' });
    expect((await again.done).map((r) => r.status)).toEqual(['warned', 'warned']); // (an empty window: the volume check warns)
  });

  it('runs show and the run page say a queued run is queued, not started or running', async () => {
    const run = project.runs.create({ kind: 'materialize', view: 'second', status: 'queued' });
    try {
      const { formatRunShow } = await import('../cli/commands/quality-format.js');
      const shown = formatRunShow(project.runs.get(run.id), [], [], [], false);
      expect(shown).toContain('status QUEUED');
      expect(shown).toMatch(/\n {2}queued \S/);
      expect(shown).not.toMatch(/\n {2}started (?!by)/);
      const { Verdict } = await import('../server/ui/run-detail-page.js');
      expect(String(Verdict({ run: project.runs.get(run.id), reason: null }))).toContain('<strong>Queued</strong>');
    } finally {
      project.runs.update(run.id, { status: 'failed', finished_at: new Date().toISOString(), message: 'test' });
    }
  });

  it("a killed process's queued runs are failed as its running ones are", () => {
    const run = project.runs.create({ kind: 'materialize', view: 'second', status: 'queued' });
    expect(run.status).toBe('queued');
    expect(project.runs.list({ status: 'queued' }).runs.map((r) => r.id)).toEqual([run.id]);
    project.state.prepare('UPDATE run_owners SET pid = ? WHERE run_id = ?').run(spawnSync(process.execPath, ['-e', '0']).pid, run.id);
    expect(failOrphanedRuns(project.state)).toEqual([run.id]);
    expect(project.runs.get(run.id)).toMatchObject({ status: 'failed', message: expect.stringContaining('stopped before it finished') });
  });
});
