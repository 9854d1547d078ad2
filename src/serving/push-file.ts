/** Reading the rows of `featureguard push --file`: JSON (rows, `{rows}` or Feast `{df}`) or Parquet. */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { InputError } from '../errors.js';
import { ident, literal } from '../offline/engine.js';
import type { Project } from '../project.js';
import { rowsFromColumns } from './push-rows.js';

/** Rows of a JSON or Parquet file; timestamps come back as RFC 3339 UTC strings. */
export async function readRowsFile(project: Project, file: string): Promise<Record<string, unknown>[]> {
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
          /^(TIMESTAMP|DATE)/.test(t) ? `strftime(${ident(c)}::TIMESTAMP, '%Y-%m-%dT%H:%M:%S.%fZ') AS ${ident(c)}` : ident(c),
        );
        const r = await conn.runAndReadAll(`SELECT ${select.join(', ')} FROM read_parquet(${literal(path)})`);
        const rows = r.getRowObjectsJson() as Record<string, unknown>[];
        // The JSON form writes NaN and ±Infinity of float columns as text: back to the numbers they are (a float
        // feature keeps them for the guards to judge, as in a JSON push).
        const floats = cols.filter((c) => /^(FLOAT|DOUBLE)(\[\])?$/.test(c.column_type)).map((c) => c.column_name);
        for (const row of rows) for (const c of floats) row[c] = nonFinite(row[c]);
        return rows;
      } catch (e) {
        throw unreadable(file, `not a readable Parquet file (${(e as Error).message.split('\n')[0]})`);
      }
    } finally {
      conn.closeSync();
    }
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw unreadable(file, (e as Error).message);
  }
  if (Array.isArray(parsed)) return parsed as Record<string, unknown>[];
  const obj = parsed as { rows?: unknown; df?: Record<string, unknown[]> };
  if (Array.isArray(obj?.rows)) return obj.rows as Record<string, unknown>[];
  if (obj?.df && typeof obj.df === 'object') {
    return rowsFromColumns(obj.df);
  }
  throw new InputError(`${file}: expected an array of rows, {"rows": [...]} or {"df": {column: [values]}}`, { file }, 'bad_rows_file');
}

const NON_FINITE: Readonly<Record<string, number>> = { NaN: Number.NaN, Infinity: Infinity, '-Infinity': -Infinity };

/** A float (or list of floats) of the JSON form with its non-finite texts as numbers. */
function nonFinite(v: unknown): unknown {
  if (typeof v === 'string') return NON_FINITE[v] ?? v;
  return Array.isArray(v) ? v.map(nonFinite) : v;
}

const unreadable = (file: string, reason: string) => new InputError(`cannot read rows from ${file}: ${reason}`, { file }, 'bad_rows_file');
