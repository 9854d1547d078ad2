/**
 * `check --view` racing a compaction of the folder its source reads (real DuckDB files, the SQLite state database):
 * a compaction that merges the files a check listed, between the listing and the read, used to fail the check with
 * `source_changed`. A running check now keeps the compaction off the files (409 `check_running`, naming the run),
 * and a check refuses to start while a compaction holds the view's lease (409 `compaction_running`), as a
 * materialization does.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { afterEach, describe, expect, it } from 'vitest';
import { ConflictError } from '../errors.js';
import { acquireLeases } from '../materialize/lease.js';
import type { OfflineEngine } from '../offline/engine.js';
import type { Project } from '../project.js';
import { compactPushedFiles } from '../serving/push-compact.js';
import { openPushProject, USER_COUNTS_SEED, USER_COUNTS_YAML, type PushProject } from '../../test/datasets/push-project.js';
import { checkView } from './check-run.js';

const projects: PushProject[] = [];
afterEach(async () => {
  for (const p of projects.splice(0)) await p.close();
});

/** `conn`, but `before` runs (and is awaited) once, just before the first statement matching `when`. */
function hooked(conn: DuckDBConnection, when: RegExp, before: () => Promise<void>): DuckDBConnection {
  let fired = false;
  return new Proxy(conn, {
    get(target, prop) {
      const v = Reflect.get(target, prop) as unknown;
      if (typeof v !== 'function') return v;
      return async (sql: string, ...rest: unknown[]) => {
        if (!fired && typeof sql === 'string' && when.test(sql)) {
          fired = true;
          await before();
        }
        return (v as (...a: unknown[]) => unknown).call(target, sql, ...rest);
      };
    },
  });
}

/** `project`, whose next connection runs `before` just before it loads the checked rows (after the source's files were listed). */
function racing(project: Project, before: () => Promise<void>): Project {
  let used = false;
  const engine = async (): Promise<OfflineEngine> => {
    const real = await project.engine();
    return new Proxy(real, {
      get(target, prop) {
        const v = Reflect.get(target, prop) as unknown;
        if (prop !== 'connect' || used) return typeof v === 'function' ? v.bind(target) : v;
        used = true;
        return async () => hooked(await real.connect(), /^CREATE TEMP TABLE/, before);
      },
    });
  };
  return { ...project, engine } as Project;
}

async function pushed(name: string): Promise<PushProject> {
  const p = await openPushProject(name, USER_COUNTS_YAML, USER_COUNTS_SEED);
  projects.push(p);
  for (const u of [2, 3, 4]) await p.fs.push({ view: 'v', rows: [{ user_id: u, event_timestamp: '2026-01-02T00:00:00Z', n: u }], to: 'offline' });
  return p;
}

describe('check --view racing a compaction', () => {
  it('a compaction starting while the check reads is refused (409 check_running), and the check reads every row once', async () => {
    const p = await pushed('check_race');
    const project = p.fs.project;
    let compaction: unknown;
    const check = await checkView(racing(project, async () => {
      compaction = await compactPushedFiles(project).catch((e: unknown) => e);
    }), { view: 'v', start: '2026-01-01', end: '2026-01-03' });
    expect(compaction).toBeInstanceOf(ConflictError);
    expect(compaction).toMatchObject({ code: 'check_running', status: 409, details: { run_id: check.run.id } });
    expect((compaction as Error).message).toBe(`cannot compact the pushed files in ${p.dir}/data/s now: a check of feature view 'v' is reading them (run ${check.run.id}); try again when it has finished`);
    expect(check.run).toMatchObject({ status: 'success', rows_in: 4 });
    // Once the check has finished, the compaction merges them.
    expect(await compactPushedFiles(project)).toMatchObject({ files_merged: 3, files_written: 1 });
    expect((await checkView(project, { view: 'v', start: '2026-01-01', end: '2026-01-03' })).run).toMatchObject({ status: 'success', rows_in: 4 });
  });

  it('refuses to start while a compaction holds the view (409 compaction_running), recording no run', async () => {
    const p = await pushed('check_while_compacting');
    const project = p.fs.project;
    const [lease] = acquireLeases(project.state, ['v'], `compact-${process.pid}-test`);
    try {
      const refused = await checkView(project, { view: 'v', start: '2026-01-01', end: '2026-01-03' }).catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(ConflictError);
      expect(refused).toMatchObject({ code: 'compaction_running', status: 409, exitCode: 3 });
      expect((refused as Error).message).toMatch(new RegExp(`^cannot check feature view 'v' now: the pushed files it reads are being compacted \\(pid ${process.pid} on .*, since .*\\); try again in a moment$`));
      expect(project.runs.list({ kind: 'check' }).total).toBe(0);
    } finally {
      await lease.release();
    }
    expect((await checkView(project, { view: 'v', start: '2026-01-01', end: '2026-01-03' })).run.status).toBe('success');
  });
});
