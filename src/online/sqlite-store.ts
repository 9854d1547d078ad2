/**
 * The embedded online store: one SQLite file (`.featureguard/online.db` by
 * default) in WAL mode, with 16 KiB pages when this store made it (`sqlite-open.ts`).
 * A write session is one SQLite transaction on a writer connection, so readers (a
 * separate connection, or other processes such as `featureguard serve`) see either
 * the state before the session or all of it.
 * Monotonic writes are one upsert whose `WHERE` compares `(event_ts, created_ts)` under the same definitions
 * (schema hash), and `event_ts` alone against a row written under other ones (see `BeginWriteOptions.definition`).
 *
 * @example
 * const store = await openSqliteOnlineStore({ path: '/tmp/online.db' });
 * await store.writeBatch('flights', ['delay'], [{ key: ['SEA'], values: [3.5], eventTs: 1, createdTs: 0 }]);
 */
import { randomUUID } from 'node:crypto';
import { realpathSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { FeatureguardError } from '../errors.js';
import { openWalDatabase, stateError } from '../state/state-db.js';
import { openOnlineWriter } from './sqlite-open.js';
import { asStoredEncoded, asStoredValue, checkVectorLengths, encodeKey, encodeValues, ProjectionCache, schemaHash, type RecordDecoder } from './record-codec.js';
import type { BeginWriteOptions, OnlineKey, OnlineReadRequest, OnlineRow, OnlineStore, OnlineStoreStats, OnlineWriter, StoredEncoded, WriteResult } from './types.js';

export interface SqliteOnlineStoreOptions {
  /** File path, absolute or relative to `root`. Default `.featureguard/online.db`. */
  readonly path?: string;
  /** How long a write waits for another process's write lock before `store_busy`. Default 30 s (tests shorten it). */
  readonly lockWaitMs?: number;
}

const DDL = `
CREATE TABLE IF NOT EXISTS online_values (
  view TEXT NOT NULL,
  key TEXT NOT NULL,
  event_ts INTEGER NOT NULL,
  created_ts INTEGER NOT NULL,
  schema TEXT NOT NULL,
  payload TEXT NOT NULL,
  PRIMARY KEY (view, key)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS online_schemas (
  hash TEXT PRIMARY KEY,
  features TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS online_meta (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
) WITHOUT ROWID;
`;

const UPSERT = `INSERT INTO online_values (view, key, event_ts, created_ts, schema, payload) VALUES (?, ?, ?, ?, ?, ?)
ON CONFLICT (view, key) DO UPDATE SET event_ts = excluded.event_ts, created_ts = excluded.created_ts,
  schema = excluded.schema, payload = excluded.payload
WHERE (excluded.schema = online_values.schema AND (excluded.event_ts > online_values.event_ts
     OR (excluded.event_ts = online_values.event_ts AND excluded.created_ts > online_values.created_ts)))
   OR (excluded.schema <> online_values.schema AND excluded.event_ts >= online_values.event_ts)`;

/**
 * The open read snapshots of every store in this process, by database file: a commit through any handle ends
 * them all, so that another handle on the same file (a second project object, a test) reads the write at once.
 */
const snapshotsByFile = new Map<string, Set<() => void>>();

function endSnapshotsOf(file: string): void {
  for (const end of snapshotsByFile.get(file) ?? []) end();
}

/** The most views `readOneEach` reads in one statement (SQLite allows 500 terms of a compound SELECT). */
const MAX_ONE_EACH = 64;

/** How long reads may share one read transaction (see `inSnapshot`). */
const SNAPSHOT_MAX_MS = 2;

/** How long a write waits for another process's write session (materializations can hold it for seconds). */
const BUSY_TIMEOUT_MS = 30_000;

/** The longest pause between two tries for the write lock (the first ones are a few ms apart). */
const LOCK_RETRY_MAX_MS = 50;

type Db = ReturnType<typeof openWalDatabase>;

/**
 * Begin a write transaction on `writer` (which has no busy handler) without blocking the event loop. SQLite's busy
 * handler waits synchronously: a server whose push waited there for a CLI materialization's write session stopped
 * answering every request, online reads included, for as long as it waited. Here a lock held by another process
 * is tried again on a timer, a few ms apart growing to 50 ms, for up to `waitMs`; then `store_busy`.
 */
async function beginImmediate(writer: Db, file: string, waitMs: number): Promise<void> {
  const deadline = performance.now() + waitMs;
  for (let pause = 2; ; pause = Math.min(LOCK_RETRY_MAX_MS, pause * 2)) {
    try {
      writer.exec('BEGIN IMMEDIATE');
      return;
    } catch (e) {
      if (!/^SQLITE_BUSY/.test((e as { code?: string }).code ?? '')) throw e;
      if (performance.now() >= deadline) {
        const seconds = Math.round(waitMs / 1000);
        throw new FeatureguardError(
          'store_busy',
          `the online store ${file} is busy: another materialization or push has held its write lock for more than ${seconds} s; try again when it finishes`,
          { status: 503, exitCode: 3, details: { file, waited_s: seconds }, cause: e },
        );
      }
    }
    await new Promise((r) => setTimeout(r, pause));
  }
}

/** A stored row as read (`raw()`: an array, which better-sqlite3 makes faster than an object): key, event_ts, created_ts, schema, payload. */
type ReadRow = [key: string, eventTs: number, createdTs: number, schema: string, payload: string];
/** A row of `readOneEach`'s statement: the position of its request in place of the key. */
type EachRow = [request: number, eventTs: number, createdTs: number, schema: string, payload: string];

/** A promise-chain mutex: write sessions on one instance run one after another. */
function createMutex(): () => Promise<() => void> {
  let tail: Promise<void> = Promise.resolve();
  return async () => {
    let release!: () => void;
    const next = new Promise<void>((r) => (release = r));
    const prev = tail;
    tail = prev.then(() => next);
    await prev;
    return release;
  };
}

export async function openSqliteOnlineStore(options: SqliteOnlineStoreOptions = {}, root = process.cwd()): Promise<OnlineStore> {
  const rel = options.path ?? join('.featureguard', 'online.db');
  const file = isAbsolute(rel) ? rel : join(root, rel);
  const lockWaitMs = options.lockWaitMs ?? BUSY_TIMEOUT_MS;
  let writer: Db;
  let reader: Db;
  try {
    // The writer first: it makes a new file, with 16 KiB pages, and its tables before the reader opens it.
    writer = openOnlineWriter(file, BUSY_TIMEOUT_MS);
    writer.exec(DDL);
    // Every later write takes the lock through `beginImmediate`, which waits on a timer, not in SQLite.
    writer.pragma('busy_timeout = 0');
    reader = openWalDatabase(file, BUSY_TIMEOUT_MS);
  } catch (e) {
    throw stateError(file, e, 'store_unavailable');
  }
  const upsert = writer.prepare(UPSERT);
  const putSchema = writer.prepare('INSERT OR IGNORE INTO online_schemas (hash, features) VALUES (?, ?)');
  const getSchema = reader.prepare('SELECT features FROM online_schemas WHERE hash = ?');
  const readOne = reader.prepare('SELECT key, event_ts, created_ts, schema, payload FROM online_values WHERE view = ? AND key = ?').raw();
  const readJson = reader.prepare(
    'SELECT key, event_ts, created_ts, schema, payload FROM online_values WHERE view = ? AND key IN (SELECT value FROM json_each(?))',
  ).raw();
  /** `readOneEach` statements by number of views (prepared on first use). */
  const oneEach = new Map<number, ReturnType<typeof reader.prepare>>();
  const beginRead = reader.prepare('BEGIN');
  const endRead = reader.prepare('COMMIT');
  const schemas = new Map<string, readonly string[]>();
  const projections = new ProjectionCache();
  const lock = createMutex();
  let closed = false;

  const schemaOf = (hash: string): readonly string[] => {
    let s = schemas.get(hash);
    if (s === undefined) {
      const row = getSchema.get(hash) as { features: string } | undefined;
      s = row ? (JSON.parse(row.features) as string[]) : [];
      schemas.set(hash, s);
    }
    return s;
  };

  const projectionOf = (r: ReadRow | EachRow, features: readonly string[]): Int32Array | null => {
    const proj = projections.get(r[3], undefined, features);
    return proj === undefined ? (projections.get(r[3], schemaOf(r[3]), features) ?? null) : proj;
  };
  /**
   * Reads in one turn of the event loop share one read transaction, ended when the turn's I/O callbacks are
   * done (`setImmediate`), when it is older than `SNAPSHOT_MAX_MS` (a loop of awaited reads that never yields
   * to I/O), or at once when any store of this process commits to the same file. In autocommit mode each
   * statement takes and releases SQLite's WAL read lock (`fcntl` calls, an `fstat` and the checks around them:
   * three quarters of a single-row read, more on a virtual machine), and a busy server answers several
   * requests per turn. A read sees whole write sessions or none, as before; a commit by another process is
   * seen from the next turn on, within 2 ms at the latest.
   */
  let snapshot = false;
  let snapshotAt = 0;
  const endSnapshot = () => {
    if (!snapshot) return;
    snapshot = false;
    try {
      if (reader.inTransaction) endRead.run();
    } catch {
      // Ending a read transaction does not fail in WAL mode; if it ever did, the connection must not stay in it.
      try {
        if (reader.inTransaction) reader.exec('ROLLBACK');
      } catch {
        // nothing more to do: the next BEGIN reports it
      }
    }
  };
  const inSnapshot = () => {
    if (snapshot) {
      if (performance.now() - snapshotAt <= SNAPSHOT_MAX_MS) return;
      endSnapshot();
    }
    beginRead.run();
    snapshot = true;
    snapshotAt = performance.now();
    setImmediate(endSnapshot);
  };
  const real = realpathSync(file);
  let shared = snapshotsByFile.get(real);
  if (!shared) snapshotsByFile.set(real, (shared = new Set()));
  shared.add(endSnapshot);
  /** The stored rows of `keys` (in order, `undefined` where none), each decoded by `make`; inside a read snapshot (`inSnapshot`). */
  const read = <T>(view: string, features: readonly string[], keys: readonly OnlineKey[], make: RecordDecoder<T>): (T | undefined)[] => {
    const decode = (r: ReadRow) => make(r[4], projectionOf(r, features), r[1], r[2]);
    if (keys.length === 1) {
      const r = readOne.get(view, encodeKey(keys[0])) as ReadRow | undefined;
      return [r ? decode(r) : undefined];
    }
    const encoded = keys.map(encodeKey);
    const rows = readJson.all(view, JSON.stringify(encoded)) as ReadRow[];
    const byKey = new Map<string, ReadRow>();
    for (const r of rows) byKey.set(r[0], r);
    return encoded.map((k) => {
      const r = byKey.get(k);
      return r ? decode(r) : undefined;
    });
  };

  /**
   * `readManyEncodedViews` of one key per request (an online read of one entity over several views): one statement
   * for all of them (`UNION ALL` of one lookup per view, each row tagged with its request's position), where a
   * statement per view cost a call into SQLite, a statement reset and a key column read per view. Each request's
   * key is encoded once per key list (the views of one entity share it). `undefined` when not every request has
   * exactly one key, or there are more than `MAX_ONE_EACH` requests (then one statement per view).
   */
  const readOneEach = (requests: readonly OnlineReadRequest[]): (StoredEncoded | undefined)[][] | undefined => {
    const n = requests.length;
    if (n < 2 || n > MAX_ONE_EACH) return undefined;
    const params = new Array<string>(2 * n);
    let lastKeys: readonly OnlineKey[] | undefined;
    let lastEncoded = '';
    for (let q = 0; q < n; q++) {
      const keys = requests[q].keys;
      if (keys.length !== 1) return undefined;
      if (keys !== lastKeys) {
        lastKeys = keys;
        lastEncoded = encodeKey(keys[0]);
      }
      params[2 * q] = requests[q].view;
      params[2 * q + 1] = lastEncoded;
    }
    let statement = oneEach.get(n);
    if (statement === undefined) {
      const one = (q: number) => `SELECT ${q}, event_ts, created_ts, schema, payload FROM online_values WHERE view = ? AND key = ?`;
      oneEach.set(n, (statement = reader.prepare(Array.from({ length: n }, (_, q) => one(q)).join(' UNION ALL ')).raw()));
    }
    const out = new Array<(StoredEncoded | undefined)[]>(n);
    for (let q = 0; q < n; q++) out[q] = [undefined];
    for (const r of statement.all(params) as EachRow[]) {
      const q = r[0];
      out[q][0] = asStoredEncoded(r[4], projectionOf(r, requests[q].features), r[1], r[2]);
    }
    return out;
  };

  const beginWrite = async (view: string, features: readonly string[], options: BeginWriteOptions = {}): Promise<OnlineWriter> => {
    const floats = options.floats;
    const release = await lock();
    const hash = schemaHash(features, options.definition);
    let ended = false;
    let written = 0;
    let skipped = 0;
    try {
      await beginImmediate(writer, file, lockWaitMs);
      putSchema.run(hash, JSON.stringify(features));
    } catch (e) {
      release();
      throw e;
    }
    const end = (sql: 'COMMIT' | 'ROLLBACK') => {
      if (ended) return;
      ended = true;
      try {
        // Snapshots end before the commit: its automatic checkpoint can then move every frame into the
        // database and let the WAL start over (a snapshot still open would pin the newest frames, and a
        // busy server's WAL would grow with every write). No read runs between the two statements.
        if (sql === 'COMMIT') endSnapshotsOf(real);
        if (writer.inTransaction) writer.exec(sql);
      } catch (e) {
        // A COMMIT that failed (disk full, I/O error) can leave the transaction open: rolled back, or every
        // later session of this process would fail to begin.
        if (writer.inTransaction) {
          try {
            writer.exec('ROLLBACK');
          } catch {
            // the error that matters is the commit's
          }
        }
        throw e;
      } finally {
        release();
      }
    };
    return {
      async write(rows: readonly OnlineRow[]) {
        if (ended) throw new Error('write session already ended');
        checkVectorLengths(view, features, rows);
        let w = 0;
        for (const r of rows) w += upsert.run(view, encodeKey(r.key), r.eventTs, r.createdTs, hash, encodeValues(r.values, floats)).changes;
        written += w;
        skipped += rows.length - w;
        return { written: w, skipped: rows.length - w };
      },
      async commit() {
        end('COMMIT');
        return { written, skipped };
      },
      async abort() {
        end('ROLLBACK');
      },
    };
  };

  return {
    type: 'sqlite',
    beginWrite,
    async writeBatch(view, features, rows, options): Promise<WriteResult> {
      const w = await beginWrite(view, features, options);
      try {
        await w.write(rows);
        return await w.commit();
      } catch (e) {
        await w.abort();
        throw e;
      }
    },
    async readMany(view, features, keys) {
      inSnapshot();
      return read(view, features, keys, asStoredValue);
    },
    async readManyEncoded(view, features, keys) {
      inSnapshot();
      return read(view, features, keys, asStoredEncoded);
    },
    async readManyEncodedViews(requests) {
      // One snapshot for all the views (one pass, nothing awaited in between). One entity: one statement for all
      // the views (`readOneEach`); several: one per view (each takes all the view's keys at once).
      inSnapshot();
      return readOneEach(requests) ?? requests.map((r) => read(r.view, r.features, r.keys, asStoredEncoded));
    },
    async dropView(view) {
      const release = await lock();
      try {
        await beginImmediate(writer, file, lockWaitMs);
        try {
          writer.prepare('DELETE FROM online_values WHERE view = ?').run(view);
          endSnapshotsOf(real);
          writer.exec('COMMIT');
        } finally {
          if (writer.inTransaction) writer.exec('ROLLBACK');
        }
      } finally {
        release();
      }
    },
    async epoch() {
      // Made once and never changed: read without waiting for this instance's write sessions (a materialization of
      // another view holds the writer for its whole session); made on the writer, after them, when missing.
      const read = (db: typeof reader) => db.prepare("SELECT value FROM online_meta WHERE key = 'epoch'").pluck().get() as string | undefined;
      const made = read(reader);
      if (made !== undefined) return made;
      const release = await lock();
      try {
        await beginImmediate(writer, file, lockWaitMs);
        try {
          writer.prepare("INSERT OR IGNORE INTO online_meta (key, value) VALUES ('epoch', ?)").run(randomUUID());
          const made = read(writer)!;
          writer.exec('COMMIT');
          return made;
        } finally {
          if (writer.inTransaction) writer.exec('ROLLBACK');
        }
      } finally {
        release();
      }
    },
    async stats(): Promise<OnlineStoreStats> {
      const rows = reader.prepare('SELECT view, COUNT(*) AS n FROM online_values GROUP BY view ORDER BY view').all() as { view: string; n: number }[];
      return { type: 'sqlite', views: Object.fromEntries(rows.map((r) => [r.view, { entities: r.n }])) };
    },
    async close() {
      if (closed) return;
      closed = true;
      const release = await lock();
      endSnapshot();
      shared.delete(endSnapshot);
      if (shared.size === 0 && snapshotsByFile.get(real) === shared) snapshotsByFile.delete(real);
      reader.close();
      writer.close();
      release();
    },
  };
}
