/**
 * Where a dataset build may write. Refused before any work is done: an output
 * (or its manifest) that is one of the project's source files or matched by a
 * source's glob, or a file a query source or the entity SQL reads (the next build
 * or materialization would read the dataset as source rows, or the source would
 * be gone), featureguard's own files (featureguard.yaml, its state, SQLite online store, a JSON or YAML
 * file in the definitions folder: `ownFileReason`, shared with pushes and sources), the entity input itself, or a folder; a folder that cannot be created or written is named with the reason.
 *
 * @example
 * await checkOutputTargets(project, ['/p/data/train.parquet'], { file: '/p/data/entities.parquet' });
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { accessSync, constants, existsSync, realpathSync, statSync } from 'node:fs';
import { dirname, extname, resolve } from 'node:path';
import { globRegExp } from '../definitions/glob-pattern.js';
import { ownFileReason, ownPlacesOf } from '../definitions/own-files.js';
import { isGlob } from '../definitions/source-location.js';
import { InputError } from '../errors.js';
import type { Project } from '../project.js';
import { literal } from './engine.js';

export { globRegExp } from '../definitions/glob-pattern.js';

/** The path with symbolic links resolved as far as it exists. */
function real(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    const parent = dirname(path);
    return parent === path ? path : resolve(real(parent), path.slice(parent.length + 1));
  }
}

/** Whether `path` (whose real path is `p`) is the file `abs` names, or is matched by `abs` when that is a glob. */
function names(abs: string, path: string, p: string): boolean {
  return isGlob(abs) ? globRegExp(abs).test(path) || globRegExp(real(dirname(abs)) + abs.slice(dirname(abs).length)).test(p) : p === real(abs);
}

/** The quoted texts ('…' and "…") in SQL text. */
function quotedTexts(sql: string): string[] {
  return [...sql.matchAll(/'((?:[^']|'')*)'|"((?:[^"]|"")*)"/g)].map((m) => (m[1] ?? m[2].replaceAll('""', '"')).replaceAll("''", "'"));
}

/** The `FROM 'file'` table names and the texts inside table function calls of a `json_serialize_sql` tree. */
function readNamesIn(node: unknown, inTableFunction: boolean, out: string[]): string[] {
  if (Array.isArray(node)) {
    for (const n of node) readNamesIn(n, inTableFunction, out);
  } else if (node !== null && typeof node === 'object') {
    const o = node as Record<string, unknown>;
    if (o.type === 'BASE_TABLE' && typeof o.table_name === 'string') out.push(o.table_name);
    const inside = inTableFunction || o.type === 'TABLE_FUNCTION';
    const constant = o.class === 'CONSTANT' ? (o.value as { value?: unknown } | null)?.value : undefined;
    if (inside && typeof constant === 'string') out.push(constant, ...quotedTexts(constant));
    for (const v of Object.values(o)) readNamesIn(v, inside, out);
  }
  return out;
}

/**
 * The files a SQL query may read, as written in it (relative or absolute, globs too): its `FROM 'file'` table
 * names and the texts given to its table functions (`read_parquet([…])`, `read_csv`, a `query('…')`'s quoted
 * texts), at any depth, from DuckDB's parse tree. A query DuckDB cannot serialize (not a plain SELECT) gives
 * every quoted text in it: more names than it reads, never fewer.
 */
export async function sqlReadNames(conn: DuckDBConnection, sql: string): Promise<string[]> {
  const text = (await conn.runAndReadAll(`SELECT json_serialize_sql(${literal(sql)})`)).getRowsJS()[0][0];
  const tree = JSON.parse(String(text)) as { error?: boolean; statements?: unknown };
  return [...new Set(tree.error ? quotedTexts(sql) : readNamesIn(tree.statements, false, []))];
}

/** A file (or glob) a build reads through SQL, absolute, and what to say of an output it names. */
interface SqlRead {
  readonly abs: string;
  readonly refusal: (path: string) => InputError;
}

/**
 * The files the project's query sources and the entity SQL read. Relative names are taken relative to both
 * places DuckDB may look (a query source's project root, set as its `file_search_path`, and the process's
 * working directory; the entity SQL's working directory and `dir`, the build's base folder).
 */
