/**
 * Check sources against the data on disk (the part of `validate` that touches
 * DuckDB): each source exists under the project root, and has the declared
 * columns (timestamps, join keys of the views reading it, their features after
 * `field_mapping`) with compatible types, via DuckDB `DESCRIBE`.
 *
 * @example
 * const problems = await checkSources(project.sourceRoots, loadDefinitions(root, loadConfig(root)));
 */
import { existsSync, readdirSync } from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import { DefinitionError, type DefinitionProblem } from '../errors.js';
import { ident, literal, openOfflineEngine } from '../offline/engine.js';
import type { ReadColumn } from '../offline/glob-schema.js';
import { badUtcOffsetSql, duckdbType, epochHint, fractionalIntegerText, isWritingName, rawSourceSql, runSetup, sourceColumnName } from '../offline/source-sql.js';
import { definitionOrigin, problemAt } from './origins.js';
import { OWN_FILES_RULE, offLimitsReason, type OwnPlaces } from './own-files.js';
import { asSourceRoots, isGlob, ownPlacesUnder, resolveSourcePath, sourcePlaces, sourceResolvesInside, sourceFormat, type SourceRoots } from './source-location.js';
import { duckdbPatternProblems } from './pattern-check.js';
import { closest, didYouMean } from './suggest.js';
import { ACCEPTED_COLUMN_TYPES, TIMESTAMP_FIELD_TYPES, isCompatibleType, isIntegerType, isTimestampFieldType } from './type-compat.js';
import type { Definition, EntityDef, FeatureType, FeatureViewDef, JoinKeyType, SourceDef } from './types.js';
import { pointerToken } from '../json-pointer.js';

/** First line of a DuckDB error, without the stack. */
function reason(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).split('\n')[0];
}

/** A glob's files that validate looks at (the runs check every file they read). */
const GLOB_SAMPLE = 1000;

/** Location problems (outside the root, missing file, no glob match), or undefined when the data is there. */
async function locationProblem(conn: DuckDBConnection, roots: SourceRoots, s: SourceDef): Promise<DefinitionProblem | undefined> {
  const key = s.path !== undefined ? 'path' : s.database !== undefined ? 'database' : undefined;
  if (key === undefined) return undefined;
  const p = s[key]!;
  const abs = resolveSourcePath(roots, p);
  if (abs === undefined) return problemAt(s, `/${key}`, `'${p}' is outside ${sourcePlaces(roots)}; sources must be files inside the project folder, or under a folder listed in data_roots in featureguard.yaml`);
  if (key === 'path' && isGlob(p)) {
    const reader = await conn.runAndReadAll(`SELECT file FROM glob(${literal(abs)}) LIMIT ${GLOB_SAMPLE}`);
    const files = reader.getRowObjectsJson().map((r) => String(r.file));
    if (files.length === 0) return problemAt(s, '/path', `no file matches '${p}'`);
    const outside = files.find((f) => !sourceResolvesInside(roots, f));
    if (outside) return problemAt(s, '/path', `'${outside}' (matched by '${p}') resolves to a file outside ${sourcePlaces(roots)}`);
    // Named, never read: its content would show in the messages below (a did-you-mean of its first line).
    for (const f of files.filter((name) => !isWritingName(name))) {
      const own = offLimitsReason(ownPlacesUnder(roots), f);
      if (own !== undefined) return problemAt(s, '/path', `'${relative(roots.root, f)}' (matched by '${p}') ${own}; ${OWN_FILES_RULE}`);
    }
    return undefined;
  }
  const own = offLimitsReason(ownPlacesUnder(roots), abs);
  if (own !== undefined) return problemAt(s, `/${key}`, `'${p}' ${own}; ${OWN_FILES_RULE}`);
  if (!existsSync(abs)) return problemAt(s, `/${key}`, `file '${p}' does not exist (${abs === resolve(roots.root, p) ? 'a relative path is read from the project root, the folder of featureguard.yaml' : `looked in ${abs}`})${nearFile(ownPlacesUnder(roots), abs, p)}`);
  if (!sourceResolvesInside(roots, abs)) return problemAt(s, `/${key}`, `'${p}' resolves (through a symbolic link) to a file outside ${sourcePlaces(roots)}`);
  return undefined;
}

