/**
 * Which sources read a file a push appends (for `offline_push_shared_source`): a `path` source by DuckDB's glob
 * rules, a `query` source by the files, folders and globs its SQL names (DuckDB's parse tree).
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { dirname, resolve } from 'node:path';
import { resolveSourcePath, type SourceRoots } from '../definitions/source-location.js';
import type { SourceDef } from '../definitions/types.js';
import { literal } from '../offline/engine.js';
import { sqlReadNames } from '../offline/output-targets.js';

/**
 * Whether `source` reads the file `file` (an absolute path, as `offlineTarget` makes one): a `path` source whose
 * glob matches it as DuckDB's glob would (`*` and `?` within one folder name, `**` any number of folders, `[…]`
 * a character class), or a folder source holding it. Another source over the same files reads a pushed file too.
 */
export function sourceReadsFile(roots: SourceRoots, source: SourceDef | undefined, file: string): boolean {
  if (!source?.path) return false;
  const full = resolveSourcePath(roots, source.path);
  return full !== undefined && pathReadsFile(source.path, full, file);
}

/** Whether the path `name` (absolute: `full`) names `file`, its folder, or a glob matching it (see `sourceReadsFile`). */
function pathReadsFile(name: string, full: string, file: string): boolean {
  if (!/[*?[]/.test(name)) return full === file || full === dirname(file);
  return globSegmentsMatch(full.split(/[\\/]/), file.split(/[\\/]/));
}

/**
 * Whether the SQL `query` of a query source reads `file` (absolute): a file, folder or glob it names (`sqlReadNames`,
 * relative ones against the project root, where the source's reads look, and the working directory) takes it.
 * `undefined` when that cannot be told: a table function reading a path computed by an expression (`'data/' || x`,
 * a subquery, a variable), or SQL DuckDB cannot parse into a tree.
 */
export async function queryReadsFile(conn: DuckDBConnection, roots: SourceRoots, query: string, file: string): Promise<boolean | undefined> {
  const names = await sqlReadNames(conn, query);
  if (names.some((n) => [roots.root, process.cwd()].some((base) => pathReadsFile(n, resolve(base, n), file)))) return true;
  return (await namesEveryRead(conn, query)) ? false : undefined;
}

/** Whether every table function of `sql` (at any depth, inside `query('…')` too) is given its paths as constants. */
async function namesEveryRead(conn: DuckDBConnection, sql: string): Promise<boolean> {
  const text = (await conn.runAndReadAll(`SELECT json_serialize_sql(${literal(sql)})`)).getRowsJS()[0][0];
  const tree = JSON.parse(String(text)) as { error?: boolean; statements?: unknown };
  if (tree.error) return false;
  const constant = (e: Record<string, unknown>): boolean => e.class === 'CONSTANT'
    || (e.class === 'FUNCTION' && e.function_name === 'list_value' && (e.children as Record<string, unknown>[]).every(constant));
  const inner: string[] = [];
  const visit = (node: unknown): boolean => {
    if (Array.isArray(node)) return node.every(visit);
    if (node === null || typeof node !== 'object') return true;
    const o = node as Record<string, unknown>;
    if (o.type === 'TABLE_FUNCTION') {
      const call = o.function as { function_name?: string; children?: Record<string, unknown>[] };
      // Named parameters (`union_by_name = true`) are comparisons; every other argument must be a constant.
      const args = (call.children ?? []).filter((a) => a.class !== 'COMPARISON');
      if (!args.every(constant)) return false;
      if (call.function_name === 'query') for (const a of args) inner.push(String((a.value as { value?: unknown } | null)?.value ?? ''));
    }
    return Object.values(o).every(visit);
  };
  if (!visit(tree.statements)) return false;
  for (const q of inner) if (!(await namesEveryRead(conn, q))) return false;
  return true;
}

function globSegmentsMatch(pattern: readonly string[], path: readonly string[]): boolean {
  if (pattern.length === 0) return path.length === 0;
  const [head, ...rest] = pattern;
  if (head === '**') return path.some((_, i) => globSegmentsMatch(rest, path.slice(i))) || globSegmentsMatch(rest, []);
  return path.length > 0 && globSegment(head).test(path[0]) && globSegmentsMatch(rest, path.slice(1));
}

/** One folder or file name of a glob as a regular expression. */
function globSegment(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i];
    const close = c === '[' ? glob.indexOf(']', i + 2) : -1;
    if (c === '*') re += '.*';
    else if (c === '?') re += '.';
    else if (close > 0) {
      const body = glob.slice(i + 1, close).replaceAll('\\', '\\\\');
      re += `[${body.startsWith('!') ? `^${body.slice(1)}` : body}]`;
      i = close;
    } else re += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}
