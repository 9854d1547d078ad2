/**
 * featureguard's own files, which no source may read and no push or dataset may write: `featureguard.yaml`
 * (it holds a Redis password and webhook URLs), the definitions folder, the state folder `.featureguard/`, a
 * SQLite online store's database, and (for sources and pushes) any dot-file or dot-folder (`.env`, `.git/`).
 * Read as a source, such a file reached HTTP callers through "did you mean" hints and error messages; written
 * into, the definitions folder broke every later `validate`, `plan` and `apply`.
 *
 * @example
 * const why = offLimitsReason(ownPlacesOf(root, config), '/p/.env'); // "is a dot-file or in a dot-folder ('.env'), …"
 */
import { realpathSync } from 'node:fs';
import { dirname, extname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { globRegExp } from './glob-pattern.js';
import type { ProjectConfig } from './types.js';

/** As project.ts's `STATE_DIR`. */
const STATE_DIR_NAME = '.featureguard';
const CONFIG_FILE = 'featureguard.yaml';

/** What every refusal of a source over an own file adds. */
export const OWN_FILES_RULE = "sources may not read featureguard's own files (featureguard.yaml, the definitions folder, .featureguard/, the online store's database) or dot-files and dot-folders";

/** Where featureguard keeps its own files (absolute paths). */
export interface OwnPlaces {
  readonly root: string;
  readonly definitionsDir: string;
  readonly stateDir: string;
  /** A SQLite online store's database file, when one is configured by path. */
  readonly onlineFile?: string;
  /** The folders `data_roots` adds beside the root: their dot-files are off limits too. */
  readonly dataRoots?: readonly string[];
}

/** The own places of a project at `root` with configuration `config` (the default layout without one). */
export function ownPlacesOf(root: string, config?: Pick<ProjectConfig, 'definitions' | 'online_store' | 'data_roots'>): OwnPlaces {
  const base = resolve(root);
  const store = config?.online_store;
  return {
    root: base,
    definitionsDir: resolve(base, config?.definitions ?? 'features'),
    stateDir: join(base, STATE_DIR_NAME),
    onlineFile: store?.type === 'sqlite' && store.path !== undefined ? resolve(base, store.path) : undefined,
    dataRoots: (config?.data_roots ?? []).map((d) => resolve(base, d)),
  };
}

/** The part of `path` under the project root or a data root, split into names (`undefined`: under none). */
function namesUnderRoots(places: OwnPlaces, path: string, separator: string): string[] | undefined {
  for (const root of [places.root, ...(places.dataRoots ?? [])]) {
    const rel = inside(root, path);
    if (rel !== undefined) return rel.split(separator);
  }
  return undefined;
}

/** The path with symbolic links resolved as far as it exists. */
function real(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    const parent = dirname(path);
    return parent === path ? path : join(real(parent), path.slice(parent.length + 1));
  }
}

/** `path` relative to `dir` when inside it (`''` for `dir` itself), else undefined. */
function inside(dir: string, path: string): string | undefined {
  const rel = relative(dir, path);
  if (rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel)) return undefined;
  return rel;
}

/** `path` as messages show it: relative to the project root (`.` for the root itself), else absolute. */
function shown(places: OwnPlaces, path: string): string {
  const rel = inside(places.root, path);
  return rel === undefined ? path : rel || '.';
}

/** Both the path as written and with its links resolved, each against the places likewise. */
function bothWays(places: OwnPlaces, abs: string): { places: OwnPlaces; path: string }[] {
  const realPlaces: OwnPlaces = {
    root: real(places.root),
    definitionsDir: real(places.definitionsDir),
    stateDir: real(places.stateDir),
    onlineFile: places.onlineFile === undefined ? undefined : real(places.onlineFile),
    dataRoots: places.dataRoots?.map(real),
  };
  return [{ places, path: resolve(abs) }, { places: realPlaces, path: real(abs) }];
}

