/**
 * The SQLite online store's page size: a new file gets 16 KiB pages, an existing file keeps its own (no
 * migration), and processes that create the file at the same moment leave one whole database.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { openSqliteOnlineStore } from './sqlite-store.js';

const dir = mkdtempSync(join(tmpdir(), 'fg-online-pages-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;

/** The page size and journal mode as another connection reads them from the file. */
function fileSettings(file: string): { pageSize: number; journalMode: string; integrity: string } {
  const db = new Database(file, { readonly: true });
  try {
    return {
      pageSize: db.pragma('page_size', { simple: true }) as number,
      journalMode: db.pragma('journal_mode', { simple: true }) as string,
      integrity: db.pragma('integrity_check', { simple: true }) as string,
    };
  } finally {
    db.close();
  }
}

/** A store file as earlier versions made it: SQLite's 4 KiB pages, WAL, the store's three tables, one row. */
function makeOldStoreFile(file: string): void {
  const db = new Database(file);
  db.pragma('page_size = 4096');
  db.pragma('journal_mode = WAL');
  db.exec(`
    CREATE TABLE online_values (view TEXT NOT NULL, key TEXT NOT NULL, event_ts INTEGER NOT NULL, created_ts INTEGER NOT NULL,
      schema TEXT NOT NULL, payload TEXT NOT NULL, PRIMARY KEY (view, key)) WITHOUT ROWID;
    CREATE TABLE online_schemas (hash TEXT PRIMARY KEY, features TEXT NOT NULL) WITHOUT ROWID;
    CREATE TABLE online_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
  `);
  db.close();
}

const row = (entity: string, x: number, eventTs: number) => ({ key: [entity], values: [x, `${entity}-${x}`], eventTs, createdTs: 0 });

describe('sqlite online store: page size', () => {
  it('makes a new file with 16 KiB pages, in WAL mode', async () => {
    const file = join(dir, `new-${n++}.db`);
    const store = await openSqliteOnlineStore({ path: file }, dir);
    try {
      await store.writeBatch('v', ['x', 'y'], [row('a', 1, 1)]);
      expect((await store.readMany('v', ['x', 'y'], [['a']]))[0]?.values).toEqual([1, 'a-1']);
    } finally {
      await store.close();
    }
    expect(fileSettings(file)).toEqual({ pageSize: 16_384, journalMode: 'wal', integrity: 'ok' });
  });

  it('keeps an existing 4 KiB file as it is: it opens, reads and writes as before, and stays 4 KiB', async () => {
    const file = join(dir, `old-${n++}.db`);
    makeOldStoreFile(file);
    const first = await openSqliteOnlineStore({ path: file }, dir);
    try {
      await first.writeBatch('v', ['x', 'y'], [row('a', 1, 1), row('b', 2, 1)]);
    } finally {
      await first.close();
    }
    const store = await openSqliteOnlineStore({ path: file }, dir);
    try {
      expect((await store.readMany('v', ['x', 'y'], [['a'], ['b'], ['c']])).map((r) => r?.values)).toEqual([[1, 'a-1'], [2, 'b-2'], undefined]);
      expect(await store.writeBatch('v', ['x', 'y'], [row('a', 3, 2), row('b', 4, 0), row('c', 5, 1)])).toEqual({ written: 2, skipped: 1 });
      expect((await store.readMany('v', ['x', 'y'], [['a'], ['b'], ['c']])).map((r) => r?.values)).toEqual([[3, 'a-3'], [2, 'b-2'], [5, 'c-5']]);
      expect(await store.stats()).toEqual({ type: 'sqlite', views: { v: { entities: 3 } } });
    } finally {
      await store.close();
    }
    expect(fileSettings(file)).toEqual({ pageSize: 4096, journalMode: 'wal', integrity: 'ok' });
  });

  it('keeps checkpointing every ~4 MB of WAL with 16 KiB pages, as with 4 KiB ones', async () => {
    const file = join(dir, `wal-${n++}.db`);
    const store = await openSqliteOnlineStore({ path: file }, dir);
    try {
      const payload = 'x'.repeat(1000);
      for (let session = 0; session < 20; session++) {
        await store.writeBatch('v', ['x'], Array.from({ length: 1000 }, (_, i) => ({ key: [`k${i}`], values: [payload], eventTs: session + 1, createdTs: 0 })));
      }
      // About 1 MB of rows (and some 1.1 MB of WAL) per session: SQLite's default of 1,000 pages would let
      // 16 KiB pages pile up 16 MB before a checkpoint starts the WAL over.
      expect(statSync(`${file}-wal`).size).toBeLessThan(8 * 1024 * 1024);
    } finally {
      await store.close();
    }
  });
});

const here = resolve(import.meta.dirname);
const WORKERS = 4;

/**
 * A process that loads the store, says `ready`, reads a start time from stdin, spins until then, opens the store
 * on `file`, writes its own row and closes: the workers open the new file within a millisecond of each other.
 */
const workerSource = (file: string, who: number) => `
import { openSqliteOnlineStore } from ${JSON.stringify(pathToFileURL(join(here, 'sqlite-store.ts')).href)};
process.stdout.write('ready\\n');
const startAt = await new Promise((r) => process.stdin.once('data', (d) => r(Number(String(d)))));
process.stdin.destroy();
while (Date.now() < startAt) {}
const store = await openSqliteOnlineStore({ path: ${JSON.stringify(file)} });
await store.writeBatch('v', ['x'], [{ key: ['w${who}'], values: [${who}], eventTs: 1, createdTs: 0 }]);
await store.close();
process.stdout.write('ok');
`;

/** Start WORKERS workers on `file`, let them all go at the same moment once all are loaded, and collect what they print after `ready`. */
async function race(file: string): Promise<string[]> {
  const children = Array.from({ length: WORKERS }, (_, who) => spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', workerSource(file, who)], { stdio: ['pipe', 'pipe', 'pipe'] }));
  const outs = children.map(() => '');
  const errs = children.map(() => '');
  const ready = children.map((child, who) => new Promise<void>((r) => child.stdout.on('data', (d) => {
    outs[who] += d;
    if (outs[who].startsWith('ready\n')) r();
  })));
  const done = children.map((child, who) => {
    child.stderr.on('data', (d) => (errs[who] += d));
    return new Promise<string>((r, reject) => child.on('close', (code) => (code === 0 ? r(outs[who].slice('ready\n'.length)) : reject(new Error(`worker ${who} exited ${code}: ${errs[who]}`)))));
  });
  try {
    await Promise.race([Promise.all(ready), Promise.all(done)]);
  } catch (e) {
    for (const child of children) child.kill();
    throw e;
  }
  const startAt = Date.now() + 50;
  for (const child of children) child.stdin.end(String(startAt));
  return Promise.all(done);
}

describe('sqlite online store: processes creating the file at once', () => {
  it('all open it, and leave one whole 16 KiB-page database holding every write', async () => {
    for (let round = 0; round < 3; round++) {
      const file = join(dir, `race-${n++}`, 'online.db');
      expect(await race(file)).toEqual(Array(WORKERS).fill('ok'));
      expect(fileSettings(file)).toEqual({ pageSize: 16_384, journalMode: 'wal', integrity: 'ok' });
      const store = await openSqliteOnlineStore({ path: file }, dir);
      try {
        const keys = Array.from({ length: WORKERS }, (_, who) => [`w${who}`]);
        expect((await store.readMany('v', ['x'], keys)).map((r) => r?.values)).toEqual(keys.map((_, who) => [who]));
      } finally {
        await store.close();
      }
    }
  }, 60_000);
});
