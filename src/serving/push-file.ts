/** Reading the rows of `featureguard push --file`: JSON (rows, `{rows}` or Feast `{df}`) or Parquet. */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { InputError } from '../errors.js';
import { ident, literal } from '../offline/engine.js';
import type { Project } from '../project.js';
import { viewJoinKeys } from '../definitions/definition-set.js';
import type { DefinitionSet } from '../definitions/types.js';
import { sourceColumnName } from '../definitions/source-location.js';
import { parseJson } from '../server/body.js';
import { rowsFromColumns } from './push-rows.js';

/**
 * The columns of a view's rows that hold text: its string features and string join keys, by their names and by
 * the source columns they are read from (a push may use either). A Parquet file's BIGINT in one of them stays
 * its digits instead of becoming a number the view's schema refuses.
 */
export function textColumnsOf(set: DefinitionSet, view: string): Set<string> {
  const v = set.views.get(view);
  const out = new Set<string>();
  if (!v) return out;
  const source = set.sources.get(v.source);
  const names = [
    ...v.features.filter((f) => f.type === 'string').map((f) => f.name),
    ...viewJoinKeys(set, v).filter((k) => k.type === 'string').map((k) => k.name),
  ];
  for (const n of names) {
    out.add(n);
    if (source) out.add(sourceColumnName(source, n));
  }
  return out;
}

/** The rows of a `push --file` file. */
export interface PushFile {
  readonly rows: Record<string, unknown>[];
  /**
   * The file is Feast's `{"df": {column: [values]}}`: pushed with the leniency `POST /push` gives Feast's body
   * (`ignoreUnknownColumns`: other columns left out, `created` as the created timestamp).
   */
  readonly feast: boolean;
}

/** Rows of a JSON or Parquet file; timestamps come back as RFC 3339 UTC strings. `textColumns`: see `textColumnsOf`. */
export async function readRowsFile(project: Pick<Project, 'engine'>, file: string, textColumns: ReadonlySet<string> = new Set()): Promise<Record<string, unknown>[]> {
  return (await readPushFile(project, file, textColumns)).rows;
}

