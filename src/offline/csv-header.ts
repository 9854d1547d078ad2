/**
 * A CSV file whose columns DuckDB's sniffer could not take from its header: a row with more fields than the
 * header makes it read every line as one column (named after the whole header line), or take that row for the
 * header (column names that are data: `201`, `2026-02-01T00:00:00Z`). `csvHeaderFault` tells it from the column
 * names (the entity files' reader and the sources' share it), `raggedCsvRow` finds the first such row (file and
 * line, DuckDB's `store_rejects`), and `csvHeaderStep` refuses a CSV source read so, in one message naming the file.
 *
 * @example
 * const fault = csvHeaderFault(names); // { kind: 'one_column', name: 'customer_id,updated_at' }
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { isGlob } from '../definitions/source-location.js';
import type { SourceDef } from '../definitions/types.js';
import { ident, literal } from './engine.js';
import type { ReadColumn } from './glob-schema.js';
import type { SetupStep } from './setup-step.js';

/** How the column names show that the header was not split: one column of the whole line, or names that are data. */
export type CsvHeaderFault = { readonly kind: 'one_column'; readonly name: string } | { readonly kind: 'data_names' };

/** A column name that is a value, not a name: a date or time (`2026-02-01T…`) or a number (`201`, `12.5`). */
function looksLikeData(name: string): boolean {
  return /^\d{4}-\d{2}-\d{2}/.test(name) || /^[-+]?\d+(\.\d+)?$/.test(name.trim());
}

/** The fault of a CSV file's column names as DuckDB read them, or undefined when they look like a header's. */
export function csvHeaderFault(names: readonly string[]): CsvHeaderFault | undefined {
  if (names.length === 1 && /[,;|\t]/.test(names[0])) return { kind: 'one_column', name: names[0] };
  if (names.some(looksLikeData)) return { kind: 'data_names' };
  return undefined;
}

/** The first row of a CSV read (`files`: a FROM argument, one file or a list) with more fields than its header. */
export interface RaggedRow {
  readonly file: string;
  readonly line: number;
  readonly text: string;
}

let rejectTables = 0;

/**
 * The first row with more fields than the header in `files` (a `read_csv` first argument), as DuckDB's
 * `store_rejects` reads it (its sniffer then keeps the header), or undefined when none is found or the read fails.
 * Reads the files whole: only for a file already known to be at fault.
 */
export async function raggedCsvRow(conn: DuckDBConnection, files: string): Promise<RaggedRow | undefined> {
  const n = ++rejectTables;
  const [errors, scans] = [`fg_csv_rejects_${process.pid}_${n}`, `fg_csv_scans_${process.pid}_${n}`];
  try {
    await conn.run(`SELECT count(*) FROM read_csv(${files}, header = true, all_varchar = true, quote = '"', escape = '"', store_rejects = true, rejects_table = ${literal(errors)}, rejects_scan = ${literal(scans)})`);
    const row = (await conn.runAndReadAll(
      `SELECT s.file_path AS file, e.line AS line, e.csv_line AS text FROM ${ident(errors)} e JOIN ${ident(scans)} s USING (scan_id, file_id)
       WHERE e.error_type = 'TOO MANY COLUMNS' ORDER BY e.file_id, e.line LIMIT 1`,
    )).getRowObjectsJS()[0];
    return row === undefined ? undefined : { file: String(row.file), line: Number(row.line), text: String(row.text) };
  } catch {
    return undefined;
  } finally {
    await conn.run(`DROP TABLE IF EXISTS ${ident(errors)}`).catch(() => undefined);
    await conn.run(`DROP TABLE IF EXISTS ${ident(scans)}`).catch(() => undefined);
  }
}

/** Text shown of a row, at most. */
const ROW_SHOWN = 120;

/**
 * Why a CSV file's columns are not its header's, in one sentence: "the CSV file 'data/c.csv' could not be split
 * into its header's columns: a row has more fields than the header (line 202: 201,…,extra), so DuckDB read …;
 * give every field a name in the header line, or fix that row". `file`: the source's path as written; `glob`: the
 * row's own file is named (absolute: callers make paths relative to the project).
 */
export function csvHeaderMessage(file: string, names: readonly string[], fault: CsvHeaderFault, ragged: RaggedRow | undefined, glob = false): string {
  const shown = ragged === undefined ? '' : ragged.text.length > ROW_SHOWN ? `${ragged.text.slice(0, ROW_SHOWN)}…` : ragged.text;
  const where = ragged === undefined ? '' : ` (${glob ? `${ragged.file} ` : ''}line ${ragged.line}: ${shown})`;
  const read = fault.kind === 'one_column'
    ? `every line as one column named '${fault.name}'`
    : `a row as the header (columns ${names.map((n) => `'${n}'`).join(', ')})`;
  return `the CSV file '${file}' could not be split into its header's columns: a row has more fields than the header${where}, so DuckDB read ${read}; give every field a name in the header line, or fix that row`;
}

/**
 * A CSV source's setup step: the columns DuckDB reads from `from` (its `read_csv` of `files`) hold every column
 * `read`, or the file's header was not split (`csvHeaderFault`) and the read is refused with `csvHeaderMessage`
 * (an `Error`: the runs' `sourceUnreadable` names the view and source, `validate` reports it at the source's path).
 */
export function csvHeaderStep(source: SourceDef, files: string, from: string, read: readonly ReadColumn[]): SetupStep {
  return {
    key: `csvheader:${from}`,
    async run(conn: DuckDBConnection) {
      const names = (await conn.runAndReadAll(`DESCRIBE SELECT * FROM ${from}`)).getRowObjectsJS().map((r) => String(r.column_name));
      const have = new Set(names.map((n) => n.toLowerCase()));
      if (read.every((c) => have.has(c.column.toLowerCase()))) return;
      const fault = csvHeaderFault(names);
      if (fault === undefined) return;
      const path = source.path ?? '';
      throw new Error(csvHeaderMessage(path, names, fault, await raggedCsvRow(conn, files), isGlob(path)));
    },
  };
}
