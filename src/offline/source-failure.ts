/**
 * Why a source could not be read, in featureguard's words: `sourceUnreadable` (a `FeatureguardError` naming the
 * view, the source and where it points; a glob's file that vanished while it was read is `source_changed`), the
 * message's first line with project paths made relative (`readFailureText`), the file that vanished
 * (`vanishedFile`), and how to read epoch seconds as a timestamp (`epochHint`). Re-exported by `source-sql.ts`.
 *
 * @example
 * try { await conn.run(sql); } catch (e) { throw sourceUnreadable(view.name, source, e, project.root); }
 */
import { FeatureguardError } from '../errors.js';
import { isGlob, sourceColumnName, sourceFormat } from '../definitions/source-location.js';
import type { SourceDef } from '../definitions/types.js';
import { ident, literal } from './engine.js';

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

/** Declared types as DuckDB's cast errors name their DuckDB types. */
const CAST_TYPES: Record<string, string> = { INT64: 'int64', BIGINT: 'int64', INT32: 'int32', INTEGER: 'int32', DOUBLE: 'float64', FLOAT: 'float32', BOOL: 'bool', BOOLEAN: 'bool' };

/**
 * A value the read could not cast to its column's declared type, from DuckDB's message ("Could not convert string
 * 'C1' to INT64 when casting from source column customer_id", or featureguard's "column n holds '2.5', which is
 * no whole number (join key of type int64)"), in featureguard's words with what to do; undefined for other failures.
 */
function castFailure(source: SourceDef, said: string): { reason: string; details: Record<string, string> } | undefined {
  const cast = /Could not convert string '(.*)' to ([A-Z0-9_]+) when casting from source column (.+)$/.exec(said);
  const whole = cast ? undefined : /column (.+) holds '(.*)', which is no whole number \((?:join key of type|declared) (\w+)\)/.exec(said);
  if (!cast && !whole) return undefined;
  const [column, value, type] = cast ? [cast[3], cast[1], CAST_TYPES[cast[2]] ?? cast[2].toLowerCase()] : [whole![1], whole![2], whole![3]];
  const csv = source.path !== undefined && sourceFormat(source) === 'csv' ? ' (a CSV source is text, cast to the declared types as it is read)' : '';
  const what = cast ? `no value of its declared type ${type}` : `no whole number, as its declared type ${type} requires`;
  const reason = `column '${column}' holds '${value}', which is ${what}${csv}; fix the value in the source, or declare the type its values have, then apply (\`featureguard validate\` checks the first rows of a CSV file)`;
  return { reason, details: { column, value, declared_type: type } };
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
  const badValue = column === undefined ? castFailure(source, said) : undefined;
  if (badValue !== undefined) {
    return new FeatureguardError('source_unreadable', `feature view '${view}' could not read its source '${source.name}' (${where.label}): ${badValue.reason}`, {
      status: 500, exitCode: 3, details: { view, source: source.name, ...where.details, ...badValue.details, reason: badValue.reason }, cause,
    });
  }
  const reason = column === undefined
    ? `${said}${epochFailureHint(source, said)}`
    : `column '${column}' is not in the source's files${mapped !== undefined ? ` (field_mapping maps it to '${mapped}')` : ''}: a feature, join key or timestamp the definitions declare and the files lack; fix the definition or the files, then apply (\`featureguard validate\` names the definition's file and line)`;
  return new FeatureguardError('source_unreadable', `feature view '${view}' could not read its source '${source.name}' (${where.label}): ${reason}`, {
    status: 500, exitCode: 3, details: { view, source: source.name, ...where.details, reason }, cause,
  });
}
