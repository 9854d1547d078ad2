/**
 * Writing dataset rows: Parquet, CSV and JSON through DuckDB `COPY`, Arrow IPC
 * (file format, `.arrow`/`.feather`) assembled from DuckDB's column chunks. Also
 * the bytes of the same formats for the HTTP server (Arrow IPC stream format by
 * default), made before the answer starts. Timestamps in CSV and JSON are ISO 8601 UTC with `Z`.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { createReadStream } from 'node:fs';
import { mkdtemp, open, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, extname, join } from 'node:path';
import { InputError } from '../errors.js';
import { arrowIpcChunks } from './arrow.js';
import { ident, literal } from './engine.js';

// The type is in a type-only module (the SDK's declarations import it there).
import type { DatasetFormat } from './dataset-format-types.js';
export const DATASET_FORMATS: readonly DatasetFormat[] = ['parquet', 'arrow', 'csv', 'json'];

/** HTTP content type of each format (Arrow: the IPC stream format). */
export const DATASET_CONTENT_TYPES: Record<DatasetFormat, string> = {
  parquet: 'application/vnd.apache.parquet',
  arrow: 'application/vnd.apache.arrow.stream',
  csv: 'text/csv; charset=utf-8',
  json: 'application/json',
};

const EXTENSIONS: Record<string, DatasetFormat> = {
  '.parquet': 'parquet', '.pq': 'parquet', '.arrow': 'arrow', '.feather': 'arrow', '.ipc': 'arrow', '.csv': 'csv', '.json': 'json',
};

/** What a compressed output's name ends with; the ones DuckDB `COPY` writes are `gzip` and `zstd`, the others refused. */
const COMPRESSED: Record<string, DatasetCompression | null> = { '.gz': 'gzip', '.zst': 'zstd', '.bz2': null, '.xz': null, '.zip': null, '.lz4': null };

export type DatasetCompression = 'gzip' | 'zstd';

/** `.gz` in `train.csv.gz`: the compression suffix of `path`, or ''. */
function compressionSuffix(path: string): string {
  const ext = extname(path).toLowerCase();
  return ext in COMPRESSED ? ext : '';
}

/**
 * The format named, or inferred from the file extension (`train.csv.gz`: csv). `option` is the caller's spelling of
 * the format option, which a name without a known extension is told to pass: `--format` (the CLI's, the default)
 * or `format` (the SDK's, which checks `out` first).
 */
export function datasetFormat(path: string, format?: string, option = '--format'): DatasetFormat {
  const suffix = compressionSuffix(path);
  const ext = extname(path.slice(0, path.length - suffix.length)).toLowerCase();
  const f = EXTENSIONS[ext];
  if (format !== undefined) {
    if (!(DATASET_FORMATS as readonly string[]).includes(format)) throw new InputError(`unknown format '${format}': use ${DATASET_FORMATS.join(', ')}`, undefined, 'bad_format');
    // A file named for another format would be read as that format by whoever opens it (CSV under a .parquet name).
    if (f !== undefined && f !== format) {
      throw new InputError(`${option} ${format} would write ${format} to '${path}', whose ${ext} name says ${f}: name the file for its format or drop ${option}`, { path, format, named: f }, 'bad_format');
    }
    return format as DatasetFormat;
  }
  if (!f) throw new InputError(`cannot tell the output format from '${path}': use a .parquet, .arrow, .csv or .json file (CSV and JSON also .gz or .zst) or pass ${option}`, undefined, 'bad_format');
  return f;
}

/**
 * How a file named `path` in `format` is compressed: CSV and JSON named `.gz` or `.zst` are gzip or zstd, as
 * DuckDB's own `COPY` writes them (null: plain). Refuses a name that promises what the format cannot be
 * (Parquet and Arrow compress inside the file) or a compression DuckDB does not write (`.bz2`, `.xz`, …).
 */
export function datasetCompression(path: string, format: DatasetFormat): DatasetCompression | null {
  const suffix = compressionSuffix(path);
  if (suffix === '') return null;
  const compression = COMPRESSED[suffix];
  if (format === 'parquet' || format === 'arrow') {
    throw new InputError(`cannot write ${format} to '${path}': ${format} compresses inside the file, a ${suffix} name would promise a ${suffix} stream; drop the ${suffix}`, { path }, 'bad_format');
  }
  if (compression === null) throw new InputError(`cannot write '${path}': ${format.toUpperCase()} is written plain, gzip (.gz) or zstd (.zst), not ${suffix}`, { path }, 'bad_format');
  return compression;
}