/** Where the source's `field_mapping` names `column` ("; mapped at features/sources.yaml:5 /field_mapping/User Id"): the typo may be there. */
function mappingAt(s: SourceDef, column: string): string {
  const pointer = `/field_mapping/${pointerToken(column)}`;
  const origin = definitionOrigin(s);
  const line = origin.locate(pointer, true).line;
  return `; mapped at ${origin.file}${line ? `:${line}` : ''} ${pointer} of source '${s.name}'`;
}

/** " (did you mean 'data/x.parquet'?)" when the missing file's folder holds a file of a near name (never one of featureguard's own files). */
function nearFile(own: OwnPlaces, abs: string, written: string): string {
  let entries: string[];
  try {
    entries = readdirSync(dirname(abs)).filter((e) => offLimitsReason(own, join(dirname(abs), e)) === undefined);
  } catch {
    return '';
  }
  const near = closest(basename(abs), entries);
  if (near === undefined) return '';
  const folder = written.includes('/') ? written.slice(0, written.lastIndexOf('/') + 1) : '';
  return ` (did you mean '${folder}${near}'?)`;
}

/** The source's columns and types; its relation (`from`) stays readable on `conn`. */
/** A column name as letters and digits only, lower case, words joined by '_' ('Event Time' → 'event_time'). */
function loose(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9]+/g, '_').replace(/^_+|_+$/g, '');
}

/**
 * ": column 'Qty' differs only in letter case; map it: field_mapping: {Qty: qty}" when a source column differs
 * from `name` only in case, spaces or punctuation: a definition name must be lower case, so a "did you mean
 * 'Qty'" would suggest a name the definitions refuse.
 */
function mappingHint(name: string, columns: Iterable<string>): string | undefined {
  const match = [...columns].find((c) => c !== name && loose(c) === loose(name));
  if (match === undefined) return undefined;
  const how = match.toLowerCase() === name.toLowerCase() ? 'letter case' : match === match.toLowerCase() ? 'spacing' : 'letter case and spacing';
  return `: column '${match}' differs only in ${how}; map it: field_mapping: {${mappingKey(match)}: ${name}}`;
}

/** A field_mapping key: the column's name, quoted when YAML would not read it plain. */
function mappingKey(column: string): string {
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(column) ? column : JSON.stringify(column);
}

/** Unused columns named in a rename hint, at most. */
const RENAME_CANDIDATES = 5;

/**
 * "; column 'mean_delay' (DOUBLE) is read by no view: if 'avg_delay' renames it, map it on source 's': field_mapping:
 * {mean_delay: avg_delay}" when the source has columns no view reads of a type the feature or key accepts (a
 * feature renamed in its view, its column not), or '' when none. `field_mapping` maps a source column to a name.
 */
function renameHint(s: SourceDef, c: ColumnCheck, candidates: readonly (readonly [string, string])[]): string {
  if (candidates.length === 0 || candidates.length > RENAME_CANDIDATES) return '';
  const [[only, type]] = candidates;
  if (candidates.length === 1) {
    return `; column '${only}' (${type}) is read by no view: if '${c.name}' renames it, map it on source '${s.name}': field_mapping: {${mappingKey(only)}: ${c.name}}`;
  }
  const listed = candidates.map(([name, t]) => `'${name}' (${t})`).join(', ');
  return `; columns ${listed} are read by no view: if '${c.name}' renames one, map it on source '${s.name}': field_mapping: {COLUMN: ${c.name}}`;
}

async function describe(conn: DuckDBConnection, roots: SourceRoots, s: SourceDef, read: readonly ReadColumn[]): Promise<{ columns: Map<string, string>; from: string }> {
  // A glob's files are checked to hold the columns read in types its first file's do not bend (the first
  // GLOB_SAMPLE files, as listed; the runs check every file they read).
  const { setup, from } = rawSourceSql(roots, s, read, GLOB_SAMPLE);
  await runSetup(conn, setup);
  const reader = await conn.runAndReadAll(`DESCRIBE SELECT * FROM ${from}`);
  return { columns: new Map(reader.getRowObjectsJson().map((r) => [String(r.column_name), String(r.column_type)])), from };
}

/** Rows of a text timestamp column that validate reads (a sample: the runs read every row). */
const TEXT_SAMPLE = 1000;

/**
 * The first text of a timestamp column's first `TEXT_SAMPLE` rows that the runs refuse, or undefined: text that is
 * no timestamp ('yesterday', '1796224175'), or whose UTC offset is none ('…+24:00', '…+99': `badUtcOffsetSql`,
 * the runs' own test), `offset` saying which.
 */
