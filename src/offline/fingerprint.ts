/**
 * Fingerprints of inputs, for dataset manifests and run lineage: enough to tell
 * later whether a source still holds the same data.
 *
 * - Files: path, size, mtime and SHA-256 of the content. Files larger than
 *   `partialThresholdBytes` (default 256 MiB; callers pass the view's
 *   `provenance.full_hash_max_bytes`) get a SHA-256 over size, mtime and the
 *   first and last MiB instead of reading everything, labelled `partial: true`.
 * - Tables and queries: row count and an order-independent checksum, the sum of
 *   DuckDB's `hash()` of each whole row modulo nothing (a HUGEINT, as text). A sum
 *   rather than `bit_xor` so that duplicate rows do not cancel out.
 * - Entity inputs: the same, but order-sensitive (the row ordinal is hashed in),
 *   because the order of entity rows is the order of the output.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { isAbsolute, relative, resolve } from 'node:path';
import type { SourceDef } from '../definitions/types.js';
import type { LineageInput } from '../runs/types.js';
import { ident, literal } from './engine.js';
import { globFilesVariable } from './source-sql.js';

export const DEFAULT_PARTIAL_THRESHOLD = 256 * 1024 * 1024;
const MIB = 1024 * 1024;

export interface FileFingerprint {
  readonly path: string;
  readonly size: number;
  /** Modification time, ISO 8601 UTC. */
  readonly mtime: string;
  readonly sha256: string;
  /** True when only size, mtime and the first and last MiB were hashed. */
  readonly partial: boolean;
}

export interface RelationFingerprint {
  readonly rows: number;
  /** Sum of `hash(row)` over all rows (HUGEINT as text). */
  readonly checksum: string;
}

export interface FingerprintOptions {
  /** Files above this size get a partial hash (default 256 MiB). */
  readonly partialThresholdBytes?: number;
  /** A file source's files as another connection read them (`readFilesOf`); else as listed on `conn` (see `fingerprintSource`). */
  readonly files?: readonly string[];
}

/** Fingerprint one file. */
export async function fingerprintFile(path: string, options: FingerprintOptions = {}): Promise<FileFingerprint> {
  const st = await stat(path);
  const threshold = options.partialThresholdBytes ?? DEFAULT_PARTIAL_THRESHOLD;
  const mtime = st.mtime.toISOString();
  const hash = createHash('sha256');
  if (st.size > threshold) {
    hash.update(`size=${st.size};mtime=${mtime};`);
    const fh = await open(path, 'r');
    try {
      const head = Buffer.alloc(Math.min(MIB, st.size));
      await fh.read(head, 0, head.length, 0);
      const tail = Buffer.alloc(Math.min(MIB, st.size));
      await fh.read(tail, 0, tail.length, Math.max(0, st.size - MIB));
      hash.update(head).update(tail);
    } finally {
      await fh.close();
    }
    return { path, size: st.size, mtime, sha256: hash.digest('hex'), partial: true };
  }
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return { path, size: st.size, mtime, sha256: hash.digest('hex'), partial: false };
}

/** Files matching a path or glob (DuckDB's `glob()`), sorted. */
export async function expandGlob(conn: DuckDBConnection, pattern: string): Promise<string[]> {
  const rows = (await conn.runAndReadAll(`SELECT file FROM glob(${literal(pattern)}) ORDER BY file`)).getRowsJS();
  return rows.map((r) => String(r[0]));
}

/**
 * The files of glob `abs` as the source's setup checked them on `conn` (what its reads there read), sorted;
 * `undefined` when no setup listed them there (a plain path, or another connection).
 */
async function checkedGlobFiles(conn: DuckDBConnection, abs: string): Promise<string[] | undefined> {
  const list = (await conn.runAndReadAll(`SELECT getvariable(${literal(globFilesVariable(abs))})::VARCHAR[]`)).getRowsJS()[0][0];
  return Array.isArray(list) ? list.map(String).sort() : undefined;
}

/**
 * The files each glob source of `sources` was read from on `conn` (after their setup ran there), by source
 * name: what a manifest fingerprints when the hashing runs on another connection, beside the build.
 */
export async function readFilesOf(conn: DuckDBConnection, root: string, sources: readonly SourceDef[]): Promise<Map<string, readonly string[]>> {
  const out = new Map<string, readonly string[]>();
  for (const source of sources) {
    const files = source.path === undefined ? undefined : await checkedGlobFiles(conn, resolve(root, source.path));
    if (files !== undefined) out.set(source.name, files);
  }
  return out;
}

/** Row count and order-independent checksum of a relation (`SELECT ...` or table name). */
export async function fingerprintRelation(conn: DuckDBConnection, relationSql: string): Promise<RelationFingerprint> {
  const r = (await conn.runAndReadAll(`SELECT count(*) AS n, coalesce(sum(hash(__fg_t)), 0)::VARCHAR AS s FROM (${relationSql}) AS __fg_t`)).getRowsJS()[0];
  return { rows: Number(r[0]), checksum: String(r[1]) };
}

/** Like `fingerprintRelation`, but order-sensitive: `ordinal` (a column) is hashed with each row. */
export async function fingerprintOrderedRelation(conn: DuckDBConnection, table: string, ordinal: string): Promise<RelationFingerprint> {
  const r = (await conn.runAndReadAll(
    `SELECT count(*) AS n, coalesce(sum(hash(__fg_t.${ident(ordinal)}, __fg_t)), 0)::VARCHAR AS s FROM ${ident(table)} AS __fg_t`,
  )).getRowsJS()[0];
  return { rows: Number(r[0]), checksum: String(r[1]) };
}

/**
 * Fingerprint a source definition as a lineage input. `relationSql` is the
 * source's relation (e.g. from `sourceRelationSql`), used for tables and queries.
 * A glob's files are the ones its setup checked on `conn` (what was read there),
 * or `options.files`; listed afresh only where neither is known.
 */
export async function fingerprintSource(
  conn: DuckDBConnection,
  root: string,
  source: SourceDef,
  relationSql: string,
  options: FingerprintOptions = {},
): Promise<LineageInput> {
  if (source.path !== undefined) {
    const abs = resolve(root, source.path);
    const files = options.files ?? (await checkedGlobFiles(conn, abs)) ?? (await expandGlob(conn, abs));
    const fps = await Promise.all(files.map((f) => fingerprintFile(f, options)));
    return {
      name: source.name,
      kind: 'file',
      uri: `file://${resolve(root, source.path)}`,
      fingerprint: { files: fps.map((f) => ({ ...f, path: displayPath(root, f.path) })) },
    };
  }
  const rel = await fingerprintRelation(conn, relationSql);
  if (source.database !== undefined) {
    const db = await fingerprintFile(resolve(root, source.database), options);
    return {
      name: source.name,
      kind: 'table',
      uri: `duckdb://${resolve(root, source.database)}#${source.table ?? ''}`,
      fingerprint: { ...rel, database: { ...db, path: displayPath(root, db.path) } },
    };
  }
  return { name: source.name, kind: 'query', uri: `sql:${source.query ?? ''}`, fingerprint: { ...rel, query: source.query ?? null } };
}

function displayPath(root: string, path: string): string {
  const rel = relative(root, path);
  return rel.startsWith('..') || isAbsolute(rel) ? path : rel;
}
