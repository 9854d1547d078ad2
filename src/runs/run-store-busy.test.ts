/**
 * Writes of the quality log wait for another process's write instead of failing
 * at once (a review finding: a transaction that read before it wrote got
 * SQLITE_BUSY without SQLite's busy handler being called, so a push or a dataset
 * build answered 503 whenever another process, an `apply`, was writing).
 */
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { tempStateDb } from '../../test/helpers/state-db.js';
import { openRunStore } from './run-store.js';
import type { CheckResult } from './types.js';

const { db, file } = tempStateDb('run-store-busy');

/** Another process holding the state database's write lock for `ms`; resolves once it holds it, with its end. */
/** Hold the write lock from another process for `ms`; resolves once it is held, with a promise of its release (in an object: an async function would wait for a promise it returns). */
async function holdWriteLock(ms: number): Promise<{ ended: Promise<void> }> {
  const child = spawn(process.execPath, ['-e', `
    const Database = require('better-sqlite3');
    const d = new Database(${JSON.stringify(file)});
    d.exec('CREATE TABLE IF NOT EXISTS busy_probe (x)');
    d.exec('BEGIN IMMEDIATE');
    d.exec('INSERT INTO busy_probe VALUES (1)');
    process.stdout.write('locked\\n');
    setTimeout(() => { d.exec('COMMIT'); d.close(); }, ${ms});
  `], { cwd: process.cwd(), stdio: ['ignore', 'pipe', 'inherit'] });
  const ended = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => d.toString().includes('locked') && resolve());
    child.on('exit', (code) => reject(new Error(`the lock holder exited (${code})`)));
  });
  return { ended };
}

describe('quality-log writes while another process writes', () => {
  it('check results and profiles wait for the lock and are all recorded', async () => {
    const runs = openRunStore(db);
    const run = runs.create({ kind: 'push', view: 'v' });
    const result = (check: string) => ({ run_id: run.id, check, feature: null, slice: null, status: 'pass' }) as unknown as CheckResult;
    const { ended } = await holdWriteLock(400);
    const t = performance.now();
    runs.addResults([result('drift'), result('volume')]);
    runs.addProfiles(run.id, [{ column: 'x', slice: null, profile: { rows: 1 } }] as never);
    // They waited for the lock (not failed with SQLITE_BUSY, not written around it).
    expect(performance.now() - t).toBeGreaterThan(200);
    await ended;
    expect(runs.results(run.id).map((r) => r.check)).toEqual(['drift', 'volume']);
    expect(runs.profiles(run.id)).toHaveLength(1);
  });
});
