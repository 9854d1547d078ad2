/**
 * A view's source in canonical column names *without* casting the features to
 * their declared types, and without the declared columns the source lacks. When
 * the canonical (cast) relation cannot even be built — a declared column was
 * dropped, or holds text where a number is declared — materialize can give the
 * guards this relation instead, so the schema check reports `missing_column` /
 * `type` failures and the run is `blocked` with a reason, not `failed` with a
 * binder error. Join keys and timestamps keep their casts (they must be usable),
 * except a key column whose own type its declared type does not accept (a key
 * retyped upstream: cast, its values would become other entities' keys): it is
 * kept uncast, for the schema check to fail. CSV features are try-cast (CSV is
 * all text), so a bad value shows up as nulls. A Parquet glob's file holding a
 * column read in another type, or lacking it, is left out of the read
 * (`globFindings` names it for the schema check) rather than cast or broken.
 *
 * @example
 * const rel = await rawViewRelationSql(project, view, conn);
 * await conn.run(`CREATE TEMP TABLE t AS SELECT * FROM (${rel.select}) WHERE event_timestamp >= ...`);
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { viewJoinKeys } from '../definitions/definition-set.js';
import { sourceFormat } from '../definitions/source-location.js';
import { isCompatibleType } from '../definitions/type-compat.js';
import type { DefinitionSet, FeatureDef, FeatureViewDef } from '../definitions/types.js';
import { NotFoundError } from '../errors.js';
import { ident, literal } from '../offline/engine.js';
import { csvCastExpr, csvMarker, duckdbType, rawSourceSql, runSetup, sourceColumnName, sourceKeySql, sourceReadColumns, utcTimestampSql, type SetupStep } from '../offline/source-sql.js';
import type { Project } from '../project.js';

/** Hidden column of a CSV view's rows: the first feature whose text is no value of its declared type, else NULL. */
export const CSV_UNPARSED = '__fg_csv_unparsed';

export interface RawRelation {
  readonly setup: readonly SetupStep[];
  readonly select: string;
  /** Declared features the source does not have. */
  readonly missing: readonly string[];
  /** Source columns the view does not read (no join key, timestamp field or feature), with their DuckDB types. */
  readonly undeclared: readonly { readonly name: string; readonly type: string }[];
}

/**
 * The undeclared source columns of the relations built last, by their `select`: the schema check reports them (info)
 * and names those of a compatible type when a declared feature is missing (a likely rename), from the DESCRIBE the
 * relation was built with (no other read of the source). The stage's `sourceRelation` is such a `select`.
 */
const undeclaredBySelect = new Map<string, RawRelation['undeclared']>();
const REMEMBERED = 32;

/** The undeclared columns of the source `select` (a `RawRelation`'s) reads, or undefined when it was not built here. */
export function undeclaredSourceColumns(select: string): RawRelation['undeclared'] | undefined {
  return undeclaredBySelect.get(select);
}

function remember(select: string, undeclared: RawRelation['undeclared']): void {
  undeclaredBySelect.delete(select);
  undeclaredBySelect.set(select, undeclared);
  if (undeclaredBySelect.size > REMEMBERED) undeclaredBySelect.delete(undeclaredBySelect.keys().next().value!);
}

/** Build the uncast relation; runs the setup statements on `conn` to describe the source. `set`: the run's pinned definitions (default: the registry's current ones). */
export async function rawViewRelationSql(project: Project, view: FeatureViewDef, conn: DuckDBConnection, set: DefinitionSet = project.registry.current()): Promise<RawRelation> {
  const source = set.sources.get(view.source);
  if (!source) throw new NotFoundError(`feature view '${view.name}' names unknown source '${view.source}'`);
  const read = sourceReadColumns(source, { joinKeys: viewJoinKeys(set, view), features: view.features });
  const { setup, from } = rawSourceSql(project.sourceRoots, source, read, undefined, 'report');
  await runSetup(conn, setup);
  const described = (await conn.runAndReadAll(`DESCRIBE SELECT * FROM ${from}`)).getRowObjectsJson() as { column_name: string; column_type: string }[];
  const types = new Map(described.map((d) => [d.column_name, d.column_type]));
  const have = new Set(types.keys());
  const csv = source.path !== undefined && sourceFormat(source) === 'csv';
  const cols: string[] = [];
  for (const k of viewJoinKeys(set, view)) {
    const raw = types.get(sourceColumnName(source, k.name));
    const retyped = !csv && raw !== undefined && !isCompatibleType(k.type, raw);
    cols.push(`${retyped ? ident(sourceColumnName(source, k.name)) : sourceKeySql(source, k, csv)} AS ${ident(k.name)}`);
  }
  cols.push(`${utcTimestampSql(sourceColumnName(source, source.timestamp_field))} AS event_timestamp`);
  cols.push(source.created_timestamp_field ? `${utcTimestampSql(sourceColumnName(source, source.created_timestamp_field))} AS created_timestamp` : 'NULL::TIMESTAMP AS created_timestamp');
  const missing: string[] = [];
  const unparsed: string[] = [];
  for (const f of view.features) {
    const col = sourceColumnName(source, f.name);
    if (!have.has(col)) {
      missing.push(f.name);
      continue;
    }
    cols.push(csv ? `${csvCastExpr(col, f.type, true)} AS ${ident(f.name)}` : `${ident(col)} AS ${ident(f.name)}`);
    if (csv && f.type !== 'string') unparsed.push(`WHEN ${ident(col)} IS NOT NULL AND ${csvCastExpr(col, f.type, true)} IS NULL AND NOT ${csvMarker(col)} THEN ${literal(f.name)}`);
  }
  // CSV text that is no value of the declared type would silently become NULL: the row names the first such
  // feature in a hidden column, which the schema check counts (and which is neither profiled nor written).
  if (unparsed.length > 0) cols.push(`CASE ${unparsed.join(' ')} END AS ${CSV_UNPARSED}`);
  const used = new Set(read.map((r) => r.column));
  const undeclared = described.filter((d) => !used.has(d.column_name) && !d.column_name.startsWith('__fg_')).map((d) => ({ name: d.column_name, type: d.column_type }));
  const select = `SELECT ${cols.join(', ')} FROM ${from}`;
  remember(select, undeclared);
  return { setup, select, missing, undeclared };
}

/**
 * The rows of `table` (built from a raw relation) with every feature cast to its
 * declared type: what the online store gets once the schema check passed (the
 * accepted coercions never lose a value's meaning).
 */
export function castFeaturesSql(table: string, features: readonly FeatureDef[]): string {
  if (features.length === 0) return `SELECT * FROM ${ident(table)}`;
  const casts = features.map((f) => `CAST(${ident(f.name)} AS ${duckdbType(f.type)}) AS ${ident(f.name)}`);
  return `SELECT * REPLACE (${casts.join(', ')}) FROM ${ident(table)}`;
}
