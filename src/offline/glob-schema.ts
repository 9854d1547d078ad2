/**
 * The column types of every Parquet file a glob matched, checked against what is read. DuckDB's
 * `read_parquet([...])` binds the column types of the list's first file and casts every other file into
 * them: a later file's DOUBLE `2.5` in a column the first file has as INTEGER is read as `2`, and the
 * guards (which see the first file's type) pass it. One `parquet_schema()` query over the checked list
 * (file footers only) gives each file's top-level columns.
 *
 * @example
 * const step = globSchemaStep(roots, source, globFilesVariable(abs), [{ column: 'qty', what: "feature 'qty'", type: 'int64' }]);
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { relative } from 'node:path';
import { DefinitionError, type DefinitionProblem } from '../errors.js';
import { problemAt } from '../definitions/origins.js';
import type { SourceRoots } from '../definitions/source-location.js';
import { ACCEPTED_COLUMN_TYPES, TIMESTAMP_FIELD_TYPES, isCompatibleType, isTimestampFieldType } from '../definitions/type-compat.js';
import type { FeatureType, JoinKeyType, SourceDef } from '../definitions/types.js';
import { literal } from './engine.js';

/** A source column a reader uses: its name in the files, what it is for messages, its declared type. */
export interface ReadColumn {
  readonly column: string;
  /** "feature 'qty'", "join key 'sku'", "timestamp field 'ts'". */
  readonly what: string;
  readonly type: FeatureType | JoinKeyType;
  /** A timestamp field, read through `utcTimestampSql` (text is read too). */
  readonly field?: boolean;
}

/** Problems named per check at most (a glob of thousands of files written by one changed producer). */
const MAX_PROBLEMS = 20;

const INT_BITS: Record<string, [signed: boolean, bits: number]> = {
  TINYINT: [true, 8], SMALLINT: [true, 16], INTEGER: [true, 32], BIGINT: [true, 64], HUGEINT: [true, 128],
  UTINYINT: [false, 8], USMALLINT: [false, 16], UINTEGER: [false, 32], UBIGINT: [false, 64], UHUGEINT: [false, 128],
};
const TIME_RANK: Record<string, number> = { DATE: 0, TIMESTAMP_S: 1, TIMESTAMP_MS: 2, TIMESTAMP: 3, 'TIMESTAMP WITH TIME ZONE': 3, TIMESTAMP_NS: 4 };
const DECIMAL = /^DECIMAL\((\d+),\s*(\d+)\)$/;
const LIST = /^(.*)\[\d*\]$/;

/** Decimal digits an integer type's values need (`INTEGER` → 10). */
function intDigits(t: string): number {
  const [signed, bits] = INT_BITS[t];
  return String(2n ** BigInt(signed ? bits - 1 : bits)).length;
}

/**
 * True when DuckDB's cast of a later file's column of type `from` into the first file's type `to` can
 * change no value silently: any integer into any integer (a value out of the narrower range fails the read
 * with a Conversion Error), integers into DOUBLE, FLOAT into DOUBLE, DECIMAL into a DECIMAL with room or
 * DOUBLE, a coarser timestamp into a finer one, TIMESTAMP_NS into TIMESTAMP (with or without time zone:
 * every timestamp is read in µs, a lone TIMESTAMP_NS file too), lists of such.
 */
export function widensInto(from: string, to: string): boolean {
  if (from === to) return true;
  const [fl, tl] = [LIST.exec(from), LIST.exec(to)];
  if (fl || tl) return fl !== null && tl !== null && widensInto(fl[1], tl[1]);
  const [fi, ti] = [INT_BITS[from], INT_BITS[to]];
  if (fi && ti) return true;
  if (fi && to === 'DOUBLE') return true;
  if (fi && to === 'FLOAT') return fi[1] <= 16;
  if (from === 'FLOAT' && to === 'DOUBLE') return true;
  const [fd, td] = [DECIMAL.exec(from), DECIMAL.exec(to)];
  if (fd && td) return Number(fd[2]) <= Number(td[2]) && Number(fd[1]) - Number(fd[2]) <= Number(td[1]) - Number(td[2]);
  if (fd && to === 'DOUBLE') return true;
  if (fi && td) return intDigits(from) <= Number(td[1]) - Number(td[2]);
  if (from in TIME_RANK && to in TIME_RANK) return TIME_RANK[from] <= TIME_RANK[to] || (from === 'TIMESTAMP_NS' && TIME_RANK[to] === TIME_RANK.TIMESTAMP);
  return false;
}

interface SchemaRow {
  readonly file_name: string;
  readonly name: string;
  readonly duckdb_type: string | null;
  readonly num_children: string | null;
  readonly converted_type: string | null;
  readonly logical_type: string | null;
  readonly repetition_type: string | null;
}