async function unreadableTimestampText(conn: DuckDBConnection, from: string, column: string): Promise<{ text: string; offset: boolean } | undefined> {
  const sql = `SELECT v, ${badUtcOffsetSql('v')} AS bad_offset FROM (SELECT CAST(${ident(column)} AS VARCHAR) AS v FROM ${from} LIMIT ${TEXT_SAMPLE})
    WHERE v IS NOT NULL AND (${badUtcOffsetSql('v')} OR TRY_CAST(v AS TIMESTAMPTZ) IS NULL) LIMIT 1`;
  const rows = (await conn.runAndReadAll(sql)).getRowsJS();
  return rows.length === 0 ? undefined : { text: String(rows[0][0]), offset: rows[0][1] === true };
}

/** Text values a problem names, at most. */
const TEXT_EXAMPLES = 3;

/**
 * Up to `TEXT_EXAMPLES` distinct texts of an integer join key column of a CSV source, in its first `TEXT_SAMPLE`
 * rows, that are no whole number of `type` ('C1', '2.5', a value out of range): the runs' cast refuses them.
 */
async function unreadableKeyText(conn: DuckDBConnection, from: string, column: string, type: 'int32' | 'int64'): Promise<string[]> {
  const sample = `SELECT CAST(${ident(column)} AS VARCHAR) AS v, row_number() OVER () AS n FROM (SELECT * FROM ${from} LIMIT ${TEXT_SAMPLE})`;
  const bad = `v IS NOT NULL AND (TRY_CAST(v AS ${duckdbType(type)}) IS NULL OR ${fractionalIntegerText('v', type)})`;
  const rows = (await conn.runAndReadAll(`SELECT v, min(n) AS n FROM (${sample}) WHERE ${bad} GROUP BY v ORDER BY n LIMIT ${TEXT_EXAMPLES}`)).getRowsJS();
  return rows.map((r) => String(r[0]));
}

interface ColumnCheck {
  readonly def: Definition;
  readonly pointer: string;
  readonly what: string;
  readonly name: string;
  readonly type: FeatureType | JoinKeyType;
  /** A timestamp field (event or created time), read through `utcTimestampSql`: text is read too. */
  readonly field?: boolean;
  /** A join key (of entity `entity`). */
  readonly key?: { readonly entity: string };
}

/** The columns a source must have: its timestamps, and the keys and features of every view reading it. */
function requiredColumns(s: SourceDef, views: FeatureViewDef[], entities: ReadonlyMap<string, EntityDef>): ColumnCheck[] {
  const out: ColumnCheck[] = [{ def: s, pointer: '/timestamp_field', what: `timestamp field '${s.timestamp_field}'`, name: s.timestamp_field, type: 'timestamp', field: true }];
  if (s.created_timestamp_field !== undefined) {
    out.push({ def: s, pointer: '/created_timestamp_field', what: `created timestamp field '${s.created_timestamp_field}'`, name: s.created_timestamp_field, type: 'timestamp', field: true });
  }
  for (const v of views) {
    v.entities.forEach((e, i) => {
      for (const k of entities.get(e)?.join_keys ?? []) {
        out.push({ def: v, pointer: `/entities/${i}`, what: `join key '${k.name}' of entity '${e}'`, name: k.name, type: k.type, key: { entity: e } });
      }
    });
    v.features.forEach((f, i) => out.push({ def: v, pointer: `/features/${i}`, what: `feature '${f.name}'`, name: f.name, type: f.type }));
  }
  return out;
}

/**
 * Check every source of `defs` against the files on disk. Resolves to the problems
 * found (empty when all is well); never throws for bad data.
 */
