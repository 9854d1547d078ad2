import { spawnSync } from 'node:child_process';
import { mkdtempSync, readlinkSync, rmSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConflictError } from '../errors.js';
import { openRunStore } from '../runs/run-store.js';
import { openStateDb, type StateDb } from '../state/state-db.js';
import { acquireLeases, listLeases } from './lease.js';
import { processHost } from '../state/process-host.js';

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
    expect(err).toMatchObject({ code: 'materialization_running', status: 409, details: { view: 'a', owner: 'run-1', pid: process.pid } });
    // No run of 'a' is in the quality log: the holder is named, not a made-up run id. Held by this very process (its
    // pid on this host), it is not "another process" showing our own pid.
    expect((err as ConflictError).message).toMatch(/^feature view 'a' is already being materialized by this process \(another materialization started at \d{4}-[\d-]+T[\d:.]+Z\); wait for it to finish$/);
    expect((err as ConflictError).details).not.toHaveProperty('run_id');
    // Held by another live process (the lease row says so): "another process", with its pid.
    db.prepare("UPDATE materialization_leases SET pid = ? WHERE view = 'a'").run(process.ppid);
    expect(() => acquireLeases(other, ['b', 'a'], 'run-2')).toThrow(new RegExp(`^feature view 'a' is already being materialized by another process \\(pid ${process.ppid} on `));
    db.prepare("UPDATE materialization_leases SET pid = ? WHERE view = 'a'").run(process.pid);
    expect(listLeases(db).map((l) => l.view)).toEqual(['a']);
    a.release();
    const leases = acquireLeases(other, ['b', 'a'], 'run-2');
    expect(listLeases(db).map((l) => [l.view, l.owner])).toEqual([['a', 'run-2'], ['b', 'run-2']]);
    for (const l of leases) l.release();
    expect(listLeases(db)).toEqual([]);
  });

  it('says a compaction of pushed files holds the lease, not a materialization', () => {
    const [held] = acquireLeases(db, ['a'], 'compact-123-abcd1234');
    expect(() => acquireLeases(other, ['a'], 'run-2')).toThrow(/^the pushed files feature view 'a' reads are being compacted \(pid \d+ on .*\); try again in a moment$/);
    held.release();
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

  it("names the holder's running run ids in the 409, not the lease owner", () => {
    const runs = openRunStore(db);
    const [lease] = acquireLeases(db, ['a'], 'materialize-8244-0561954d');
    const run = runs.create({ kind: 'materialize', view: 'a' });
    runs.create({ kind: 'materialize', view: 'b' });
    runs.create({ kind: 'check', view: 'a' });
    let err: ConflictError | undefined;
    try {
      acquireLeases(other, ['a'], 'next');
    } catch (e) {
      err = e as ConflictError;
    }
    expect(err?.message).toMatch(new RegExp(`^feature view 'a' is already being materialized \\(run ${run.id}; pid ${process.pid} on `));
    expect(err?.message).not.toContain('materialize-8244');
    expect(err?.details).toMatchObject({ view: 'a', run_id: run.id, run_ids: [run.id], owner: 'materialize-8244-0561954d' });
    lease.release();
  });

  it('marks the runs a stopped materialization left running as failed when it takes the lease over', () => {
    const runs = openRunStore(db);
    acquireLeases(db, ['a', 'b'], 'crashed');
    const orphanA = runs.create({ kind: 'materialize', view: 'a' });
    const orphanB = runs.create({ kind: 'materialize', view: 'b' });
    const done = runs.update(runs.create({ kind: 'materialize', view: 'a' }).id, { status: 'success', finished_at: new Date().toISOString() });
    const otherKind = runs.create({ kind: 'check', view: 'a' });
    const otherView = runs.create({ kind: 'materialize', view: 'c' });
    const [leaseC] = acquireLeases(db, ['c'], 'alive'); // c's lease was free: its running run is an orphan too
    leaseC.release();
    expect(runs.get(otherView.id)).toMatchObject({ status: 'failed', message: expect.stringMatching(/lease is gone/) });
    // The process "dies": its leases stay until they expire (a) or its pid is found dead (b).
    db.prepare("UPDATE materialization_leases SET expires_at = 0 WHERE view = 'a'").run();
    const deadPid = spawnSync(process.execPath, ['-e', '0']).pid;
    db.prepare("UPDATE materialization_leases SET pid = ? WHERE view = 'b'").run(deadPid);
    expect(runs.get(orphanA.id).status).toBe('running');
    const leases = acquireLeases(other, ['a', 'b'], 'next');
    const a = runs.get(orphanA.id);
    expect(a).toMatchObject({ status: 'failed', message: 'the materialization process stopped before finishing (lease expired)' });
    expect(a.finished_at).toBeTruthy();
    expect(runs.get(orphanB.id)).toMatchObject({ status: 'failed', message: `the materialization process stopped before finishing (process ${deadPid} on ${processHost()} exited)` });
    expect(runs.get(done.id)).toMatchObject({ status: 'success', message: null });
    expect(runs.get(otherKind.id).status).toBe('running');
    for (const l of leases) l.release();
  });

  it('does not take over a lease whose pid is dead here but lives in another pid namespace of the same host name', () => {
    // On Linux a lease row names the pid namespace beside the host name.
    expect(processHost()).toBe(`${hostname()}/pid:${/\d+/.exec(readlinkSync('/proc/self/ns/pid'))![0]}`);
    const [lease] = acquireLeases(db, ['a'], 'container-2');
    const deadPid = spawnSync(process.execPath, ['-e', '0']).pid;
    // Another container sharing the host name (--network host) and the state database: its own pid namespace.
    db.prepare("UPDATE materialization_leases SET pid = ?, host = ? WHERE view = 'a'").run(deadPid, `${hostname()}/pid:1`);
    expect(() => acquireLeases(other, ['a'], 'next')).toThrow(ConflictError);
    // A bare host name (a row from a version that did not record namespaces) could be either container: it waits for its ttl.
    db.prepare("UPDATE materialization_leases SET host = ? WHERE view = 'a'").run(hostname());
    expect(() => acquireLeases(other, ['a'], 'next')).toThrow(ConflictError);
    // Same namespace: the dead pid frees the lease at once.
    db.prepare("UPDATE materialization_leases SET host = ? WHERE view = 'a'").run(processHost());
    const taken = acquireLeases(other, ['a'], 'next');
    for (const l of taken) l.release();
    lease.release();
  });

  it('leaves runs alone when the lease is refused', () => {
    const runs = openRunStore(db);
    const [lease] = acquireLeases(db, ['a'], 'holder');
    const run = runs.create({ kind: 'materialize', view: 'a' });
    expect(() => acquireLeases(other, ['a'], 'next')).toThrow(ConflictError);
    expect(runs.get(run.id).status).toBe('running');
    lease.release();
  });
});
