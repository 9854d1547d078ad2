/**
 * The parts of a built dataset: all its rows, or a train and a test part split by time (`splitAt`, or the point
 * that puts about `testFraction` of the rows, the latest, in the test part). Each part is a SELECT over the
 * build's temp table with its row count and time range; a split also gets one temp view a part, which the
 * guards compare (`split` in their dataset info).
 *
 * @example
 * const { parts, split } = await datasetParts(conn, dsTable, select, { splitAt: null, testFraction: 0.2 }, rows);
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { ident } from './engine.js';
import type { ManifestOutput } from './manifest-types.js';
import { ENTITY_TS } from './point-in-time.js';

/** One part of a dataset: the SELECT of its rows, how many there are, their time range. */
export interface DatasetPart {
  readonly part: 'all' | 'train' | 'test';
  readonly select: string;
  readonly rows: number;
  readonly range: ManifestOutput['time_range'];
}

/** How a build splits its rows: at `splitAt` (microsecond instant text), by `testFraction`, or (neither asked) not at all. */
export interface DatasetSplit {
  readonly splitAt: string | null;
  readonly testFraction?: number;
  /** A split was asked for: without rows to split (no split point) the test part is empty. */
  readonly splitting: boolean;
}

/** An instant's text as the manifest records it (ISO 8601, UTC, microseconds). */
const ISO_MICROS = `'%Y-%m-%dT%H:%M:%S.%fZ'`;

/**
 * The parts of the rows in `dsTable` (`select(where)` selects the visible columns), with the split point used
 * (`testFraction`'s is found in the rows) and, for a split, the temp views of its parts (dropped by the build's cleanup).
 */
export async function datasetParts(
  conn: DuckDBConnection, dsTable: string, select: (where?: string) => string, split: DatasetSplit, rowCount: number,
): Promise<{ splitAt: string | null; parts: DatasetPart[]; split: { trainTable: string; testTable: string } | undefined }> {
  let splitAt: string | null = split.splitAt;
  if (split.testFraction !== undefined) {
    // The latest round(f·n) rows (at least one) go to test; rows tied with the boundary go with them.
    const k = Math.max(1, Math.round(split.testFraction * rowCount));
    const r = (await conn.runAndReadAll(
      `SELECT strftime(${ENTITY_TS}, ${ISO_MICROS}) FROM ${ident(dsTable)} ORDER BY ${ENTITY_TS} LIMIT 1 OFFSET ${Math.max(0, rowCount - k)}`,
    )).getRowsJS();
    splitAt = r[0]?.[0] == null ? null : String(r[0][0]);
  }
  const splitLit = splitAt === null ? null : `CAST(CAST('${splitAt}' AS TIMESTAMPTZ) AS TIMESTAMP)`;
  const partDefs: { part: 'all' | 'train' | 'test'; where: string }[] = splitLit
    ? [{ part: 'train', where: ` WHERE ${ENTITY_TS} < ${splitLit}` }, { part: 'test', where: ` WHERE ${ENTITY_TS} >= ${splitLit}` }]
    : split.splitting
      ? [{ part: 'train', where: '' }, { part: 'test', where: ' WHERE false' }]
      : [{ part: 'all', where: '' }];
  const parts: DatasetPart[] = [];
  for (const p of partDefs) {
    const r = (await conn.runAndReadAll(
      `SELECT count(*), strftime(min(${ENTITY_TS}), ${ISO_MICROS}), strftime(max(${ENTITY_TS}), ${ISO_MICROS}) FROM ${ident(dsTable)}${p.where}`,
    )).getRowsJS()[0];
    parts.push({ part: p.part, select: select(p.where), rows: Number(r[0]), range: r[1] == null ? null : { min: String(r[1]), max: String(r[2]) } });
  }
  if (partDefs.length !== 2) return { splitAt, parts, split: undefined };
  const tables = { trainTable: `${dsTable}_train`, testTable: `${dsTable}_test` };
  await conn.run(`CREATE TEMP VIEW ${ident(tables.trainTable)} AS SELECT * FROM ${ident(dsTable)}${partDefs[0].where}`);
  await conn.run(`CREATE TEMP VIEW ${ident(tables.testTable)} AS SELECT * FROM ${ident(dsTable)}${partDefs[1].where}`);
  return { splitAt, parts, split: tables };
}