/** `data/train.parquet` → `data/train.train.parquet` / `data/train.test.parquet` (`t.csv.gz` → `t.train.csv.gz`). */
export function splitOutputPath(path: string, part: 'train' | 'test'): string {
  const suffix = compressionSuffix(path);
  const ext = extname(path.slice(0, path.length - suffix.length)) + suffix;
  const name = basename(path, ext);
  return join(dirname(path), `${name}.${part}${ext}`);
}

/** Timestamps in CSV and JSON: ISO 8601, UTC (the engine's time zone), to the microsecond. */
const ISO_TIMESTAMP = '%Y-%m-%dT%H:%M:%S.%fZ';

/** `COPY` options; `compression` (CSV, JSON) named, as DuckDB would infer it from a temp file's name only wrongly. */
function copyOptions(format: Exclude<DatasetFormat, 'arrow'>, compression: DatasetCompression | null = null): string {
  const iso = `TIMESTAMPFORMAT ${literal(ISO_TIMESTAMP)}`;
  if (format === 'parquet') return '(FORMAT parquet, COMPRESSION zstd)';
  const compressed = compression ? `, COMPRESSION ${compression}` : '';
  if (format === 'csv') return `(FORMAT csv, HEADER true, ${iso}${compressed})`;
  return `(FORMAT json, ARRAY true, ${iso}${compressed})`;
}

/**
 * Write the rows of `selectSql` to `path` (CSV and JSON compressed as `compression` says: see `datasetCompression`
 * of the final name, `path` may be a temp file's); resolves to the file size in bytes.
 */
export async function writeDatasetFile(conn: DuckDBConnection, selectSql: string, path: string, format: DatasetFormat, compression: DatasetCompression | null = null): Promise<number> {
  if (format === 'arrow') {
    // A file handle, not a write stream: a write error is a rejection here, never an unhandled 'error' event.
    const out = await open(path, 'w');
    try {
      for await (const chunk of arrowIpcChunks(await conn.stream(selectSql), 'file')) await out.write(chunk);
    } finally {
      await out.close();
    }
  } else {
    await conn.run(`COPY (${await copySelect(conn, selectSql, format)}) TO ${literal(path)} ${copyOptions(format, compression)}`);
  }
  return (await stat(path)).size;
}

/**
 * The rows to `COPY` in `format`. JSON has no NaN or Infinity (DuckDB writes them bare, which no JSON parser
 * reads): in JSON they are null, as `JSON.stringify` writes them; the other formats keep them. Integers beyond
 * ±(2^53 − 1) are the decimal text in JSON, as the online API serves them: a JavaScript client would read the
 * bare number rounded (9007199254740993 as …992), another id. Parquet has no 128-bit integer (DuckDB writes
 * `HUGEINT` and `UHUGEINT` as DOUBLE, an id's last digits lost): they are its decimal text there, as in Arrow.
 * Timestamps of a pass-through column in seconds, milliseconds or nanoseconds are written in CSV and JSON as the
 * others are (ISO 8601, UTC, `Z`: DuckDB's `TIMESTAMPFORMAT` applies to `TIMESTAMP` only), to the microsecond
 * like every featureguard timestamp; in JSON also timestamps in lists (which `TIMESTAMPFORMAT` does not reach).
 */
async function copySelect(conn: DuckDBConnection, selectSql: string, format: Exclude<DatasetFormat, 'arrow'>): Promise<string> {
  const columns = (await conn.runAndReadAll(`DESCRIBE ${selectSql}`)).getRowObjectsJS().map((r) => ({ name: String(r.column_name), type: String(r.column_type) }));
  const replaced = columns.flatMap(({ name, type }) => {
    const sql = format === 'parquet'
      ? valuesSql(ident(name), type, parquetValue)
      : OTHER_TIMESTAMPS.has(type) ? `CAST(${ident(name)} AS TIMESTAMP)` : format === 'json' ? valuesSql(ident(name), type, jsonValue) : null;
    return sql === null ? [] : [`${sql} AS ${ident(name)}`];
  });
  return replaced.length === 0 ? selectSql : `SELECT * REPLACE (${replaced.join(', ')}) FROM (${selectSql}) AS __fg_json`;
}

/** Timestamp types other than microseconds (`TIMESTAMP`) and `TIMESTAMPTZ`. */
const OTHER_TIMESTAMPS = new Set(['TIMESTAMP_S', 'TIMESTAMP_MS', 'TIMESTAMP_NS']);

/** A `DECIMAL(p,0)` whose values can lie beyond ±(2^53 − 1), an integer type in all but name. */
function wholeDecimal(type: string): boolean {
  const m = /^DECIMAL\((\d+),0\)$/.exec(type);
  return m !== null && Number(m[1]) > 15;
}

