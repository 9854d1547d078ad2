/**
 * Where a source's files are: paths resolved under the project root or one of
 * the folders `data_roots` in featureguard.yaml lists (a path that escapes them
 * is refused) and the file format of `path` sources.
 */
import { realpathSync } from 'node:fs';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { ownPlacesOf, type OwnPlaces } from './own-files.js';
import type { ProjectConfig, SourceDef } from './types.js';

/** The folders sources may read from: the project root, and the data roots of its configuration (absolute). */
export interface SourceRoots {
  readonly root: string;
  readonly dataRoots: readonly string[];
  /** featureguard's own files, which no source may read (the project's layout; the default one when absent). */
  readonly own?: OwnPlaces;
}

/** The source roots of a project: `data_roots` resolved against the project root. */
export function sourceRootsOf(root: string, config: Pick<ProjectConfig, 'data_roots' | 'definitions' | 'online_store'> | undefined): SourceRoots {
  return { root: resolve(root), dataRoots: (config?.data_roots ?? []).map((d) => resolve(root, d)), own: ownPlacesOf(root, config) };
}

/** featureguard's own places under `roots`: as configured, else the default layout. */
export function ownPlacesUnder(roots: SourceRoots): OwnPlaces {
  return roots.own ?? ownPlacesOf(roots.root);
}

/** `roots` as given, or a bare project root (no data roots). */
export function asSourceRoots(roots: string | SourceRoots): SourceRoots {
  return typeof roots === 'string' ? { root: resolve(roots), dataRoots: [] } : roots;
}

/** Absolute path of `p` (relative to `root`, or absolute), or undefined when it is outside `root`. */
export function resolveInProject(root: string, p: string): string | undefined {
  const base = resolve(root);
  const abs = resolve(base, p);
  const rel = relative(base, abs);
  if (rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel)) return undefined;
  return abs;
}

/** Absolute path of a source's `path` or `database` (relative to the project root, or absolute), or undefined when it lies outside the project root and every data root. */
export function resolveSourcePath(roots: SourceRoots, p: string): string | undefined {
  const abs = resolveInProject(roots.root, p);
  if (abs !== undefined) return abs;
  const absolute = resolve(roots.root, p);
  return roots.dataRoots.some((d) => resolveInProject(d, absolute) !== undefined) ? absolute : undefined;
}

/** Whether `abs`, with every symbolic link resolved, still lies under the project root or a data root (each resolved too). */
export function sourceResolvesInside(roots: SourceRoots, abs: string): boolean {
  let real: string;
  try {
    real = realpathSync(abs);
  } catch {
    return true; // missing: reported elsewhere
  }
  return [roots.root, ...roots.dataRoots].some((r) => {
    try {
      return resolveInProject(realpathSync(r), real) !== undefined;
    } catch {
      return false; // a data root that does not exist holds nothing
    }
  });
}

/** "the project root", or "the project root and every folder of data_roots (…)": where sources may be, for messages. */
export function sourcePlaces(roots: SourceRoots): string {
  return roots.dataRoots.length === 0 ? 'the project root' : `the project root and every folder of data_roots (${roots.dataRoots.join(', ')})`;
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

/** The source column holding definition name `name` (the inverse of `field_mapping`). */
export function sourceColumnName(source: SourceDef, name: string): string {
  for (const [column, mapped] of Object.entries(source.field_mapping ?? {})) if (mapped === name) return column;
  return name;
}