async function sqlReads(project: Project, entitySql: string | undefined, dir: string): Promise<SqlRead[]> {
  const queries = [...project.registry.current().sources.values()].filter((s) => s.query !== undefined);
  if (queries.length === 0 && entitySql === undefined) return [];
  const conn = await (await project.engine()).connect();
  try {
    const reads: SqlRead[] = [];
    const add = (name: string, bases: readonly string[], refusal: SqlRead['refusal']) => {
      for (const base of new Set(bases)) reads.push({ abs: resolve(base, name), refusal });
    };
    for (const s of queries) {
      for (const name of await sqlReadNames(conn, s.query!)) {
        add(name, [project.root, process.cwd()], (path) => new InputError(
          `the output ${path} is ${isGlob(name) ? `matched by '${name}', which` : `'${name}', a file`} the query of source '${s.name}' reads: writing it would ${isGlob(name) ? 'add the dataset to that source' : 'replace the source'}; write the dataset elsewhere`,
          { path, source: s.name },
          'bad_output',
        ));
      }
    }
    if (entitySql !== undefined) {
      for (const name of await sqlReadNames(conn, entitySql)) {
        add(name, [process.cwd(), dir], (path) => new InputError(
          `the output ${path} is ${isGlob(name) ? `matched by '${name}', which` : `'${name}', a file`} the entity SQL reads; write the dataset to another file`,
          { path },
          'bad_output',
        ));
      }
    }
    return reads;
  } finally {
    conn.closeSync();
  }
}

/** What a build reads besides the sources: its entity file, or its entity SQL (run from `dir`). */
export interface EntityInputPlace {
  readonly file?: string;
  readonly sql?: string;
  readonly dir?: string;
}

/** Rejects with an `InputError` (exit 2, HTTP 400) when a build must not write to one of `targets` (absolute paths). */
export async function checkOutputTargets(project: Project, targets: readonly string[], entity: EntityInputPlace = {}): Promise<void> {
  const sources = [...project.registry.current().sources.values()];
  const reads = await sqlReads(project, entity.sql, entity.dir ?? process.cwd());
  // featureguard's own files (its configuration, definition files, state folder, SQLite online store): the rule
  // sources and pushes share (own-files.ts).
  const own = ownPlacesOf(project.root, project.config);
  for (const target of targets) {
    for (const path of [target, `${target}.manifest.json`]) {
      const p = real(path);
      const why = ownFileReason(own, path);
      if (why !== undefined) throw new InputError(`the output ${path} ${why}; write the dataset elsewhere`, { path }, 'bad_output');
      if (existsSync(path) && statSync(path).isDirectory()) throw new InputError(`the output ${path} is a folder; give a file name`, { path }, 'bad_output');
      if (entity.file !== undefined && p === real(entity.file)) {
        throw new InputError(`the output ${path} is the entity input itself; write the dataset to another file`, { path }, 'bad_output');
      }
      for (const s of sources) {
        const file = s.path ?? s.database;
        if (file === undefined) continue;
        const abs = resolve(project.root, file);
        if (s.path !== undefined ? names(abs, path, p) : p === real(abs)) {
          throw new InputError(
            `the output ${path} is ${isGlob(file) ? `matched by the path '${file}'` : 'the file'} of source '${s.name}': writing it would ${isGlob(file) ? 'add the dataset to that source' : 'replace the source'}; write the dataset elsewhere`,
            { path, source: s.name },
            'bad_output',
          );
        }
      }
      const read = reads.find((r) => names(r.abs, path, p));
      if (read) throw read.refusal(path);
    }
    // The folder is created when the build writes (a blocked build creates nothing): check its nearest existing ancestor.
    let dir = dirname(target);
    while (!existsSync(dir) && dirname(dir) !== dir) dir = dirname(dir);
    if (!statSync(dir).isDirectory()) throw new InputError(`cannot write the output ${target}: ${dir} is a file, not a folder`, { path: target }, 'bad_output');
    try {
      accessSync(dir, constants.W_OK);
    } catch (e) {
      throw new InputError(`cannot write the output ${target}: ${(e as Error).message.split(',')[0]}`, { path: target }, 'bad_output');
    }
  }
}
