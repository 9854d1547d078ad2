/**
 * Entity rows for a dataset build: from a Parquet/CSV file, a SQL query, an
 * array of objects or an Arrow table. They are loaded into a temp table on the
 * build's connection with a row ordinal first (`__fg_row`, the input order), the
 * timestamp column renamed to `event_timestamp` (TIMESTAMP, UTC, microseconds)
 * and join keys cast to their declared types. A single Parquet file is read
 * straight into that table in one pass (its `file_row_number` is the ordinal);
 * other inputs are first copied as they are into a raw temp table, whose
 * insertion order gives the ordinal. CSV files are read with the join
 * key columns typed as declared (a zip code `02134` stays text) and the timestamp
 * column as text that is then cast strictly. Mistakes a user can make are
 * `InputError`s that say what to fix.
 *
 * This module chooses the path and names the rows; the raw read is `entity-raw.ts`, the checks and casts that
 * make the entity table are `entity-table.ts`.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { resolve } from 'node:path';
import { existsSync } from 'node:fs';
import type { JoinKey } from '../definitions/types.js';
import { fileUri } from '../runs/dataset-names.js';
import { foldAscii, ident, literal } from './engine.js';
import { entityFileFormat, loadRaw } from './entity-raw.js';
import { DirectReadFailed, loadFrom } from './entity-table.js';
import type { EntityInput } from './entity-input-types.js';
import { fingerprintOrderedRelation } from './fingerprint.js';
import { ROW_ORDINAL } from './point-in-time.js';

export interface LoadedEntities {
  /** Temp table with `__fg_row`, the entity columns (timestamp renamed), keys cast. */
  readonly table: string;
  /** Entity columns in output order (without `__fg_row`). */
  readonly columns: readonly string[];
  readonly rowCount: number;
  readonly timeRange: { readonly min: string; readonly max: string } | null;
  /** The same range as DuckDB TIMESTAMP text (for SQL literals), or null without rows. */
  readonly timeBounds: { readonly min: string; readonly max: string } | null;
  /** How the input is described in the manifest and lineage. */
  readonly description: { readonly kind: EntityInput['kind']; readonly uri: string };
}

export interface LoadEntityOptions {
  /** Name of the timestamp column in the input (default `event_timestamp`); renamed to `event_timestamp`. */
  readonly timestampColumn?: string;
  /** Join keys the selected views need, with the entity that declares each. */
  readonly joinKeys: readonly (JoinKey & { readonly entity: string })[];
  /**
   * Join keys the rows may lack when they have `column`: a service's label the entity rows carry already
   * (its view is then not joined, so its own keys are not needed).
   */
  readonly keysUnless?: { readonly column: string; readonly keys: readonly string[] };
  /** Name of the temp table to create. */
  readonly table: string;
  /** Folder relative file paths are resolved against (default: the process's working directory). */
  readonly baseDir?: string;
}

/**
 * The URI the entity rows are recorded under (manifest, lineage): a file by its absolute path (relative paths
 * resolve against `baseDir`, default the working directory), a query by its text. Rows in memory have no name of
 * their own: once loaded they are named by their fingerprint (`memoryEntityUri`, see `loadEntityInput`); before
 * that (a build that failed loading them) by `unloaded`, the run's id, so that no two builds share one dataset.
 */
export function entityInputUri(input: EntityInput, baseDir?: string, unloaded?: string): string {
  if (input.kind === 'file') return fileUri(resolve(baseDir ?? process.cwd(), input.path));
  if (input.kind === 'sql') return `sql:${input.sql}`;
  return unloaded === undefined ? `memory:${input.kind}` : memoryEntityUri(input.kind, `run-${unloaded}`);
}

/**
 * Entity rows given in memory (an array of objects, an Arrow table) as a dataset: `memory:rows/ID`
 * (`memory:arrow/ID`), ID the checksum of their ordered fingerprint (as the manifest records it), so builds from
 * other rows name other datasets and builds from the same rows, in the same order, the same one.
 *
 * @example
 * memoryEntityUri('rows', '260286824962102998475'); // 'memory:rows/260286824962102998475'
 */
