import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConflictError } from '../errors.js';
import { openStateDb, type StateDb } from '../state/state-db.js';
import { acquireLeases, listLeases } from './lease.js';

describe('materialization leases', () => {
  let dir: string;
  let db: StateDb;
  let other: StateDb;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'fg-lease-'));
    db = openStateDb(join(dir, 'state.db'));
    other = openStateDb(join(dir, 'state.db'));
  });
  afterEach(() => {
    db.close();
    other.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('refuses a held view across connections, all or none', () => {
    const [a] = acquireLeases(db, ['a'], 'run-1');
    let err: unknown;
    try {
      acquireLeases(other, ['b', 'a'], 'run-2');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConflictError);
    expect(err).toMatchObject({ code: 'materialization_running', status: 409, details: { view: 'a', run_id: 'run-1', pid: process.pid } });
    expect(listLeases(db).map((l) => l.view)).toEqual(['a']);
    a.release();
    const leases = acquireLeases(other, ['b', 'a'], 'run-2');
    expect(listLeases(db).map((l) => [l.view, l.owner])).toEqual([['a', 'run-2'], ['b', 'run-2']]);
    for (const l of leases) l.release();
    expect(listLeases(db)).toEqual([]);
  });

  it('takes over an expired lease and one held by a dead process', () => {
    acquireLeases(db, ['a', 'b'], 'crashed');
    db.prepare("UPDATE materialization_leases SET expires_at = 0 WHERE view = 'a'").run();
    const deadPid = spawnSync(process.execPath, ['-e', '0']).pid;
    db.prepare("UPDATE materialization_leases SET pid = ? WHERE view = 'b'").run(deadPid);
    const leases = acquireLeases(other, ['a', 'b'], 'next');
    expect(leases.map((l) => l.owner)).toEqual(['next', 'next']);
    for (const l of leases) l.release();
  });
});