/** Integer types whose values can lie beyond what a JavaScript number holds exactly. */
const WIDE_INTEGERS = new Set(['BIGINT', 'HUGEINT', 'UBIGINT', 'UHUGEINT']);

/**
 * A value `x` of DuckDB type `type` as JSON can carry it: NaN and ±Infinity as NULL (floats), integers beyond
 * ±(2^53 − 1) as their decimal text; null when the type holds neither (structs and maps are written as DuckDB
 * writes them).
 */
function jsonValue(x: string, type: string, depth: number): string | null {
  if (type === 'FLOAT' || type === 'DOUBLE') return `CASE WHEN isfinite(${x}) THEN ${x} END`;
  // In a list, as `TIMESTAMPFORMAT` writes a top-level one (which it does not reach); ±infinity as DuckDB's text.
  if (depth > 0 && (type === 'TIMESTAMP' || type === 'TIMESTAMP WITH TIME ZONE' || OTHER_TIMESTAMPS.has(type))) {
    return `CASE WHEN isfinite(${x}::TIMESTAMP) THEN strftime(${x}::TIMESTAMP, ${literal(ISO_TIMESTAMP)}) ELSE ${x}::VARCHAR END`;
  }
  if (!WIDE_INTEGERS.has(type) && !wholeDecimal(type)) return null;
  // An unsigned value is compared with the upper bound alone: BETWEEN a negative bound casts it to HUGEINT,
  // which a UHUGEINT from 2^127 up overflows.
  const exact = type.startsWith('U') ? `${x} <= 9007199254740991` : `${x} BETWEEN -9007199254740991 AND 9007199254740991`;
  return `CASE WHEN ${exact} THEN to_json(${x}) ELSE to_json(${x}::VARCHAR) END`;
}

/** A value `x` of DuckDB type `type` as Parquet can carry it: a 128-bit integer as its decimal text; else null. */
function parquetValue(x: string, type: string): string | null {
  return type === 'HUGEINT' || type === 'UHUGEINT' ? `${x}::VARCHAR` : null;
}

/** `expr` with `value` applied to it, or to its items in lists or arrays at any depth (`depth` > 0); null when `value` changes none. */
function valuesSql(expr: string, type: string, value: (x: string, type: string, depth: number) => string | null, depth = 0): string | null {
  const own = value(expr, type, depth);
  if (own !== null) return own;
  const list = /^(.*)\[\d*\]$/.exec(type);
  if (!list) return null;
  const item = `__fg_x${depth}`;
  const inner = valuesSql(item, list[1], value, depth + 1);
  return inner === null ? null : `list_transform(${expr}, lambda ${item}: ${inner})`;
}

/** A dataset's bytes, made ready to stream (`datasetBytes`). */
export interface DatasetBytes {
  /** The bytes; iterate once. What they hold is released when they end. */
  readonly chunks: AsyncIterable<Uint8Array>;
  /** Release what unread bytes hold (the temp file, DuckDB's result); safe to call again. */
  dispose(): Promise<void>;
}

/**
 * The rows of `selectSql` as bytes in `format`, made before this resolves: a failure is a rejection here, which
 * the HTTP API answers as an error, not a body cut off after its 200 was sent. Other formats are written by
 * DuckDB `COPY` to a temp file, streamed and removed; Arrow is an IPC stream from the chunks, its first
 * chunk (the first rows) read already.
 */
export async function datasetBytes(conn: DuckDBConnection, selectSql: string, format: DatasetFormat): Promise<DatasetBytes> {
  if (format === 'arrow') {
    const ipc = arrowIpcChunks(await conn.stream(selectSql), 'stream');
    const first = await ipc.next();
    async function* chunks(): AsyncGenerator<Uint8Array> {
      if (first.done) return;
      yield first.value;
      yield* ipc;
    }
    return { chunks: chunks(), dispose: async () => void (await ipc.return(undefined)) };
  }
  const dir = await mkdtemp(join(tmpdir(), 'featureguard-dataset-'));
  const dispose = () => rm(dir, { recursive: true, force: true });
  const file = join(dir, `dataset.${format}`);
  try {
    await conn.run(`COPY (${await copySelect(conn, selectSql, format)}) TO ${literal(file)} ${copyOptions(format)}`);
  } catch (e) {
    await dispose();
    throw e;
  }
  async function* chunks(): AsyncGenerator<Uint8Array> {
    try {
      for await (const chunk of createReadStream(file)) yield chunk as Uint8Array;
    } finally {
      await dispose();
    }
  }
  return { chunks: chunks(), dispose };
}
