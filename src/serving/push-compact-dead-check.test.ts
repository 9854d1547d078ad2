/**
 * A compaction and the check runs left `running` (real DuckDB files, the SQLite state database, a process really
 * killed): a `check --view` killed midway leaves its run `running` until something fails it (a CLI command's or
 * an SDK store's opening, serve's sweep). A long-running SDK process compacting meanwhile used to be refused for
 * good (409 `check_running`); a dead check reads nothing, so the compaction merges the files and fails its run.
 * A live check still keeps the compaction off, and a dry run says so.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { formatCompact } from '../cli/commands/compact.js';
import { openPushProject, USER_COUNTS_SEED, USER_COUNTS_YAML, type PushProject } from '../../test/datasets/push-project.js';

const projects: PushProject[] = [];
const dirs: string[] = [];
afterEach(async () => {
  for (const p of projects.splice(0)) await p.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function pushed(name: string): Promise<PushProject> {
  const p = await openPushProject(name, USER_COUNTS_YAML, USER_COUNTS_SEED);
  projects.push(p);
  for (const u of [2, 3, 4]) await p.fs.push({ view: 'v', rows: [{ user_id: u, event_timestamp: '2026-01-02T00:00:00Z', n: u }], to: 'offline' });
  return p;
}

/** Another process begins a check run of view `v` in `projectDir` and is killed (SIGKILL) before finishing it: its id. */
function killedCheck(projectDir: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'fg-killed-check-'));
  dirs.push(dir);
  const child = join(dir, 'child.mts');
  writeFileSync(child, `import { openProject } from ${JSON.stringify(join(import.meta.dirname, '..', 'project.ts'))};
const project = openProject(${JSON.stringify(projectDir)});
const run = project.runs.create({ kind: 'check', view: 'v', window_start: '2026-01-01T00:00:00.000Z', window_end: '2026-01-03T00:00:00.000Z' });
console.log(run.id);
process.kill(process.pid, 'SIGKILL');
`);
  const killed = spawnSync(process.execPath, ['--import', 'tsx', child], { encoding: 'utf8' });
  expect([killed.signal, killed.stderr]).toEqual(['SIGKILL', '']);
  return killed.stdout.trim();
}

describe('compaction with a check run left running', () => {
  it('by a killed process: merges the files (the SDK store opened before the kill) and fails the run', async () => {
    const p = await pushed('compact_dead_check');
    const runId = killedCheck(p.dir);
    expect(p.fs.project.runs.get(runId).status).toBe('running');

    const dry = await p.fs.compact({ dryRun: true });
    expect(dry.groups).toMatchObject([{ status: 'planned', reason: null }]);
    // The dry run changes nothing, in the quality log either.
    expect(p.fs.project.runs.get(runId).status).toBe('running');
    const done = await p.fs.compact();
    expect(done).toMatchObject({ files_merged: 3, files_written: 1, groups: [{ status: 'compacted' }] });
    expect(p.files('s')).toHaveLength(2);
    const failed = p.fs.project.runs.get(runId);
    expect(failed).toMatchObject({ status: 'failed' });
    expect(failed.message).toMatch(/^the process that ran it \(pid \d+ on .*\) stopped before it finished$/);
  });

  it('by a live check: refused (409 check_running), and a dry run says it would be', async () => {
    const p = await pushed('compact_live_check');
    const project = p.fs.project;
    const run = await project.runs.createWhenFree({ kind: 'check', view: 'v', window_start: '2026-01-01T00:00:00.000Z', window_end: '2026-01-03T00:00:00.000Z' });
    const folder = join(p.dir, 'data', 's');

    const dry = await p.fs.compact({ dryRun: true });
    const reason = `a check of feature view 'v' is reading these files now (run ${run.id}): compacting them now is refused (check_running) until it has finished`;
    expect(dry.groups).toMatchObject([{ status: 'planned', reason, code: null }]);
    expect(dry.files_merged).toBe(3);
    expect(formatCompact(dry).split('\n')).toEqual([
      `${folder} (read by v): would merge 3 files (3 push files), but not now: ${reason}`,
      'Dry run: 3 files would be merged; nothing was changed.',
    ]);
    await expect(p.fs.compact()).rejects.toMatchObject({ code: 'check_running', status: 409, details: { run_id: run.id } });
    expect(project.runs.get(run.id).status).toBe('running');

    await project.runs.updateWhenFree(run.id, { status: 'success', finished_at: new Date().toISOString() });
    expect((await p.fs.compact({ dryRun: true })).groups).toMatchObject([{ status: 'planned', reason: null }]);
    expect(await p.fs.compact()).toMatchObject({ files_merged: 3, files_written: 1 });
  });
});
