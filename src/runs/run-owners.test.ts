import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../../test/cli/cli-io.js';
import { tempStateDb } from '../../test/helpers/state-db.js';
import { openProject } from '../project.js';
import { openFeatureStore } from '../sdk/feature-store.js';
import Database from 'better-sqlite3';
import { failOrphanedRuns, openRunStore, ORPHAN_AFTER_MS, ORPHAN_CANDIDATES_SQL, takeDueAlerts } from './run-store.js';

const { db, file } = tempStateDb('run-owners');

describe('failOrphanedRuns', () => {
  it('reads the owners (a row per running run), not the whole runs table', () => {
    openRunStore(db);
    // Before: "SCAN r" (every run ever), then the owners by key.
    const plan = (db.prepare(`EXPLAIN QUERY PLAN ${ORPHAN_CANDIDATES_SQL}`).all() as { detail: string }[]).map((p) => p.detail);
    expect(plan).toEqual(['SCAN o', 'SEARCH r USING INDEX sqlite_autoindex_runs_1 (id=?)']);
  });

  it("fails the running runs of this host's dead processes, and only those", () => {
    const runs = openRunStore(db);
    const dead = runs.create({ kind: 'dataset', service: 's' });
    const mine = runs.create({ kind: 'push', view: 'v' });
    const elsewhere = runs.create({ kind: 'check', view: 'v' });
    const finished = runs.update(runs.create({ kind: 'dataset', service: 's' }).id, { status: 'success', finished_at: new Date().toISOString() });
    const deadPid = spawnSync(process.execPath, ['-e', '0']).pid;
    db.prepare('UPDATE run_owners SET pid = ? WHERE run_id = ?').run(deadPid, dead.id);
    // Another host (or pid namespace): its pid means nothing here.
    db.prepare('UPDATE run_owners SET pid = ?, host = ? WHERE run_id = ?').run(deadPid, `${hostname()}-other/pid:1`, elsewhere.id);
    expect(failOrphanedRuns(db)).toEqual([dead.id]);
    expect(runs.get(dead.id)).toMatchObject({ status: 'failed', message: expect.stringMatching(new RegExp(`^the process that ran it \\(pid ${deadPid} on .*\\) stopped before it finished$`)) });
    expect([runs.get(mine.id).status, runs.get(elsewhere.id).status, runs.get(finished.id).status]).toEqual(['running', 'running', 'success']);
    expect(failOrphanedRuns(db)).toEqual([]);
    for (const r of [mine, elsewhere]) runs.update(r.id, { status: 'success', finished_at: new Date().toISOString() });
  });

  it("fails another host's (or pid namespace's) running runs by their heartbeat, silent for more than 5 minutes", () => {
    const runs = openRunStore(db);
    const stale = runs.create({ kind: 'dataset', service: 's' });
    const fresh = runs.create({ kind: 'push', view: 'v' });
    const old = runs.create({ kind: 'check', view: 'v' });
    const now = Date.now();
    const other = (id: string, beatAt: number | null) =>
      db.prepare('UPDATE run_owners SET pid = 1, host = ?, beat_at = ? WHERE run_id = ?').run(`${hostname()}/pid:4026532999`, beatAt, id);
    other(stale.id, now - ORPHAN_AFTER_MS - 1);
    other(fresh.id, now - ORPHAN_AFTER_MS + 1_000);
    other(old.id, null); // a version without heartbeats: cannot be judged
    expect(failOrphanedRuns(db, now)).toEqual([stale.id]);
    expect(runs.get(stale.id)).toMatchObject({
      status: 'failed',
      message: expect.stringMatching(/^the process that ran it \(pid 1 on .*\/pid:4026532999\) stopped before it finished: it last said it was alive at .*, more than 5 minutes ago$/),
    });
    expect([runs.get(fresh.id).status, runs.get(old.id).status]).toEqual(['running', 'running']);
    for (const r of [fresh, old]) runs.update(r.id, { status: 'success', finished_at: new Date().toISOString() });
  });

});

describe('opening a project fails the runs of dead processes', () => {
  // A project used only from the CLI or the SDK (no `serve`) would otherwise keep a killed build `running` for
  // good: listed as running, and kept by `runs prune`.
  const orphan = (dir: string): string => {
    const project = openProject(dir);
    try {
      const run = project.runs.create({ kind: 'dataset', service: 's' });
      project.state.prepare('UPDATE run_owners SET pid = ? WHERE run_id = ?').run(spawnSync(process.execPath, ['-e', '0']).pid, run.id);
      return run.id;
    } finally {
      void project.close();
    }
  };
  const root = mkdtempSync(join(tmpdir(), 'fg-orphans-'));
  writeFileSync(join(root, 'featureguard.yaml'), 'project: orphans\n');
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('in the CLI (any command) and in openFeatureStore', async () => {
    const viaCli = orphan(root);
    const listed = await runCli(['--project', root, '--json', 'runs', 'list']);
    expect(listed.code).toBe(0);
    expect(JSON.parse(listed.out).runs).toEqual([expect.objectContaining({ id: viaCli, status: 'failed', message: expect.stringContaining('stopped before it finished') })]);

    const viaSdk = orphan(root);
    const store = await openFeatureStore(root);
    try {
      expect(store.runs.get(viaSdk)).toMatchObject({ status: 'failed' });
    } finally {
      await store.close();
    }
  });
});

describe('a state database of an earlier version opened read-only', () => {
  it('lists its runs (the table of due alerts it lacks is not created, and nothing is due)', () => {
    const runs = openRunStore(db);
    const run = runs.update(runs.create({ kind: 'dataset', service: 's' }).id, { status: 'success', finished_at: new Date().toISOString() });
    db.exec('DROP TABLE alerts_due'); // as an earlier version made it
    const ro = new Database(file, { readonly: true });
    try {
      expect(openRunStore(ro).list().runs.map((r) => r.id)).toContain(run.id);
      expect(takeDueAlerts(ro)).toEqual([]);
    } finally {
      ro.close();
    }
  });
});
