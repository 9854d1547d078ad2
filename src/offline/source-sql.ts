/**
 * SQL that reads a source read-only and yields featureguard's canonical columns:
 * the join keys by name, `event_timestamp` (TIMESTAMP, UTC), `created_timestamp`
 * (TIMESTAMP or NULL), then the requested features cast to their declared types.
 * Pure functions: the caller runs `setup` (ATTACH, session settings) on its
 * connection, then uses `select` as a subquery.
 *
 * @example
 * const rel = viewRelationSql(project.sourceRoots, set, getView(set, 'airport_hourly'));
 * await runSetup(conn, rel.setup);
 * await conn.runAndReadAll(`SELECT count(*) FROM (${rel.select})`);
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join, relative } from 'node:path';
import { DefinitionError, FeatureguardError, NotFoundError } from '../errors.js';
import { viewJoinKeys } from '../definitions/definition-set.js';
import { problemAt } from '../definitions/origins.js';
import { OWN_FILES_RULE, offLimitsReason } from '../definitions/own-files.js';
import { isGlob, ownPlacesUnder, resolveSourcePath, sourceColumnName, sourceFormat, sourcePlaces, sourceResolvesInside, type SourceRoots } from '../definitions/source-location.js';
import type { DefinitionSet, FeatureDef, FeatureType, FeatureViewDef, JoinKey, JoinKeyType, SourceDef } from '../definitions/types.js';
import { ident, literal } from './engine.js';
import { keyTypeStep, type RetypedColumn } from './key-types.js';
import { globFindingsOf, globSchemaReportStep, globSchemaStep, type GlobFinding, type ReadColumn } from './glob-schema.js';

export { sourceColumnName };

/**
 * What must run on a connection before a source's relation is read there: a statement, or a step that
 * checks something in JavaScript between statements (a glob's files, a table that must not be a view).
 * Run them with `runSetup`.
 */
export type SetupStep = string | {
  readonly key: string;
  run(conn: DuckDBConnection): Promise<void>;
  /** A step that refuses columns retyped upstream (`keyTypeStep`): those columns, without refusing. */
  retyped?(conn: DuckDBConnection): Promise<RetypedColumn[]>;
};

/**
 * Run setup steps in order; steps with the same key (or the same statement) run once. With `retyped`, a step that
 * refuses a key or feature retyped upstream (`keyTypeStep`) adds those columns to it instead of throwing.
 */
export async function runSetup(conn: DuckDBConnection, steps: readonly SetupStep[], retyped?: RetypedColumn[]): Promise<void> {
  const done = new Set<string>();
  for (const step of steps) {
    const key = typeof step === 'string' ? step : step.key;
    if (done.has(key)) continue;
    done.add(key);
    if (typeof step === 'string') await conn.run(step);
    else if (retyped && step.retyped) retyped.push(...(await step.retyped(conn)));
    else await step.run(conn);
  }
}

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

const DUCKDB_TYPES: Record<FeatureType, string> = {
  bool: 'BOOLEAN',
  int32: 'INTEGER',
  int64: 'BIGINT',
  float32: 'FLOAT',
  float64: 'DOUBLE',
  string: 'VARCHAR',
  timestamp: 'TIMESTAMP',
  'float32[]': 'FLOAT[]',
  'float64[]': 'DOUBLE[]',
};

/** The DuckDB type a feature or join key type is stored as (`float32` → `FLOAT`, `float64[]` → `DOUBLE[]`). */
export function duckdbType(type: FeatureType | JoinKeyType): string {
  return DUCKDB_TYPES[type];
}


function fail(source: SourceDef, pointer: string, message: string): never {
  throw new DefinitionError([problemAt(source, pointer, message)]);
}