/**
 * Why `abs` is a file featureguard itself reads or writes (a predicate for messages: "is …"), or undefined: `featureguard.yaml`, a `.json`/`.yaml`/
 * `.yml` file in the definitions folder (validate, plan and apply read them), anything in the state folder, the
 * SQLite online store's database (and its `-wal`, `-shm`, `-journal`). Dataset outputs may not be one.
 */
export function ownFileReason(places: OwnPlaces, abs: string): string | undefined {
  for (const { places: p, path } of bothWays(places, abs)) {
    if (path === join(p.root, CONFIG_FILE)) return `is ${CONFIG_FILE}, featureguard's configuration`;
    // (A dataset's manifest beside it, `.manifest.json`, the loader skips.)
    if (inside(p.definitionsDir, path) !== undefined && /\.(json|ya?ml)$/i.test(path) && !/\.manifest\.json$/i.test(path)) {
      return `is a ${extname(abs)} file in the definitions folder '${shown(places, places.definitionsDir)}': validate, plan and apply would read it as definitions`;
    }
    if (inside(p.stateDir, path) !== undefined) return `is inside ${STATE_DIR_NAME}, featureguard's own state`;
    if (p.onlineFile !== undefined && [p.onlineFile, `${p.onlineFile}-wal`, `${p.onlineFile}-shm`, `${p.onlineFile}-journal`].includes(path)) {
      return `is the online store's database (online_store.path)`;
    }
  }
  return undefined;
}

/**
 * Why no source may read `abs` and no push write it, or undefined: one of featureguard's own files
 * (`ownFileReason`), anything in the definitions folder, or a dot-file or a file in a dot-folder of the project
 * (`.env`, `.git/…`: secrets and tools' state, not data).
 */
export function offLimitsReason(places: OwnPlaces, abs: string): string | undefined {
  const own = ownFileReason(places, abs);
  if (own !== undefined) return own;
  for (const { places: p, path } of bothWays(places, abs)) {
    // (`definitions: .` makes the project root the definitions folder: then only its definition files are off limits.)
    if (p.definitionsDir !== p.root && inside(p.definitionsDir, path) !== undefined) return `is in the definitions folder '${shown(places, places.definitionsDir)}'`;
    const dot = namesUnderRoots(p, path, sep)?.find((part) => part.startsWith('.'));
    if (dot !== undefined) return `is a dot-file or in a dot-folder ('${dot}'), which holds no data for sources`;
  }
  return undefined;
}

/** The folder part of a glob before its first wildcard (`/p/data/` of `/p/data/*.parquet`). */
export function globBase(absPattern: string): string {
  const first = absPattern.search(/[*?[{]/);
  return first < 0 ? absPattern : absPattern.slice(0, absPattern.lastIndexOf('/', first) + 1);
}

/**
 * Why the glob `absPattern` reaches off-limits files, found from the pattern alone (no file needs to exist:
 * a push writes into the glob's folder): its folder is off limits, a part of it is a dot-name, or it matches
 * `featureguard.yaml`, a definition file or the online store's database. The files a glob matches are checked
 * again when read (`offLimitsReason`).
 */
export function offLimitsGlobReason(places: OwnPlaces, absPattern: string): string | undefined {
  const base = globBase(absPattern);
  const probe = join(base, 'x');
  const folder = offLimitsReason(places, probe);
  if (folder !== undefined) return `reads from the folder '${shown(places, base)}', which ${folder.replace(/^is a dot-file or in a dot-folder/, 'is or is in a dot-folder')}`;
  const dot = namesUnderRoots(places, absPattern, '/')?.find((part) => part.startsWith('.'));
  if (dot !== undefined) return `names dot-files or dot-folders ('${dot}'), which hold no data for sources`;
  const matches = globRegExp(absPattern);
  const own = [join(places.root, CONFIG_FILE), places.onlineFile, ...['yaml', 'yml', 'json'].map((ext) => join(places.definitionsDir, `definitions.${ext}`))];
  for (const file of own) if (file !== undefined && matches.test(file)) return `matches '${shown(places, file)}', which ${ownFileReason(places, file)}`;
  return undefined;
}