/** `readRowsFile`, saying also whether the file is Feast's `{df}` form (see `PushFile`). */
export async function readPushFile(project: Pick<Project, 'engine'>, file: string, textColumns: ReadonlySet<string> = new Set()): Promise<PushFile> {
  const path = resolve(file);
  if (/\.parquet$/i.test(path)) {
    const engine = await project.engine();
    const conn = await engine.connect();
    try {
      // The footer (DESCRIBE) and the data pages (SELECT) can each be what is broken.
      try {
        const described = await conn.runAndReadAll(`DESCRIBE SELECT * FROM read_parquet(${literal(path)})`);
        const cols = described.getRowObjectsJson() as { column_name: string; column_type: string }[];
        const select = cols.map(({ column_name: c, column_type: t }) =>
          /^(TIMESTAMP|DATE)/.test(t) ? `strftime(${ident(c)}::TIMESTAMP, '%Y-%m-%dT%H:%M:%S.%fZ') AS ${ident(c)}`
            // A decimal with a fraction (pyarrow's, Spark's, DuckDB's own 2.25) is a float feature's value; lists of
            // numbers are float lists (the only list features).
            : FRACTIONAL_DECIMAL.test(t) ? `${ident(c)}::DOUBLE AS ${ident(c)}`
              : NUMBER_LIST.test(t) ? `${ident(c)}::DOUBLE[] AS ${ident(c)}`
                : ident(c),
        );
        const r = await conn.runAndReadAll(`SELECT ${select.join(', ')} FROM read_parquet(${literal(path)})`);
        const rows = r.getRowObjectsJson() as Record<string, unknown>[];
        // The JSON form writes NaN and ±Infinity of float columns as text: back to the numbers they are (a float
        // feature keeps them for the guards to judge, as in a JSON push).
        const floats = cols.filter((c) => /^(FLOAT|DOUBLE)(\[\])?$/.test(c.column_type) || FRACTIONAL_DECIMAL.test(c.column_type) || NUMBER_LIST.test(c.column_type)).map((c) => c.column_name);
        for (const row of rows) for (const c of floats) row[c] = nonFinite(row[c]);
        // ... and 64-bit and wider integers as digit text: a number when JSON holds it exactly (pandas writes int64
        // columns for int32 features too), else the digits, as an int64 beyond ±2^53 is pushed.
        // Not for the view's string columns (`textColumns`): an id stored as BIGINT for a string key stays its digits.
        const wide = cols.filter((c) => WIDE_INTEGER.test(c.column_type) && !textColumns.has(c.column_name)).map((c) => c.column_name);
        for (const row of rows) for (const c of wide) row[c] = exactNumber(row[c]);
        return { rows, feast: false };
      } catch (e) {
        throw unreadable(file, `not a readable Parquet file (${(e as Error).message.split('\n')[0]})`);
      }
    } finally {
      conn.closeSync();
    }
  }
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw unreadable(file, (e as Error).message);
  }
  let parsed: unknown;
  try {
    // Read as POST /v1/push reads its body, so that a file pushes as the same body would: NaN and ±Infinity as
    // Python's json.dumps writes them, integers beyond ±2^53 with every digit (under `rows` and `df`, and in a
    // bare array of rows).
    parsed = parseJson(text, true);
  } catch {
    throw unreadable(file, syntaxError(text));
  }
  if (Array.isArray(parsed)) return { rows: parsed as Record<string, unknown>[], feast: false };
  const obj = parsed as { rows?: unknown; df?: Record<string, unknown[]> };
  if (Array.isArray(obj?.rows)) return { rows: obj.rows as Record<string, unknown>[], feast: false };
  if (obj?.df && typeof obj.df === 'object') {
    return { rows: rowsFromColumns(obj.df), feast: true };
  }
  throw new InputError(`${file}: expected an array of rows, {"rows": [...]} or {"df": {column: [values]}}`, { file }, 'bad_rows_file');
}

/** Why `text` is no JSON, as `JSON.parse` says it (about the file's own text, not the body `parseJson` read). */
function syntaxError(text: string): string {
  try {
    JSON.parse(text);
  } catch (e) {
    return (e as Error).message;
  }
  return 'not valid JSON';
}

/** A DECIMAL with digits after the point, e.g. `DECIMAL(18,3)`. */
const FRACTIONAL_DECIMAL = /^DECIMAL\(\d+,\s*[1-9]\d*\)$/;
/** Integers the JSON form writes as digit text: 64-bit and wider, and whole DECIMALs (`DECIMAL(38,0)`). */
const WIDE_INTEGER = /^(BIGINT|UBIGINT|HUGEINT|UHUGEINT|DECIMAL\(\d+,\s*0\))$/;
/** A list of numbers that is no FLOAT or DOUBLE list (integers, decimals). */
const NUMBER_LIST = /^(TINYINT|SMALLINT|INTEGER|BIGINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|HUGEINT|UHUGEINT|DECIMAL\(\d+,\s*\d+\))\[\]$/;

/** Digit text as a number when a double holds it exactly, else as it is (the schema judges it). */
function exactNumber(v: unknown): unknown {
  if (typeof v !== 'string') return v;
  const n = Number(v);
  return Number.isSafeInteger(n) ? n : v;
}

const NON_FINITE: Readonly<Record<string, number>> = { NaN: Number.NaN, Infinity: Infinity, '-Infinity': -Infinity };

/** A float (or list of floats) of the JSON form with its non-finite texts as numbers. */
function nonFinite(v: unknown): unknown {
  if (typeof v === 'string') return NON_FINITE[v] ?? v;
  return Array.isArray(v) ? v.map(nonFinite) : v;
}

const unreadable = (file: string, reason: string) => new InputError(`cannot read rows from ${file}: ${reason}`, { file }, 'bad_rows_file');
