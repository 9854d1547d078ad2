/**
 * The raw relation of a source (`rawSourceSql`): all its columns as its files, table or query hold them (CSV as
 * text), with the setup steps that check what it reads first: paths inside the project or a data root, never
 * featureguard's own files, a glob's files listed and checked once (the checked list is what is read), a DuckDB
 * table that is no view. Re-exported by `source-sql.ts`.
 *
 * @example
 * const { setup, from } = rawSourceSql(project.sourceRoots, source);
 * await runSetup(conn, setup);
 * await conn.runAndReadAll(`SELECT * FROM ${from} LIMIT 10`);
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { createHash } from 'node:crypto';
import { relative } from 'node:path';
import { DefinitionError } from '../errors.js';
import { problemAt } from '../definitions/origins.js';
import { OWN_FILES_RULE, offLimitsReason } from '../definitions/own-files.js';
import { isGlob, ownPlacesUnder, resolveSourcePath, sourceFormat, sourcePlaces, sourceResolvesInside, type SourceRoots } from '../definitions/source-location.js';
import type { SourceDef } from '../definitions/types.js';
import { attachAlias, attachCurrent } from './attach-database.js';
import { ident, literal } from './engine.js';
import { globFindingsOf, globSchemaReportStep, globSchemaStep, type GlobFinding, type ReadColumn } from './glob-schema.js';
import { compactedAway, isWritingName } from './pending-files.js';
import { csvHeaderStep } from './csv-header.js';
import type { SetupStep } from './setup-step.js';

function fail(source: SourceDef, pointer: string, message: string): never {
  throw new DefinitionError([problemAt(source, pointer, message)]);
}

/** Length of a glob's fixed folder part (up to the last '/' before its first wildcard): the names below it are the files'. */
function prefixLength(pattern: string): number {
  const first = pattern.search(/[*?[]/);
  return first < 0 ? pattern.length : pattern.lastIndexOf('/', first) + 1;
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
    // A CSV file whose header DuckDB could not split (a row with more fields) is refused in one message naming it.
    const header = (files: string) => (format === 'csv' && read !== undefined && read.length > 0 ? [csvHeaderStep(source, files, reader(files), read)] : []);
    if (!isGlob(source.path)) return { setup: ["SET TimeZone = 'UTC'", ...header(literal(abs))], from: reader(literal(abs)) };
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
    const files = `getvariable(${literal(variable)})`;
    return { setup: ["SET TimeZone = 'UTC'", checkFiles, ...typed, ...header(files)], from: reader(files) };
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
