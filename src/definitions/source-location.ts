/**
 * Where a source's files are: paths resolved under the project root (a path that
 * escapes it is refused) and the file format of `path` sources.
 */
import { realpathSync } from 'node:fs';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import type { SourceDef } from './types.js';

/** Absolute path of `p` (relative to `root`, or absolute), or undefined when it is outside `root`. */
export function resolveInProject(root: string, p: string): string | undefined {
  const base = resolve(root);
  const abs = resolve(base, p);
  const rel = relative(base, abs);
  if (rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel)) return undefined;
  return abs;
}

/**
 * Whether `abs`, with every symbolic link resolved, still lies under `root` (resolved too). True for a path
 * that does not exist (missing files are reported elsewhere).
 */
export function resolvesInside(root: string, abs: string): boolean {
  try {
    return resolveInProject(realpathSync(root), realpathSync(abs)) !== undefined;
  } catch {
    return true;
  }
}

/** True when a path contains glob characters (`*`, `?`, `[`, `{`). */
export function isGlob(p: string): boolean {
  return /[*?[{]/.test(p);
}

/** The format of a `path` source: declared, or from the extension; undefined when unknown. */
export function sourceFormat(source: SourceDef): 'parquet' | 'csv' | undefined {
  if (source.format) return source.format;
  const p = (source.path ?? '').toLowerCase();
  if (/\.(parquet|pq)$/.test(p)) return 'parquet';
  if (/\.(csv|tsv)(\.gz|\.zst)?$/.test(p)) return 'csv';
  return undefined;
}

/** A one-line description of where a source reads from, for messages. */
export function describeSourceLocation(source: SourceDef): string {
  if (source.path !== undefined) return `file '${source.path}'`;
  if (source.database !== undefined) return `table '${source.table}' in '${source.database}'`;
  return 'query';
}