/** The index of the schema node after the subtree at `rows[at]`. */
function skip(rows: readonly SchemaRow[], at: number): number {
  let next = at + 1;
  for (let i = 0; i < Number(rows[at].num_children ?? 0) && next < rows.length; i++) next = skip(rows, next);
  return next;
}

/** A column's type as DESCRIBE prints it (`INTEGER`, `FLOAT[]`, `INTEGER[][]`), or undefined for a struct or map. */
function columnType(rows: readonly SchemaRow[], at: number): string | undefined {
  const node = rows[at];
  if (Number(node.num_children ?? 0) === 0) return node.duckdb_type === null ? undefined : node.repetition_type === 'REPEATED' ? `${node.duckdb_type}[]` : node.duckdb_type;
  const list = node.converted_type === 'LIST' || (node.logical_type ?? '').startsWith('ListType');
  if (!list || Number(node.num_children) !== 1) return undefined;
  const group = rows[at + 1];
  if (group === undefined) return undefined;
  // Two-level (legacy) lists: the repeated child is the element itself; three-level: LIST → repeated `list` → `element`.
  if (Number(group.num_children ?? 0) === 0) return group.duckdb_type === null ? undefined : `${group.duckdb_type}[]`;
  if (Number(group.num_children) !== 1 || rows[at + 2] === undefined) return undefined;
  const element = columnType(rows, at + 2);
  return element === undefined ? undefined : `${element}[]`;
}

/**
 * Top-level columns of each file, by lower-case name (DuckDB matches names case-insensitively): the
 * column's name and type (undefined for a nested type not rebuilt).
 */
function fileColumns(rows: readonly SchemaRow[]): Map<string, Map<string, { name: string; type: string | undefined }>> {
  const byFile = new Map<string, SchemaRow[]>();
  for (const r of rows) {
    const list = byFile.get(r.file_name) ?? [];
    list.push(r);
    byFile.set(r.file_name, list);
  }
  const out = new Map<string, Map<string, { name: string; type: string | undefined }>>();
  for (const [file, list] of byFile) {
    const columns = new Map<string, { name: string; type: string | undefined }>();
    const n = Number(list[0]?.num_children ?? 0);
    let at = 1;
    for (let i = 0; i < n && at < list.length; i++) {
      columns.set(list[at].name.toLowerCase(), { name: list[at].name, type: columnType(list, at) });
      at = skip(list, at);
    }
    out.set(file, columns);
  }
  return out;
}

/** Whether a column type can be read as the declared type (a timestamp field also from text). */
function readable(c: ReadColumn, type: string): boolean {
  return c.field ? isTimestampFieldType(type) : isCompatibleType(c.type, type);
}

function accepted(c: ReadColumn): string {
  return (c.field ? TIMESTAMP_FIELD_TYPES : ACCEPTED_COLUMN_TYPES[c.type as FeatureType]).join(', ');
}

/** A file of a glob at fault for a column read: it lacks the column, or holds it in a type the first file's would bend. */
export interface GlobFinding {
  /** `missing_column` or `type`, as the guards' schema results name them. */
  readonly method: 'missing_column' | 'type';
  /** The file, absolute, and relative to the project root (as messages name it). */
  readonly path: string;
  readonly file: string;
  readonly column: string;
  /** "feature 'qty'", "join key 'sku'", "timestamp field 'ts'". */
  readonly what: string;
  readonly declared: string;
  /** The file's type of the column (null: lacking). */
  readonly actual: string | null;
  /** The glob's first file (relative) and its type of the column. */
  readonly firstFile: string;
  readonly firstType: string | null;
  readonly message: string;
}

/**
 * The glob's files (the list in DuckDB variable `variable`) at fault for the columns read: a file (after the
 * first) lacking one, holding it in a type the declared type does not accept, or in a type the first file's
 * would bend. At most the first `maxFiles` files are read (validate's sample).
 */
