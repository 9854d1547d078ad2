/**
 * The offline engine: one in-process DuckDB instance per process (in memory;
 * sources are read read-only). All heavy work is SQL run here. Timestamps are
 * naive `TIMESTAMP` values meaning UTC, with microsecond precision.
 */
import { DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { availableParallelism } from 'node:os';

export interface OfflineEngine {
  /** A new connection to the shared instance (own it: close it when done). */
  connect(): Promise<DuckDBConnection>;
  /** Run statements on a short-lived connection. */
  run(sql: string): Promise<void>;
  /** Rows as JSON-friendly objects (BIGINT and timestamps as strings). */
  all(sql: string): Promise<Record<string, unknown>[]>;
  close(): void;
}

let shared: Promise<DuckDBInstance> | undefined;

async function instance(): Promise<DuckDBInstance> {
  shared ??= (async () => {
    const db = await DuckDBInstance.create(':memory:', { threads: String(availableParallelism()) });
    const c = await db.connect();
    // Global setting: TIMESTAMPTZ values render and cast in UTC in every connection.
    await c.run("SET GLOBAL TimeZone = 'UTC'");
    // No external file cache: it keys files on path, size and a coarse last-modified time, so a source file
    // deleted and written again (same size, same second) was read with its old contents for the life of the
    // process (`serve`, an SDK user). Sources are always read as they are now.
    await c.run('SET GLOBAL enable_external_file_cache = false');
    c.closeSync();
    return db;
  })();
  return shared;
}

export async function openOfflineEngine(): Promise<OfflineEngine> {
  const db = await instance();
  return {
    async connect() {
      return db.connect();
    },
    async run(sql) {
      const c = await db.connect();
      try {
        await c.run(sql);
      } finally {
        c.closeSync();
      }
    },
    async all(sql) {
      const c = await db.connect();
      try {
        const r = await c.runAndReadAll(sql);
        return r.getRowObjectsJson() as Record<string, unknown>[];
      } finally {
        c.closeSync();
      }
    },
    close() {},
  };
}

/** Quote an identifier for DuckDB SQL. */
export function ident(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** Quote a string literal for DuckDB SQL. */
export function literal(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}

/** A name as DuckDB compares identifiers: A-Z folded to a-z, nothing else (`Ä` and `ä` stay two names). */
export function foldAscii(name: string): string {
  return name.replace(/[A-Z]/g, (c) => c.toLowerCase());
}

/** Interrupt what `conn` is running, if anything (a connection already closed, or idle, is no error here). */
export function interruptQuietly(conn: Pick<DuckDBConnection, 'interrupt'>): void {
  try {
    conn.interrupt();
  } catch {
    // nothing running, or closed
  }
}