/** Length of a glob's fixed folder part (up to the last '/' before its first wildcard): the names below it are the files'. */
function prefixLength(pattern: string): number {
  const first = pattern.search(/[*?[]/);
  return first < 0 ? pattern.length : pattern.lastIndexOf('/', first) + 1;
}

/** The prefix of every alias a DuckDB database file is attached under (one per version of the file). */
export function attachAliasPrefix(absolutePath: string): string {
  return `fg_db_${createHash('sha256').update(absolutePath).digest('hex').slice(0, 16)}_`;
}

/**
 * The alias a DuckDB database file is attached under as it is now: its path and its version (inode, size,
 * modification time). A read-only attachment reads the file as it was when attached, and the process's DuckDB
 * keeps it: under one alias for good, a long-running `serve` kept serving a table as it first read it while
 * another process had rewritten it. A new version gets a new alias (see `attachCurrent`).
 */
export function attachAlias(absolutePath: string): string {
  const st = statSync(absolutePath, { throwIfNoEntry: false });
  const version = st ? `${st.ino}:${st.size}:${st.mtimeMs}` : 'missing';
  return `${attachAliasPrefix(absolutePath)}${createHash('sha256').update(version).digest('hex').slice(0, 8)}`;
}

/**
 * Attach `abs` under `alias` (read-only), first detaching the file's other versions: DuckDB attaches one file
 * once per process. A query still reading a detached version finishes; a later statement of a build that was
 * reading it fails naming the alias (the file changed under it), rather than reading two versions as one.
 */
function attachCurrent(abs: string, alias: string): SetupStep {
  return {
    key: `attach:${alias}`,
    async run(conn: DuckDBConnection) {
      const prefix = attachAliasPrefix(abs);
      const older = (await conn.runAndReadAll(`SELECT database_name FROM duckdb_databases() WHERE starts_with(database_name, ${literal(prefix)}) AND database_name <> ${literal(alias)}`)).getRowsJS();
      for (const [name] of older) await conn.run(`DETACH DATABASE IF EXISTS ${ident(String(name))}`).catch(() => undefined);
      await conn.run(`ATTACH IF NOT EXISTS ${literal(abs)} AS ${ident(alias)} (READ_ONLY)`);
    },
  };
}

/** The end of the name featureguard writes a file under until it is complete (`writingName`). */
export const WRITING_SUFFIX = '.featureguard-writing';

/** The name featureguard writes a file under until it is complete (then renamed): hidden, and never read as a source's. */
export function writingName(final: string): string {
  return join(dirname(final), `.${basename(final)}${WRITING_SUFFIX}`);
}

export function isWritingName(file: string): boolean {
  return /(^|[\\/])\.[^\\/]*\.featureguard-writing$/.test(file);
}

/** A file `featureguard compact` merged pushed files into: see push-file-name.ts, where pushed files' names are made. */
export { COMPACTED_FILE } from './push-file-name.js';

/** Where a compaction (`serving/push-compact.ts`) keeps the journal of each merge until it is finished. */
export function compactionJournalDir(stateDir: string): string {
  return join(stateDir, 'compacting');
}

/**
 * The files the pending compaction journals under `stateDir` list as merged into a file of `listed`: the merged
 * file is in place (it was renamed in after its journal was written), so they hold rows it holds. Read after the
 * listing: a compaction that finished meanwhile removed them, and reading them fails (a vanished file) rather than
 * reading rows twice. Usually the folder is absent, which costs one `existsSync`.
 */
export function compactedAway(stateDir: string, listed: readonly string[]): Set<string> {
  const away = new Set<string>();
  const dir = compactionJournalDir(stateDir);
  if (!existsSync(dir)) return away;
  const here = new Set(listed);
  let names: string[];
  try {
    names = readdirSync(dir).filter((n) => n.endsWith('.json'));
  } catch {
    return away;
  }
  for (const name of names) {
    try {
      const journal = JSON.parse(readFileSync(join(dir, name), 'utf8')) as { file?: unknown; merged?: unknown };
      if (typeof journal.file === 'string' && here.has(journal.file) && Array.isArray(journal.merged)) {
        for (const f of journal.merged) if (typeof f === 'string') away.add(f);
      }
    } catch {
      // removed (finished) since the listing, or not a journal
    }
  }
  return away;
}

/**
 * The DuckDB variable (`getvariable(name)`) that holds the checked files of glob `abs` on a connection that
 * ran the source's setup: the exact list its reads use (lineage and manifests fingerprint that list).
 */
export function globFilesVariable(abs: string): string {
  return `fg_files_${createHash('sha256').update(abs).digest('hex').slice(0, 16)}`;
}

/**
 * The raw relation of a source (all its columns, untyped for CSV): a FROM item.
 * Paths must stay under the project root or a data root; a path escaping them is a `DefinitionError`.
 * With `read` (the columns the caller reads), a Parquet glob's files are checked to hold them in types the
 * first file's do not bend (`globSchemaStep`; the first `maxFiles` files, or all). `onFault: 'report'` (the
 * guards): a file at fault is left out of the read and named by `globFindings` instead of refusing the read.
 */
export function rawSourceSql(
  roots: SourceRoots, source: SourceDef, read?: readonly ReadColumn[], maxFiles?: number, onFault: 'refuse' | 'report' = 'refuse',
): { setup: SetupStep[]; from: string } {
  const { root } = roots;
  if (source.path !== undefined) {
    const abs = resolveSourcePath(roots, source.path) ?? fail(source, '/path', `'${source.path}' is outside ${sourcePlaces(roots)}`);
    // `validate` refuses a link out of the project; the runs read what it refused only after an `apply` (which warns).
    if (!isGlob(source.path) && !sourceResolvesInside(roots, abs)) fail(source, '/path', `'${source.path}' resolves (through a symbolic link) to a file outside ${sourcePlaces(roots)}`);
    // featureguard's own files (a source applied before they were refused): never read.
    const own = isGlob(source.path) ? undefined : offLimitsReason(ownPlacesUnder(roots), abs);
    if (own !== undefined) fail(source, '/path', `'${source.path}' ${own}; ${OWN_FILES_RULE}`);
    const format = sourceFormat(source) ?? fail(source, '/path', `cannot tell the format of '${source.path}'; add format: parquet or format: csv`);
    // CSV as RFC 4180 and as DuckDB's COPY (a push) writes it: a quoted empty field ("") is the empty string and an
    // unquoted one is NULL; left to the sniffer, "" read as NULL in one file and as the text `""` in another.
    const reader = (files: string) => (format === 'parquet'
      ? `read_parquet(${files})`
      : `read_csv(${files}, header = true, all_varchar = true, quote = '"', escape = '"', allow_quoted_nulls = false)`);
    if (!isGlob(source.path)) return { setup: ["SET TimeZone = 'UTC'"], from: reader(literal(abs)) };
    // A glob's files are listed by DuckDB (its own glob, so exactly what it would read), checked with every
    // link resolved — files land in a shared data root after the apply, links too — and the checked list is
    // what is read: a file planted after the check is not.
    const variable = globFilesVariable(abs);
    const checkFiles = {
      key: `glob:${abs}`,
      async run(conn: DuckDBConnection) {
        // In DuckDB's order (it reads top-level files first under `**`, not sorted by name).
        // Files featureguard is writing (a push's temp file, renamed into place when complete) are no source rows.
        const listed = (await conn.runAndReadAll(`SELECT file FROM glob(${literal(abs)})`)).getRowsJS().map((r) => String(r[0])).filter((f) => !isWritingName(f));
        // Files a compaction merged into a file listed here, not removed yet (it runs, or was killed): their rows are
        // in the merged file, and read both they would be read twice.
        const merged = compactedAway(ownPlacesUnder(roots).stateDir, listed);
        const files = merged.size === 0 ? listed : listed.filter((f) => !merged.has(f));
        // As DuckDB says it; not the pattern handed back, which it would expand again, unchecked, at read time.
        if (files.length === 0) throw new Error(`IO Error: No files found that match the pattern "${abs}"`);
        // Each listed name is a pattern to DuckDB's readers too, and there is no escaping: a name with a
        // wildcard would match other files (outside the roots, through links) when read.
        const wild = files.find((f) => /[*?[]/.test(f.slice(prefixLength(abs))));
        if (wild !== undefined) fail(source, '/path', `'${wild}' (matched by '${source.path}') has *, ? or [ in its name, which DuckDB would read as a pattern again; rename it`);
        const outside = files.find((f) => !sourceResolvesInside(roots, f));
        if (outside !== undefined) fail(source, '/path', `'${outside}' (matched by '${source.path}') resolves (through a symbolic link) to a place outside ${sourcePlaces(roots)}`);
        for (const f of files) {
          const reason = offLimitsReason(ownPlacesUnder(roots), f);
          if (reason !== undefined) fail(source, '/path', `'${relative(roots.root, f)}' (matched by '${source.path}') ${reason}; ${OWN_FILES_RULE}`);
        }
        await conn.run(`SET VARIABLE ${variable} = [${files.map(literal).join(', ')}]`);
      },
    };
    const checked = onFault === 'report' ? globSchemaReportStep(roots, source, variable, read ?? []) : globSchemaStep(roots, source, variable, read ?? [], maxFiles);
    const typed = format === 'parquet' && read !== undefined && read.length > 0 ? [checked] : [];
    return { setup: ["SET TimeZone = 'UTC'", checkFiles, ...typed], from: reader(`getvariable(${literal(variable)})`) };
  }
  if (source.database !== undefined && source.table !== undefined) {
    const abs = resolveSourcePath(roots, source.database) ?? fail(source, '/database', `'${source.database}' is outside ${sourcePlaces(roots)}`);
    if (!sourceResolvesInside(roots, abs)) fail(source, '/database', `'${source.database}' resolves (through a symbolic link) to a file outside ${sourcePlaces(roots)}`);
    const own = offLimitsReason(ownPlacesUnder(roots), abs);
    if (own !== undefined) fail(source, '/database', `'${source.database}' ${own}; ${OWN_FILES_RULE}`);
    const alias = attachAlias(abs);
    const parts = source.table.split('.');
    const table = parts.map(ident).join('.');
    // A view is SQL the file's author wrote, run with this process's rights: it could read any file (a
    // `read_csv('/etc/…')` inside), which is what data roots and the refusal of query sources over HTTP keep
    // out. Tables only: a view is a `DefinitionError` naming the source.
    const [schema, name] = parts.length > 1 ? [parts[0], parts.slice(1).join('.')] : ['main', parts[0]];
    const noView = {
      key: `noview:${alias}:${source.table}`,
      async run(conn: DuckDBConnection) {
        const views = await conn.runAndReadAll(
          `SELECT count(*) FROM duckdb_views() WHERE database_name = ${literal(alias)} AND lower(schema_name) = lower(${literal(schema)}) AND lower(view_name) = lower(${literal(name)})`,
        );
        if (Number(views.getRowsJS()[0][0]) > 0) {
          fail(source, '/table', `'${source.table}' in '${source.database}' is a view; a view is SQL that can read any file, so featureguard reads tables only: name the table the view selects from, or write the view as a query source in the project`);
        }
      },
    };
    return {
      setup: ["SET TimeZone = 'UTC'", attachCurrent(abs, alias), noView],
      from: `${ident(alias)}.${table}`,
    };
  }
  if (source.query !== undefined) {
    // Relative file paths inside the query resolve against the project root (a per-connection setting).
    const query = source.query.trim().replace(/;\s*$/, '');
    return { setup: ["SET TimeZone = 'UTC'", `SET file_search_path = ${literal(root)}`], from: `(${query}) AS fg_query` };
  }
  return fail(source, '', 'set one of path, database + table, or query');
}

/**
 * The files of a Parquet glob source that a read with `onFault: 'report'` on `conn` left out, with why (none
 * for any other source, or before that read's setup ran).
 */
export async function globFindings(conn: DuckDBConnection, roots: SourceRoots, source: SourceDef): Promise<GlobFinding[]> {
  if (source.path === undefined || !isGlob(source.path) || sourceFormat(source) !== 'parquet') return [];
  const abs = resolveSourcePath(roots, source.path);
  return abs === undefined ? [] : globFindingsOf(conn, globFilesVariable(abs));
}

/**
 * A source's timestamp column as a naive UTC `TIMESTAMP`: a `TIMESTAMPTZ` converted, a `DATE` at midnight,
 * and text (every CSV column; a string column of a Parquet file, table or query) through `TIMESTAMPTZ`, so
 * that an offset like `-05:00` is honoured — DuckDB's plain cast of text drops it, which would move the row
 * in time; text whose offset is none (`+99`: `badUtcOffsetSql`) fails the query naming it. DuckDB folds the type
 * test when it plans the query: a `TIMESTAMP` column is read as it is, at no cost per row (the round trip through
 * `TIMESTAMPTZ` costs about 0.2 µs a row).
 */
export function utcTimestampSql(column: string): string {
  const c = ident(column);
  const text = `CAST(${c} AS VARCHAR)`;
  return `CASE WHEN typeof(${c}) = 'VARCHAR' THEN (CASE WHEN ${badUtcOffsetSql(text)} THEN ${noUtcOffsetSql(column)} ELSE CAST(CAST(${c} AS TIMESTAMPTZ) AS TIMESTAMP) END) ELSE CAST(${c} AS TIMESTAMP) END`;
}

/** SQL failing the query with "timestamp '…+99' in column `column` has no valid UTC offset (…)". */
function noUtcOffsetSql(column: string): string {
  return `error(concat(${literal(`timestamp '`)}, CAST(${ident(column)} AS VARCHAR), ${literal(`' in column ${column} has no valid UTC offset (hours 00-23, minutes and seconds 00-59)`)}))`;
}

/**
 * Whether timestamp text ends in a UTC offset that is none: DuckDB reads `±HH[[:]MM[[:]SS]]` and applies
 * whatever the numbers, so `+99` would move the time by 99 hours, `+24:00` by a day, `+09:60` by ten hours (a
 * row could come a day earlier than it happened: a future value in a training set). True for hours above 23,
 * minutes or seconds above 59, after a time of day; about 25 ns a row.
 */
export function badUtcOffsetSql(text: string): string {
  return `regexp_matches(${text}, ${literal(':[0-9]{2}(:[0-9]{2}(\\.[0-9]*)?)? *[+-]((2[4-9]|[3-9][0-9])(:?[0-9]{2}){0,2}|[0-9]{2}:?[6-9][0-9](:?[0-9]{2})?|[0-9]{2}:?[0-9]{2}:?[6-9][0-9])$')})`;
}

/**
 * Texts a CSV file writes for a missing value, read as NULL in columns declared as anything but
 * `string` (where they could be values: `NA` is Namibia): an empty field, `NA`, `N/A`, `NULL`,
 * `None`, in any case and with surrounding spaces.
 */
export const CSV_NULL_MARKERS = ['', 'NA', 'N/A', 'NULL', 'NONE'] as const;

/** Whether a CSV text is one of the missing-value markers (for non-string declared types). */
export function csvMarker(column: string): string {
  return `upper(trim(${ident(column)})) IN (${CSV_NULL_MARKERS.map(literal).join(', ')})`;
}

/**
 * Text that DuckDB's integer cast would round: `'2.5'` (and `'.5'`, `'1.5e0'`) casts to an integer, rounded,
 * where a declared integer column must refuse it. Whole numbers written as decimals (`'2.0'`, as pandas writes
 * an integer column with missing values) stay whole numbers. True only for such text (NULL and text that is no
 * number at all are the cast's to judge).
 */
export function fractionalIntegerText(column: string, type: 'int32' | 'int64'): string {
  const c = ident(column);
  return `(TRY_CAST(${c} AS DOUBLE) <> TRY_CAST(${c} AS ${duckdbType(type)}))`;
}

/** SQL failing the query with "`prefix`column `column` holds '2.5', which is no whole number (`what`)". */
function noWholeNumberSql(column: string, prefix: string, what: string): string {
  return `error(concat(${literal(`${prefix}column ${column} holds '`)}, ${ident(column)}, ${literal(`', which is no whole number (${what})`)}))`;
}

/** A CSV column of a join key as its declared type: text with a fraction is an error naming it, as any other text that is no such key. */
export function csvKeySql(column: string, type: JoinKeyType, where: string): string {
  const cast = `CAST(${ident(column)} AS ${duckdbType(type)})`;
  if (type === 'string') return cast;
  return `CASE WHEN ${fractionalIntegerText(column, type)} THEN ${noWholeNumberSql(column, `${where}: `, `join key of type ${type}`)} ELSE ${cast} END`;
}

/**
 * A CSV feature column as `type`. `try`: NULL for text that is no such value (the guards count those rows,
 * `CSV_UNPARSED`, leaving the markers out); otherwise the cast fails on such text, except on the markers,
 * which are NULL. The marker test runs only on values the cast could not read (cheap on clean files).
 * Timestamps go through TIMESTAMPTZ (offsets honoured); an offset that is none (`badUtcOffsetSql`) is refused.
 */
export function csvCastExpr(column: string, type: FeatureType | JoinKeyType, try_: boolean): string {
  const c = ident(column);
  const cast = (fn: string) => (type === 'timestamp' ? `${fn}(${fn}(${c} AS TIMESTAMPTZ) AS TIMESTAMP)` : `${fn}(${c} AS ${duckdbType(type)})`);
  if (type === 'string') return `CAST(${c} AS VARCHAR)`;
  if (type.endsWith('[]')) {
    // TRY_CAST of a list gives NULL only for the element it cannot read ('[1.0, abc]' → [1.0, NULL]): a list
    // counts as read when every element is a NULL or a value of the element type.
    const elem = duckdbType(type.slice(0, -2) as FeatureType);
    if (!try_) return `CASE WHEN ${c} IS NULL OR ${csvMarker(column)} THEN NULL ELSE ${cast('CAST')} END`;
    return `CASE WHEN coalesce(list_bool_and(list_transform(TRY_CAST(${c} AS VARCHAR[]), lambda x: x IS NULL OR TRY_CAST(x AS ${elem}) IS NOT NULL)), true) THEN ${cast('TRY_CAST')} END`;
  }
  if (type === 'int32' || type === 'int64') {
    // Text with a fraction is no value of the column (DuckDB's cast would round it).
    const fraction = fractionalIntegerText(column, type);
    if (try_) return `CASE WHEN ${fraction} THEN NULL ELSE ${cast('TRY_CAST')} END`;
    return `CASE WHEN ${fraction} THEN ${noWholeNumberSql(column, '', `declared ${type}`)} ELSE coalesce(${cast('TRY_CAST')}, CASE WHEN ${c} IS NULL OR ${csvMarker(column)} THEN NULL ELSE ${cast('CAST')} END) END`;
  }
  if (type === 'timestamp') {
    // Text whose offset is none (`+24:00`, `+99`) would move the value by that many hours: refused, as in
    // `utcTimestampSql` (the try form gives NULL, which the guards count as unparsed text).
    const bad = badUtcOffsetSql(c);
    if (try_) return `CASE WHEN ${bad} THEN NULL ELSE ${cast('TRY_CAST')} END`;
    return `CASE WHEN ${bad} THEN ${noUtcOffsetSql(column)} ELSE coalesce(${cast('TRY_CAST')}, CASE WHEN ${c} IS NULL OR ${csvMarker(column)} THEN NULL ELSE ${cast('CAST')} END) END`;
  }
  if (try_) return cast('TRY_CAST');
  // The CAST applies to the column itself, so a failing one names it ("when casting from source column risk").
  return `coalesce(${cast('TRY_CAST')}, CASE WHEN ${c} IS NULL OR ${csvMarker(column)} THEN NULL ELSE ${cast('CAST')} END)`;
}

function castExpr(column: string, type: FeatureType | JoinKeyType, csv: boolean): string {
  if (csv && type !== 'string') return csvCastExpr(column, type, false);
  if (type === 'timestamp') return utcTimestampSql(column);
  return `CAST(${ident(column)} AS ${duckdbType(type)})`;
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

/** DuckDB's integer types, as `typeof` names them. */
const INTEGER_TYPES = ['TINYINT', 'SMALLINT', 'INTEGER', 'BIGINT', 'HUGEINT', 'UTINYINT', 'USMALLINT', 'UINTEGER', 'UBIGINT', 'UHUGEINT'];

/** The full canonical relation of a view: join keys of its entities, timestamps, all its features. */
export function viewRelationSql(roots: SourceRoots, set: DefinitionSet, view: FeatureViewDef): SourceRelation {
  const source = set.sources.get(view.source);
  if (!source) throw new NotFoundError(`feature view '${view.name}' names unknown source '${view.source}'`);
  return sourceRelationSql(roots, source, { joinKeys: viewJoinKeys(set, view), features: view.features });
}

/** Where a source points, for messages: its path, database table or query. */
function sourceLocation(source: SourceDef): { label: string; details: Record<string, string> } {
  if (source.path !== undefined) return { label: `path '${source.path}'`, details: { path: source.path } };
  if (source.database !== undefined) {
    return { label: `table '${source.table ?? ''}' in '${source.database}'`, details: { database: source.database, table: source.table ?? '' } };
  }
  return { label: 'its SQL query', details: { query: source.query ?? '' } };
}

/**
 * How to read an event time held as epoch seconds or milliseconds (an integer column, or CSV text of digits):
 * "; looks like epoch seconds or milliseconds: convert it in a query source, query: SELECT *, to_timestamp(ts)
 * AS ts_utc FROM read_parquet('data/e.parquet') with timestamp_field: ts_utc (milliseconds: epoch_ms(ts))".
 */
export function epochHint(source: SourceDef, column: string): string {
  const csv = source.path !== undefined && sourceFormat(source) === 'csv';
  const name = (n: string) => (/^[a-z_][a-z0-9_]*$/i.test(n) ? n : ident(n));
  const c = csv ? `${name(column)}::BIGINT` : name(column);
  const utc = name(`${column}_utc`);
  const convert = `to_timestamp(${c}) AS ${utc}`;
  const ms = `(milliseconds: epoch_ms(${c}))`;
  const lead = '; looks like epoch seconds or milliseconds:';
  if (source.path !== undefined) {
    const read = `${csv ? 'read_csv' : 'read_parquet'}(${literal(source.path)})`;
    return `${lead} convert it in a query source, query: SELECT *, ${convert} FROM ${read} with timestamp_field: ${utc} ${ms}`;
  }
  if (source.query !== undefined) return `${lead} convert it in the query, SELECT *, ${convert} FROM … with timestamp_field: ${utc} ${ms}`;
  return `${lead} store it as a TIMESTAMP in the table (${convert}, ${ms.slice(1, -1)})`;
}

/** The epoch hint for a run's read failure that shows an integer where a timestamp was expected, else ''. */
function epochFailureHint(source: SourceDef, said: string): string {
  if (/timestamp field (value out of range|format): "\d{9,}"|Could not convert string '\d{9,}' to TIMESTAMP|\((U?(TINY|SMALL|BIG|HUGE)?INT(EGER)?) -> TIMESTAMP/i.test(said)) {
    return epochHint(source, sourceColumnName(source, source.timestamp_field));
  }
  return '';
}

/**
 * The first line of why a source could not be read, with paths inside the project root relative to it: a caller
 * (an API client too) learns which file, not where the server keeps it.
 */
export function readFailureText(cause: unknown, root: string): string {
  return (cause instanceof Error ? cause.message : String(cause)).split('\n')[0].replaceAll(`${root}/`, '');
}

/**
 * The file DuckDB could not find when a checked list of a glob's files was read (it vanished after the listing: a
 * compaction merged it, a failed push's cleanup removed it), undefined for any other failure: "No files found"
 * naming a glob pattern is a folder with no file, which is not this.
 */
export function vanishedFile(cause: unknown): string | undefined {
  const text = cause instanceof Error ? cause.message : String(cause);
  // At bind time DuckDB finds no file for the listed name; after it, the file it bound cannot be opened.
  const pattern = /No files found that match the pattern "([^"]*)"/.exec(text)?.[1] ?? /Cannot open file "([^"]*)": No such file or directory/.exec(text)?.[1];
  return pattern === undefined || /[*?[]/.test(pattern) ? undefined : pattern;
}

/**
 * A source that could not be read (a file gone, a value that is no value of its declared type): a
 * `FeatureguardError` (code `source_unreadable`, HTTP 500, exit 3) naming the view, the source and where it
 * points, with the first line of DuckDB's message — paths relative to the project, so that an API caller learns
 * which file, not where the server keeps it. Errors of featureguard's own pass through.
 */
export function sourceUnreadable(view: string, source: SourceDef, cause: unknown, root: string): FeatureguardError {
  if (cause instanceof FeatureguardError) return cause;
  const where = sourceLocation(source);
  const said = readFailureText(cause, root);
  // Only a glob's listed file can vanish between its listing and the read; a single-file source's file gone is unreadable.
  const vanished = source.path !== undefined && isGlob(source.path) ? vanishedFile(cause) : undefined;
  if (vanished !== undefined) {
    return new FeatureguardError('source_changed', `feature view '${view}' could not read its source '${source.name}' (${where.label}): a file of it vanished while it was read (${vanished.replaceAll(`${root}/`, '')}; a compaction merged it, or a failed push's cleanup removed it); run it again`, {
      status: 503, exitCode: 3, details: { view, source: source.name, ...where.details, file: vanished.replaceAll(`${root}/`, ''), reason: said }, cause,
    });
  }
  // A column the files lack resolves to the alias of the same name in featureguard's SELECT, and DuckDB then
  // speaks of "referenced before it is defined" (or, for an alias with side effects such as a timestamp cast,
  // "Alias … referenced"): say what it means, in featureguard's words; the binder text stays in the cause.
  const missing = /Column "([^"]+)" referenced that exists in the SELECT clause|Alias "([^"]+)" referenced - but the expression has side effects/.exec(said);
  const column = missing?.[1] ?? missing?.[2];
  const mapped = column === undefined ? undefined : source.field_mapping?.[column];
  const reason = column === undefined
    ? `${said}${epochFailureHint(source, said)}`
    : `column '${column}' is not in the source's files${mapped !== undefined ? ` (field_mapping maps it to '${mapped}')` : ''}: a feature, join key or timestamp the definitions declare and the files lack; fix the definition or the files, then apply (\`featureguard validate\` names the definition's file and line)`;
  return new FeatureguardError('source_unreadable', `feature view '${view}' could not read its source '${source.name}' (${where.label}): ${reason}`, {
    status: 500, exitCode: 3, details: { view, source: source.name, ...where.details, reason }, cause,
  });
}
