/**
 * The flights example for tests: the real data, prepared once per machine into
 * a shared cache (`node_modules/.cache/featureguard-flights-noshift/`), and a
 * way to copy the example project into a temp folder.
 *
 * @example
 * const dir = mkdtempSync(join(tmpdir(), 'fg-'));
 * await copyFlightsProject(dir);                 // featureguard.yaml, features/, data/
 * const store = await openFeatureStore(dir);
 */
import { constants, copyFileSync, cpSync, existsSync, mkdirSync, readFileSync, linkSync, readdirSync, rmSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { prepareFlightsData } from '../../examples/flights/prepare.js';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
/** The example project in the repository. */
export const FLIGHTS_EXAMPLE_DIR = join(repoRoot, 'examples', 'flights');
const DATA_FILES = ['flights.parquet', 'training_entities.parquet', 'airport_hourly.parquet', 'route_daily.parquet', 'prepare.json'];
const STALE_LOCK_MS = 5 * 60_000;

export interface FlightsDataOptions {
  /** Shift timestamps to end near today (default false: the original 2001 dates, which tests want). */
  shift?: boolean;
}

/** Folder of the cached prepared data for these options. */
export function flightsCacheDir(options: FlightsDataOptions = {}): string {
  return join(repoRoot, 'node_modules', '.cache', `featureguard-flights-${options.shift ? 'shift' : 'noshift'}`);
}

function isReady(dir: string, shift: boolean): boolean {
  if (!DATA_FILES.every((f) => existsSync(join(dir, f)))) return false;
  try {
    const marker = JSON.parse(readFileSync(join(dir, 'prepare.json'), 'utf8')) as {
      shift?: boolean;
      files?: Record<string, { size: number; mtime_ms: number }>;
    };
    if (marker.shift !== shift || !marker.files) return false;
    // A test that wrote into a hard-linked copy would have changed the cache: prepare again.
    return Object.entries(marker.files).every(([f, m]) => {
      const st = statSync(join(dir, f));
      return st.size === m.size && Math.floor(st.mtimeMs) === m.mtime_ms;
    });
  } catch {
    return false;
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Prepare the flights data once into the shared cache (a lock folder keeps
 * parallel vitest workers from preparing twice) and return the cache folder.
 */
export async function ensureFlightsData(options: FlightsDataOptions = {}): Promise<string> {
  const shift = options.shift ?? false;
  const dir = flightsCacheDir({ shift });
  // Unshifted data never goes stale; shifted data is re-checked (the offset depends on today).
  if (!shift && isReady(dir, shift)) return dir;
  mkdirSync(dirname(dir), { recursive: true });
  const lock = `${dir}.lock`;
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      if (!shift && isReady(dir, shift)) return dir;
      try {
        if (Date.now() - statSync(lock).mtimeMs > STALE_LOCK_MS) rmSync(lock, { recursive: true, force: true });
      } catch {
        // the lock went away meanwhile
      }
      await sleep(200);
    }
  }
  try {
    await prepareFlightsData({ shift, outDir: dir, force: !isReady(dir, shift) });
    return dir;
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

export interface CopyFlightsOptions extends FlightsDataOptions {
  /**
   * `copy` (default) gives the test its own data files, safe to edit (tamper
   * tests); `link` hard-links the shared cache's files (copies across file
   * systems): cheaper, for tests that only read the data. (A symbolic link would
   * point outside the project root, which source checks rightly refuse.)
   */
  data?: 'copy' | 'link';
}

/**
 * Copy the example project (featureguard.yaml, features/) into `dir` and give it
 * the prepared data in `dir/data`. Returns `dir`.
 */
export async function copyFlightsProject(dir: string, options: CopyFlightsOptions = {}): Promise<string> {
  const cache = await ensureFlightsData(options);
  mkdirSync(dir, { recursive: true });
  copyFileSync(join(FLIGHTS_EXAMPLE_DIR, 'featureguard.yaml'), join(dir, 'featureguard.yaml'));
  cpSync(join(FLIGHTS_EXAMPLE_DIR, 'features'), join(dir, 'features'), { recursive: true });
  const data = join(dir, 'data');
  mkdirSync(data, { recursive: true });
  for (const f of readdirSync(cache)) {
    if (f.includes('.tmp-')) continue;
    if (options.data === 'link') {
      try {
        linkSync(join(cache, f), join(data, f));
        continue;
      } catch {
        // different file system: copy
      }
    }
    copyFileSync(join(cache, f), join(data, f), constants.COPYFILE_FICLONE);
  }
  return dir;
}