export async function checkSources(root: string | SourceRoots, defs: readonly Definition[]): Promise<DefinitionProblem[]> {
  const roots = asSourceRoots(root);
  const sources = defs.filter((d): d is SourceDef => d.kind === 'source');
  const views = defs.filter((d): d is FeatureViewDef => d.kind === 'feature_view');
  const entities = new Map(defs.filter((d): d is EntityDef => d.kind === 'entity').map((e) => [e.name, e]));
  const problems: DefinitionProblem[] = [];
  if (sources.length === 0) return problems;
  const conn = await (await openOfflineEngine()).connect();
  try {
    problems.push(...(await duckdbPatternProblems(conn, views)));
    for (const s of sources) {
      const located = await locationProblem(conn, roots, s);
      if (located) {
        problems.push(located);
        continue;
      }
      const required = requiredColumns(s, views.filter((v) => v.source === s.name), entities);
      let columns: Map<string, string>;
      let from: string;
      try {
        const read = required.map((c) => ({ column: sourceColumnName(s, c.name), what: c.what, type: c.type, field: c.field }));
        ({ columns, from } = await describe(conn, roots, s, read));
      } catch (e) {
        // The setup's own refusals (a glob's file out of the roots, a table that is a view) are problems already.
        if (e instanceof DefinitionError) {
          problems.push(...e.problems);
          continue;
        }
        const pointer = s.path !== undefined ? '/path' : s.database !== undefined ? '/table' : '/query';
        problems.push(problemAt(s, pointer, `cannot read the source: ${reason(e)}`));
        continue;
      }
      const csv = s.path !== undefined && sourceFormat(s) === 'csv';
      const read = new Set(required.map((c) => sourceColumnName(s, c.name).toLowerCase()));
      for (const c of required) {
        const column = sourceColumnName(s, c.name);
        const type = columns.get(column);
        const via = column === c.name ? '' : ` (column '${column}' via field_mapping)`;
        if (type === undefined) {
          // A column another name reads is no answer: mapping it would take it from that one.
          const unused = [...columns].filter(([name]) => !read.has(name.toLowerCase()));
          const hint = via ? undefined : mappingHint(column, columns.keys());
          const near = hint ?? didYouMean(column, unused.map(([name]) => name));
          const renamed = near === '' && !via && c.def.kind === 'feature_view' ? renameHint(s, c, unused.filter(([, t]) => csv || isCompatibleType(c.type, t))) : '';
          problems.push(problemAt(c.def, c.pointer, `${c.what}${via} is not a column of source '${s.name}'${near}${renamed}${via ? mappingAt(s, column) : ''}`));
        } else if (!csv && !(c.field ? isTimestampFieldType(type) : isCompatibleType(c.type, type))) {
          // CSV is read as text and cast to the declared types on read: no column types to compare.
          const accepted = (c.field ? TIMESTAMP_FIELD_TYPES : ACCEPTED_COLUMN_TYPES[c.type as FeatureType]).join(', ');
          const epoch = c.type === 'timestamp' && isIntegerType(type) ? epochHint(s, column) : '';
          problems.push(problemAt(c.def, c.pointer, `${c.what}${via} is declared ${c.type} but column '${column}' of source '${s.name}' is ${type} (${c.type} accepts ${accepted})${epoch}`));
        } else if (c.field && (csv || type === 'VARCHAR')) {
          const bad = await unreadableTimestampText(conn, from, column).catch(() => undefined);
          if (bad?.offset) {
            problems.push(problemAt(c.def, c.pointer, `${c.what}${via}: column '${column}' of source '${s.name}' is text, and '${bad.text}' has no valid UTC offset (hours 00-23, minutes and seconds 00-59; first ${TEXT_SAMPLE} rows read)`));
          } else if (bad !== undefined) {
            problems.push(problemAt(c.def, c.pointer, `${c.what}${via}: column '${column}' of source '${s.name}' is text, and '${bad.text}' is no ISO 8601 timestamp (first ${TEXT_SAMPLE} rows read)${/^\s*\d{9,}\s*$/.test(bad.text) ? epochHint(s, column) : ''}`));
          }
        } else if (csv && c.key !== undefined && (c.type === 'int32' || c.type === 'int64')) {
          // CSV text is cast to the key's type on read, and a run fails on the first text that is none.
          const bad = await unreadableKeyText(conn, from, column, c.type).catch(() => []);
          if (bad.length > 0) {
            const values = bad.map((b) => `'${b}'`).join(', ');
            problems.push(problemAt(c.def, c.pointer, `${c.what}${via} is declared ${c.type}, but column '${column}' of source '${s.name}' ('${s.path}') holds ${values}, ${bad.length === 1 ? 'which is no' : 'which are no'} ${c.type} value${bad.length === 1 ? '' : 's'} (first ${TEXT_SAMPLE} rows read); give whole numbers within the ${c.type} range in the file, or declare the key string on the entity`));
          }
        }
      }
    }
  } finally {
    conn.closeSync();
  }
  // DuckDB's messages name absolute paths: relative to the project, as the definitions write them (and
  // without telling an API client where the project lives).
  const prefix = `${roots.root.replace(/\/+$/, '')}/`;
  return problems.map((p) => ({ ...p, message: p.message.replaceAll(prefix, '') }));
}
