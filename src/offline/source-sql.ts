/**
 * SQL that reads a source read-only and yields featureguard's canonical columns:
 * the join keys by name, `event_timestamp` (TIMESTAMP, UTC), `created_timestamp`
 * (TIMESTAMP or NULL), then the requested features cast to their declared types.
 * Pure functions: the caller runs `setup` (ATTACH, session settings) on its
 * connection, then uses `select` as a subquery.
 *
 * The parts live in their own modules and are exported from here too: setup steps (`setup-step.ts`), the raw
 * relation of a file, glob, table or query (`raw-source.ts`, `attach-database.ts`, `pending-files.ts`), the
 * casts to declared types (`column-casts.ts`), and read failures (`source-failure.ts`).
 *
 * @example
 * const rel = viewRelationSql(project.sourceRoots, set, getView(set, 'airport_hourly'));
 * await runSetup(conn, rel.setup);
 * await conn.runAndReadAll(`SELECT count(*) FROM (${rel.select})`);
 */
import { viewJoinKeys } from '../definitions/definition-set.js';
import { sourceColumnName, sourceFormat, type SourceRoots } from '../definitions/source-location.js';
import type { DefinitionSet, FeatureDef, FeatureViewDef, JoinKey, SourceDef } from '../definitions/types.js';
import { NotFoundError } from '../errors.js';
import { castExpr, csvKeySql, duckdbType, INTEGER_TYPES, utcTimestampSql } from './column-casts.js';
import { ident, literal } from './engine.js';
import { keyTypeStep } from './key-types.js';
import type { ReadColumn } from './glob-schema.js';
import { rawSourceSql } from './raw-source.js';
import type { SetupStep } from './setup-step.js';

// What reading a source takes, each in its own module, exported from here too (its importers predate the split).
export { sourceColumnName };
export { runSetup, type SetupStep } from './setup-step.js';
export { attachAlias, attachAliasPrefix } from './attach-database.js';
export { compactedAway, compactionJournalDir, COMPACTED_FILE, isWritingName, WRITING_SUFFIX, writingName } from './pending-files.js';
export { globFilesVariable, globFindings, rawSourceSql } from './raw-source.js';
export { badUtcOffsetSql, CSV_NULL_MARKERS, csvCastExpr, csvKeySql, csvMarker, duckdbType, fractionalIntegerText, utcTimestampSql } from './column-casts.js';
export { epochHint, readFailureText, sourceUnreadable, vanishedFile } from './source-failure.js';

/** A relation: steps to run first on the same connection, then a SELECT. */
export interface SourceRelation {
  readonly setup: readonly SetupStep[];
  readonly select: string;
}

/** Which definition columns to read from a source. */
export interface SourceColumns {
  readonly joinKeys: readonly JoinKey[];
  readonly features: readonly FeatureDef[];
}

/**
 * A SELECT yielding the canonical columns of `source` for the requested join keys
 * and features: keys, `event_timestamp`, `created_timestamp`, features (declared types).
 * TIMESTAMPTZ columns become naive UTC; DATE becomes midnight; CSV text is cast.
 */
export function sourceRelationSql(roots: SourceRoots, source: SourceDef, spec: SourceColumns): SourceRelation {
  const raw = rawSourceSql(roots, source, sourceReadColumns(source, spec));
  const { from } = raw;
  const csv = source.path !== undefined && sourceFormat(source) === 'csv';
  // A key or feature column retyped upstream (DECIMAL, DOUBLE, text where int64 is declared) is refused before it
  // is cast: DuckDB's cast would round it (CSV text is read and checked value by value instead).
  // Timestamp features are parsed strictly from text (offsets honoured) and string ones written as text: no value
  // changes, so only the others are checked.
  const checked = spec.features.filter((f) => f.type !== 'timestamp' && f.type !== 'string');
  const setup = csv || spec.joinKeys.length + checked.length === 0 ? raw.setup : [...raw.setup, keyTypeStep(source, spec.joinKeys, from, checked)];
  const cols: string[] = [];
  // Join keys are cast plainly, as in the guards' relation: a missing-value marker in a key is an error, not a NULL key.
  for (const k of spec.joinKeys) cols.push(`${sourceKeySql(source, k, csv)} AS ${ident(k.name)}`);
  cols.push(`${utcTimestampSql(sourceColumnName(source, source.timestamp_field))} AS event_timestamp`);
  cols.push(
    source.created_timestamp_field === undefined
      ? 'NULL::TIMESTAMP AS created_timestamp'
      : `${utcTimestampSql(sourceColumnName(source, source.created_timestamp_field))} AS created_timestamp`,
  );
  for (const f of spec.features) cols.push(`${castExpr(sourceColumnName(source, f.name), f.type, csv)} AS ${ident(f.name)}`);
  return { setup, select: `SELECT ${cols.join(', ')} FROM ${from}` };
}

/** The source columns a relation of `spec` reads: join keys, timestamp fields, features (after `field_mapping`). */
export function sourceReadColumns(source: SourceDef, spec: SourceColumns): ReadColumn[] {
  const fields = [source.timestamp_field, ...(source.created_timestamp_field === undefined ? [] : [source.created_timestamp_field])];
  return [
    ...spec.joinKeys.map((k) => ({ column: sourceColumnName(source, k.name), what: `join key '${k.name}'`, type: k.type })),
    ...fields.map((f) => ({ column: sourceColumnName(source, f), what: `timestamp field '${f}'`, type: 'timestamp' as const, field: true })),
    ...spec.features.map((f) => ({ column: sourceColumnName(source, f.name), what: `feature '${f.name}'`, type: f.type })),
  ];
}

/**
 * A join key's column of a source as the key's type. A value with a fraction is an error naming it, never rounded
 * into another entity's key: CSV text (`csvKeySql`), and a Parquet, table or query column that is no integer
 * (a key retyped upstream to DECIMAL, DOUBLE or text; the guards and `keyTypeStep` refuse such a type before, this
 * holds wherever the key is read). An integer column is cast as it is (DuckDB folds the type test when it plans).
 */
export function sourceKeySql(source: SourceDef, key: JoinKey, csv = source.path !== undefined && sourceFormat(source) === 'csv'): string {
  const column = sourceColumnName(source, key.name);
  const where = `source ${source.name}`;
  if (csv || key.type === 'string') return csv ? csvKeySql(column, key.type, where) : `CAST(${ident(column)} AS ${duckdbType(key.type)})`;
  return `CASE WHEN typeof(${ident(column)}) IN (${INTEGER_TYPES.map(literal).join(', ')}) THEN CAST(${ident(column)} AS ${duckdbType(key.type)}) ELSE ${csvKeySql(column, key.type, where)} END`;
}

/** The full canonical relation of a view: join keys of its entities, timestamps, all its features. */
export function viewRelationSql(roots: SourceRoots, set: DefinitionSet, view: FeatureViewDef): SourceRelation {
  const source = set.sources.get(view.source);
  if (!source) throw new NotFoundError(`feature view '${view.name}' names unknown source '${view.source}'`);
  return sourceRelationSql(roots, source, { joinKeys: viewJoinKeys(set, view), features: view.features });
}
