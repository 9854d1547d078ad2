/**
 * Two real processes apply to the same state.db at the same time: both must
 * succeed (the second waits on the write lock), and the version history must be
 * intact: contiguous version numbers, every hash matching its stored definition,
 * as many versions as the processes reported applying.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { openStateDb } from '../state/state-db.js';
import { contentHash } from './canonical.js';
import { openSqliteRegistry } from './sqlite-registry.js';

const ROUNDS = 150;
const here = resolve(import.meta.dirname);

/** Each worker applies ROUNDS versions of a view whose ttl names the worker and round. */
const workerSource = (dbFile: string, who: string, startAt: number) => `
import { openStateDb } from ${JSON.stringify(pathToFileURL(join(here, '../state/state-db.ts')).href)};
import { openSqliteRegistry } from ${JSON.stringify(pathToFileURL(join(here, 'sqlite-registry.ts')).href)};
const db = openStateDb(${JSON.stringify(dbFile)});
const reg = openSqliteRegistry(db);
while (Date.now() < ${startAt}) {} // spin: both processes start within a millisecond
let applied = 0;
for (let i = 0; i < ${ROUNDS}; i++) {
  const defs = [
    { kind: 'entity', name: 'airport', join_keys: [{ name: 'origin', type: 'string' }] },
    { kind: 'source', name: 'src', path: 'data/x.parquet', timestamp_field: 'hour' },
    { kind: 'feature_view', name: 'v', entities: ['airport'], source: 'src', ttl: '${who}' + i + 'h',
      features: [{ name: 'f', type: 'int64' }], description: '${who}' },
  ];
  applied += reg.apply(defs).applied.length;
}
db.close();
process.stdout.write(JSON.stringify({ applied }));
`;

function runWorker(dbFile: string, who: string, startAt: number): Promise<{ applied: number }> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', workerSource(dbFile, who, startAt)], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('close', (code) => {
      if (code === 0) resolvePromise(JSON.parse(out) as { applied: number });
      else reject(new Error(`worker ${who} exited ${code}: ${err}`));
    });
  });
}

const viewDefs = (description: string) => [
  { kind: 'entity', name: 'airport', join_keys: [{ name: 'origin', type: 'string' }] },
  { kind: 'source', name: 'src', path: 'data/x.parquet', timestamp_field: 'hour' },
  { kind: 'feature_view', name: 'v', entities: ['airport'], source: 'src', features: [{ name: 'f', type: 'int64' }], description },
] as const;

/** A worker that says `ready`, then applies once and prints what it applied. */
const singleApplySource = (dbFile: string) => `
import { openStateDb } from ${JSON.stringify(pathToFileURL(join(here, '../state/state-db.ts')).href)};
import { openSqliteRegistry } from ${JSON.stringify(pathToFileURL(join(here, 'sqlite-registry.ts')).href)};
const db = openStateDb(${JSON.stringify(dbFile)});
const reg = openSqliteRegistry(db);
process.stdout.write('ready\\n');
const t0 = Date.now();
const res = reg.apply(${JSON.stringify(viewDefs('from the worker'))});
process.stdout.write(JSON.stringify({ waitedMs: Date.now() - t0, applied: res.applied.map((v) => v.kind + '/' + v.name + '@' + v.version) }) + '\\n');
db.close();
`;

const dir = mkdtempSync(join(tmpdir(), 'fg-concurrent-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('concurrent apply from two processes', () => {
  it('serializes applies and keeps the history intact', async () => {
    const dbFile = join(dir, 'state.db');
    const startAt = Date.now() + 2500;
    const [a, b] = await Promise.all([runWorker(dbFile, 'a', startAt), runWorker(dbFile, 'b', startAt)]);
    // Each process applies the entity and source once at most, and the view every round.
    expect(a.applied).toBeGreaterThanOrEqual(ROUNDS);
    expect(b.applied).toBeGreaterThanOrEqual(ROUNDS);

    const db = openStateDb(dbFile);
    try {
      expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
      const rows = db
        .prepare('SELECT kind, name, version, hash, definition FROM registry_versions ORDER BY kind, name, version')
        .all() as { kind: string; name: string; version: number; hash: string; definition: string }[];
      expect(rows.length).toBe(a.applied + b.applied);
      expect(rows.filter((r) => r.name === 'airport').map((r) => r.version)).toEqual([1]);
      expect(rows.filter((r) => r.name === 'src').map((r) => r.version)).toEqual([1]);
      const views = rows.filter((r) => r.name === 'v');
      expect(views.map((r) => r.version)).toEqual(views.map((_, i) => i + 1));
      expect(views.length).toBe(2 * ROUNDS);
      for (const r of rows) expect(r.hash).toBe(contentHash(JSON.parse(r.definition)));
      // Both writers are in the history.
      const writers = views.map((r) => (JSON.parse(r.definition) as { description: string }).description).join('');
      expect(writers).toMatch(/a/);
      expect(writers).toMatch(/b/);
    } finally {
      db.close();
    }
  });

  it('a second process waits for the lock, then plans against what the first committed', async () => {
    const dbFile = join(dir, 'wait.db');
    const db = openStateDb(dbFile);
    const reg = openSqliteRegistry(db);
    db.exec('BEGIN IMMEDIATE');
    let committed = false;
    try {
      // Inside the held write transaction (better-sqlite3 nests it as a savepoint).
      expect(reg.apply(viewDefs('from the test') as never).applied).toHaveLength(3);
      const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', singleApplySource(dbFile)], { stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      let err = '';
      child.stderr.on('data', (d) => (err += d));
      const exited = new Promise<number | null>((r) => child.on('close', r));
      await new Promise<void>((r) => child.stdout.on('data', (d) => ((out += d), out.includes('ready') && r())));
      await new Promise((r) => setTimeout(r, 700));
      expect(out.trim()).toBe('ready'); // still blocked on the lock
      db.exec('COMMIT');
      committed = true;
      expect(await exited, err).toBe(0);
      const result = JSON.parse(out.trim().split('\n').at(-1) as string) as { waitedMs: number; applied: string[] };
      // It saw the committed version 1 and only changed the description: version 2 of the view.
      expect(result.applied).toEqual(['feature_view/v@2']);
      expect(result.waitedMs).toBeGreaterThanOrEqual(300);
    } finally {
      if (!committed) db.exec('ROLLBACK');
    }
    expect(reg.versions('feature_view', 'v').map((v) => v.version)).toEqual([1, 2]);
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    db.close();
  });
});