export async function globSchemaFindings(
  conn: DuckDBConnection, roots: SourceRoots, source: SourceDef, variable: string, read: readonly ReadColumn[], maxFiles?: number,
): Promise<GlobFinding[]> {
  const list = maxFiles === undefined ? `getvariable(${literal(variable)})` : `getvariable(${literal(variable)})[1:${maxFiles}]`;
  const files = ((await conn.runAndReadAll(`SELECT unnest(${list})`)).getRowsJS()).map((r) => String(r[0]));
  if (files.length < 2 || read.length === 0) return [];
  const rows = (await conn.runAndReadAll(
    `SELECT file_name, name, duckdb_type, num_children, converted_type, logical_type, repetition_type FROM parquet_schema(${list}) ORDER BY file_name, column_id`,
  )).getRowObjectsJson() as unknown as SchemaRow[];
  const columns = fileColumns(rows);
  const rel = (f: string) => relative(roots.root, f);
  const first = columns.get(files[0]);
  if (first === undefined) return [];
  const findings: GlobFinding[] = [];
  for (const file of files.slice(1)) {
    const have = columns.get(file);
    if (have === undefined) continue;
    const where = `'${rel(file)}' (matched by '${source.path}')`;
    for (const c of read) {
      const base = first.get(c.column.toLowerCase());
      // A column the first file lacks too is the source's, not this file's: validate and the guards name it.
      if (base === undefined) continue;
      const got = have.get(c.column.toLowerCase());
      const declared = `${c.what}, declared ${c.type}`;
      const add = (method: GlobFinding['method'], message: string) => findings.push({
        method, path: file, file: rel(file), column: c.column, what: c.what, declared: c.type, actual: got?.type ?? null, firstFile: rel(files[0]), firstType: base.type ?? null, message,
      });
      if (got === undefined) {
        add('missing_column', `${where} has no column '${c.column}' (${declared}), which the glob's first file '${rel(files[0])}' has: write every file with the columns read, or move the file out of the glob`);
      } else if (got.type === undefined || base.type === undefined || got.type === base.type) {
        // The first file's types are checked against the declared ones where the union is (validate, the guards).
        continue;
      } else if (!readable(c, got.type)) {
        add('type', `${where} has column '${c.column}' as ${got.type} (${declared}, which accepts ${accepted(c)}): DuckDB would cast it into the first file's ${base.type} ('${rel(files[0])}'); write the file with an accepted type`);
      } else if (!widensInto(got.type, base.type)) {
        add('type', `${where} has column '${c.column}' as ${got.type} (${declared}), but DuckDB reads a glob with its first file's column types ('${rel(files[0])}': ${base.type}) and would cast ${got.type} into ${base.type}, which can change values (a DOUBLE 2.5 cast into INTEGER reads as 2): write every file with one type for '${c.column}'`);
      }
      if (findings.length >= MAX_PROBLEMS) return findings;
    }
  }
  return findings;
}

/** `globSchemaFindings` as definition problems at the source's `/path`. */
export async function globSchemaProblems(
  conn: DuckDBConnection, roots: SourceRoots, source: SourceDef, variable: string, read: readonly ReadColumn[], maxFiles?: number,
): Promise<DefinitionProblem[]> {
  return (await globSchemaFindings(conn, roots, source, variable, read, maxFiles)).map((f) => problemAt(source, '/path', f.message));
}

/** A setup step refusing (`DefinitionError`) a glob whose files `globSchemaProblems` finds fault with. */
export function globSchemaStep(roots: SourceRoots, source: SourceDef, variable: string, read: readonly ReadColumn[], maxFiles?: number) {
  return {
    key: `globschema:${variable}:${maxFiles ?? ''}:${read.map((c) => `${c.column}/${c.type}/${c.field ? 'f' : ''}`).join(',')}`,
    async run(conn: DuckDBConnection) {
      const problems = await globSchemaProblems(conn, roots, source, variable, read, maxFiles);
      if (problems.length > 0) throw new DefinitionError(problems);
    },
  };
}

/** The DuckDB variable where `globSchemaReportStep` leaves the findings of the glob whose files are in `variable`. */
const findingsVariable = (variable: string) => `fg_findings_of_${variable}`;

/**
 * For the guards (a run that reports, not refuses): a setup step that leaves the glob's findings (all files) on
 * the connection for `globFindingsOf`, and takes the files at fault out of the list read, so that none of their
 * values is cast into the first file's types (nor does a missing column break the read). The run is blocked by
 * the schema check naming them.
 */
export function globSchemaReportStep(roots: SourceRoots, source: SourceDef, variable: string, read: readonly ReadColumn[]) {
  return {
    key: `globreport:${variable}:${read.map((c) => `${c.column}/${c.type}/${c.field ? 'f' : ''}`).join(',')}`,
    async run(conn: DuckDBConnection) {
      const findings = await globSchemaFindings(conn, roots, source, variable, read);
      await conn.run(`SET VARIABLE ${findingsVariable(variable)} = ${literal(JSON.stringify(findings))}`);
      if (findings.length === 0) return;
      const bad = new Set(findings.map((f) => f.path));
      await conn.run(`SET VARIABLE ${variable} = list_filter(getvariable(${literal(variable)}), lambda f: NOT list_contains([${[...bad].map(literal).join(', ')}], f))`);
    },
  };
}

/** The findings `globSchemaReportStep` left on `conn` for the glob whose files are in `variable` (none when it did not run). */
export async function globFindingsOf(conn: DuckDBConnection, variable: string): Promise<GlobFinding[]> {
  const value = (await conn.runAndReadAll(`SELECT getvariable(${literal(findingsVariable(variable))})`)).getRowsJS()[0]?.[0];
  return typeof value === 'string' ? (JSON.parse(value) as GlobFinding[]) : [];
}
