/**
 * The small project the push tests share: definitions in `features/defs.yaml`, seed files under `data/`
 * (Parquet written by DuckDB from a SELECT, or text as given), applied and opened through the SDK.
 *
 * @example
 * const p = await openPushProject('push_types', DEFS, { parquet: { 'daily/part-0.parquet': "SELECT 'SEA' AS origin, …" } });
 * expect(p.files('daily')).toEqual(['part-0.parquet']);
 * await p.close();
 */
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { FeatureguardError } from '../../src/errors.js';
import { openOfflineEngine } from '../../src/offline/engine.js';
import { openFeatureStore, type FeatureStore } from '../../src/sdk/index.js';

/** An airport entity, a Parquet glob source `daily` and an online view `daily_delays` (delay, float64): the definitions several push and SDK tests share. */
export const DAILY_DELAYS_YAML = `kind: entity
name: airport
join_keys: [{name: origin, type: string}]
---
kind: source
name: daily
path: data/daily/*.parquet
timestamp_field: day
---
kind: feature_view
name: daily_delays
entities: [airport]
source: daily
online: true
features:
  - {name: delay, type: float64}
`;

/**
 * A user entity (user_id int64), a Parquet glob source `s` (`data/s/*.parquet`, event time `ts`) and an offline view `v`
 * (n, int64; drift and anomaly off), with one seed file: the project the compaction tests of a single view share.
 */
/** A user entity, a Parquet glob source `s` reading `data/s/<glob>` and a view `v` (n, int64), drift and anomaly off. */
export const userCountsYaml = (glob = '*.parquet') => `kind: entity
name: user
join_keys: [{name: user_id, type: int64}]
---
kind: source
name: s
path: data/s/${glob}
timestamp_field: ts
---
kind: feature_view
name: v
entities: [user]
source: s
quality: {drift: off, anomaly: off}
features: [{name: n, type: int64}]
`;

/** `userCountsYaml()`: the glob `*.parquet`, as the compaction tests use it. */
export const USER_COUNTS_YAML = userCountsYaml();

/** `USER_COUNTS_YAML`'s seed: one row in `data/s/part-0.parquet`. */
export const USER_COUNTS_SEED = { parquet: { 's/part-0.parquet': "SELECT 1::BIGINT AS user_id, TIMESTAMP '2026-01-01' AS ts, 11::BIGINT AS n" } };

export interface PushProject {
  readonly dir: string;
  readonly fs: FeatureStore;
  /** The names in `data/<folder>`, sorted. */
  files(folder: string): string[];
  close(): Promise<void>;
}

export interface PushSeeds {
  /** `data/`-relative path → the SELECT whose rows the Parquet file holds. */
  parquet?: Record<string, string>;
  /** `data/`-relative path → the file's text. */
  text?: Record<string, string>;
}

export async function openPushProject(project: string, defs: string, seeds: PushSeeds): Promise<PushProject> {
  const dir = mkdtempSync(join(tmpdir(), `fg-${project.replaceAll('_', '-')}-`));
  mkdirSync(join(dir, 'features'));
  writeFileSync(join(dir, 'featureguard.yaml'), `project: ${project}\n`);
  writeFileSync(join(dir, 'features', 'defs.yaml'), defs);
  const at = (path: string) => {
    mkdirSync(dirname(join(dir, 'data', path)), { recursive: true });
    return join(dir, 'data', path);
  };
  const conn = await (await openOfflineEngine()).connect();
  try {
    for (const [path, select] of Object.entries(seeds.parquet ?? {})) await conn.run(`COPY (${select}) TO '${at(path)}' (FORMAT parquet)`);
  } finally {
    conn.closeSync();
  }
  for (const [path, text] of Object.entries(seeds.text ?? {})) writeFileSync(at(path), text);
  const fs = await openFeatureStore(dir);
  await fs.apply();
  return {
    dir,
    fs,
    files: (folder) => readdirSync(join(dir, 'data', folder)).sort(),
    async close() {
      await fs.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The error of a push `run` that must be refused, checked to be an `errorClass` (anything else is rethrown). */
export async function refusal<E extends FeatureguardError>(run: () => Promise<unknown>, errorClass: abstract new (...args: never[]) => E): Promise<E> {
  try {
    await run();
  } catch (e) {
    if (e instanceof errorClass) return e;
    throw e;
  }
  throw new Error('expected the push to be refused');
}