export function memoryEntityUri(kind: 'rows' | 'arrow', id: string): string {
  return `memory:${kind}/${id}`;
}

/** Loaded in-memory rows named by their fingerprint (`memoryEntityUri`); other inputs as they are. */
async function named(conn: DuckDBConnection, input: EntityInput, loaded: LoadedEntities): Promise<LoadedEntities> {
  if (input.kind !== 'rows' && input.kind !== 'arrow') return loaded;
  const { checksum } = await fingerprintOrderedRelation(conn, loaded.table, ROW_ORDINAL);
  return { ...loaded, description: { kind: input.kind, uri: memoryEntityUri(input.kind, checksum) } };
}

/** Load entity rows into a temp table on `conn` and validate them against the join keys. */
export async function loadEntityInput(conn: DuckDBConnection, input: EntityInput, options: LoadEntityOptions): Promise<LoadedEntities> {
  const direct = await directParquet(conn, input, options);
  if (direct) {
    try {
      return await loadFrom(conn, direct.from, direct.types, { ordinal: 'file_row_number', description: direct.description, direct: true }, options);
    } catch (e) {
      // The file could not be read into the table: a bad timestamp, or a bad file? The general path tells them apart.
      if (!(e instanceof DirectReadFailed)) throw e;
    }
  }
  const raw = `${options.table}_raw`;
  await loadRaw(conn, input, raw, options);
  const description: LoadedEntities['description'] = { kind: input.kind, uri: entityInputUri(input, options.baseDir) };
  try {
    const described = (await conn.runAndReadAll(`DESCRIBE ${ident(raw)}`)).getRowObjectsJS();
    const types = new Map(described.map((r) => [String(r.column_name), String(r.column_type)]));
    // The input order is the raw table's rowid, which a column of the rows named `rowid` would shadow: that column
    // is renamed aside and read back under its name, in its place.
    const own = [...types.keys()].find((n) => foldAscii(n) === 'rowid');
    const textKeys = input.kind === 'file' && entityFileFormat(input) === 'csv';
    if (own === undefined) return await named(conn, input, await loadFrom(conn, ident(raw), types, { ordinal: 'rowid', description, textKeys }, options));
    await conn.run(`ALTER TABLE ${ident(raw)} RENAME COLUMN ${ident(own)} TO ${USER_ROWID}`);
    const from = `(SELECT rowid AS ${RAW_ORDINAL}, * RENAME (${USER_ROWID} AS ${ident(own)}) FROM ${ident(raw)}) AS __fg_raw`;
    return await named(conn, input, await loadFrom(conn, from, types, { ordinal: RAW_ORDINAL, description, textKeys }, options));
  } finally {
    await conn.run(`DROP TABLE IF EXISTS ${ident(raw)}`);
  }
}

/** A column of the rows named `rowid` while it is set aside (see `loadEntityInput`), and the raw table's row ids. */
const USER_ROWID = '__fg_user_rowid';
const RAW_ORDINAL = '__fg_raw_row';

/**
 * A single Parquet file (no glob) whose columns DuckDB can describe: read it
 * straight into the entity table, `file_row_number` being the input order.
 * `null` for every other input (and for a file with its own `file_row_number`
 * column), which takes the general path.
 */
async function directParquet(
  conn: DuckDBConnection,
  input: EntityInput,
  options: LoadEntityOptions,
): Promise<{ from: string; types: Map<string, string>; description: LoadedEntities['description'] } | null> {
  if (input.kind !== 'file') return null;
  const path = resolve(options.baseDir ?? process.cwd(), input.path);
  if (entityFileFormat(input) !== 'parquet' || /[*?[]/.test(path) || !existsSync(path)) return null;
  try {
    const described = (await conn.runAndReadAll(`DESCRIBE SELECT * FROM read_parquet(${literal(path)})`)).getRowObjectsJS();
    const types = new Map(described.map((r) => [String(r.column_name), String(r.column_type)]));
    if ([...types.keys()].some((n) => n.toLowerCase() === 'file_row_number')) return null;
    return { from: `read_parquet(${literal(path)}, file_row_number = true)`, types, description: { kind: 'file', uri: entityInputUri(input, options.baseDir) } };
  } catch {
    return null;
  }
}

