/**
 * A tiny project for dataset tests: hand-made rows whose point-in-time answers
 * are known, written as Parquet and CSV sources, with definitions applied.
 *
 * Entities: user (user_id int64), merchant (merchant string), txn (txn_id int64).
 * Views: user_stats (ttl 1h, created timestamps), merchant_stats (CSV, ttl 0),
 * user_risk (a `risk` feature that collides with merchant_stats.risk), outcome
 * (label view: fraud), user_profile (an undeclared e-mail feature: the PII guard blocks it).
 * Service fraud_model = user_stats + merchant_stats:risk, label outcome:fraud.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll } from 'vitest';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defineEntity, defineFeatureService, defineFeatureView, defineSource } from '../../src/definitions/define.js';
import { openOfflineEngine } from '../../src/offline/engine.js';
import { FeatureguardError } from '../../src/errors.js';
import { getHistoricalFeatures, type HistoricalFeaturesRequest, type HistoricalFeaturesResult } from '../../src/offline/historical.js';
import { openProject, type Project } from '../../src/project.js';

const T = (hhmmss: string, us = 0) => `TIMESTAMP '2024-01-01 ${hhmmss}' + to_microseconds(${us})`;

export const definitions = [
  defineEntity({ name: 'user', join_keys: [{ name: 'user_id', type: 'int64' }] }),
  defineEntity({ name: 'merchant', join_keys: [{ name: 'merchant', type: 'string' }] }),
  defineEntity({ name: 'txn', join_keys: [{ name: 'txn_id', type: 'int64' }] }),
  defineSource({ name: 'user_src', path: 'data/user_stats.parquet', timestamp_field: 'ts', created_timestamp_field: 'created' }),
  defineSource({ name: 'merchant_src', path: 'data/merchant_stats.csv', timestamp_field: 'ts' }),
  defineSource({ name: 'risk_src', path: 'data/user_risk.parquet', timestamp_field: 'ts' }),
  defineSource({ name: 'profile_src', path: 'data/user_profile.parquet', timestamp_field: 'ts' }),
  defineSource({ name: 'outcome_src', path: 'data/outcomes.parquet', timestamp_field: 'ts' }),
  defineFeatureView({
    name: 'user_stats', entities: ['user'], source: 'user_src', ttl: '1h',
    features: [{ name: 'txn_count', type: 'int64' }, { name: 'avg_amount', type: 'float64' }],
  }),
  defineFeatureView({ name: 'merchant_stats', entities: ['merchant'], source: 'merchant_src', features: [{ name: 'risk', type: 'float64' }] }),
  defineFeatureView({ name: 'user_risk', entities: ['user'], source: 'risk_src', features: [{ name: 'risk', type: 'float64' }] }),
  defineFeatureView({ name: 'outcome', entities: ['txn'], source: 'outcome_src', role: 'label', features: [{ name: 'fraud', type: 'bool' }] }),
  defineFeatureView({ name: 'user_profile', entities: ['user'], source: 'profile_src', features: [{ name: 'email', type: 'string' }] }),
  defineFeatureService({ name: 'fraud_model', features: ['user_stats', 'merchant_stats:risk'], label: 'outcome:fraud' }),
];

/** user_stats rows: (user_id, ts, created, txn_count, avg_amount). */
const USER_ROWS = [
  `(1, ${T('01:00:00')}, ${T('01:00:00')}, 10, 1.0)`,
  `(1, ${T('02:00:00')}, ${T('02:00:00')}, 20, 2.0)`,
  `(1, ${T('02:00:00')}, ${T('02:30:00')}, 21, 2.1)`, // same event, later created: wins in event mode
  `(1, ${T('03:00:00')}, ${T('03:00:00')}, 30, NULL)`, // a null value is a value
  `(2, ${T('05:00:00')}, ${T('06:00:00')}, 50, 5.0)`, // known only an hour later
  `(2, ${T('04:30:00')}, ${T('04:30:00')}, 45, 4.5)`,
];
const MERCHANT_CSV = 'merchant,ts,risk\nacme,2024-01-01T00:30:00Z,0.1\nacme,2024-01-01T03:00:00+02:00,0.2\nbolt,2024-01-01 02:00:00,0.9\n';

/** Create the project in a temp folder, with data and applied definitions. */
export async function makeTinyProject(): Promise<{ dir: string; project: Project }> {
  const dir = mkdtempSync(join(tmpdir(), 'fg-tiny-'));
  mkdirSync(join(dir, 'data'));
  mkdirSync(join(dir, 'features'));
  writeFileSync(join(dir, 'featureguard.yaml'), 'project: tiny\n');
  writeFileSync(join(dir, 'data', 'merchant_stats.csv'), MERCHANT_CSV);
  const engine = await openOfflineEngine();
  const d = (f: string) => `'${join(dir, 'data', f)}'`;
  await engine.run(`COPY (SELECT * FROM (VALUES ${USER_ROWS.join(', ')}) t(user_id, ts, created, txn_count, avg_amount)) TO ${d('user_stats.parquet')} (FORMAT parquet)`);
  await engine.run(`COPY (SELECT 1::BIGINT AS user_id, ${T('00:00:00')} AS ts, 0.5::DOUBLE AS risk) TO ${d('user_risk.parquet')} (FORMAT parquet)`);
  await engine.run(`COPY (SELECT * FROM (VALUES (100, ${T('01:30:00')}, true), (101, ${T('02:30:00')}, false)) t(txn_id, ts, fraud)) TO ${d('outcomes.parquet')} (FORMAT parquet)`);
  await engine.run(`COPY (SELECT 1::BIGINT AS user_id, ${T('00:00:00')} AS ts, 'ann@example.com' AS email) TO ${d('user_profile.parquet')} (FORMAT parquet)`);
  const project = openProject(dir);
  project.registry.apply(definitions);
  return { dir, project };
}

/** The `FeatureguardError` a dataset build fails with (the test fails if it succeeds or throws anything else). */
export async function buildFailure(project: Project, dir: string, req: Omit<HistoricalFeaturesRequest, 'baseDir'>): Promise<FeatureguardError> {
  try {
    await getHistoricalFeatures(project, { baseDir: dir, ...req });
  } catch (e) {
    if (e instanceof FeatureguardError) return e;
    throw e;
  }
  throw new Error('expected the build to fail');
}

type BuildRequest = Omit<HistoricalFeaturesRequest, 'baseDir'>;

/**
 * The tiny project for one test file: made before its tests, closed and removed after them, with `build` and
 * `failure` resolving relative paths in its folder.
 *
 * @example
 * const t = useTinyProject();
 * it('…', async () => expect((await t.build({ entities: 'e.csv', features: ['user_stats:txn_count'] })).status).toBe('success'));
 */
export function useTinyProject(): {
  readonly dir: string;
  readonly project: Project;
  build(req: BuildRequest): Promise<HistoricalFeaturesResult>;
  failure(req: BuildRequest): Promise<FeatureguardError>;
} {
  let made: { dir: string; project: Project } | undefined;
  beforeAll(async () => {
    made = await makeTinyProject();
  });
  afterAll(async () => {
    await made?.project.close();
    if (made) rmSync(made.dir, { recursive: true, force: true });
  });
  const get = () => made ?? (() => { throw new Error('the tiny project is made in beforeAll'); })();
  return {
    get dir() { return get().dir; },
    get project() { return get().project; },
    build: (req) => getHistoricalFeatures(get().project, { baseDir: get().dir, ...req }),
    failure: (req) => buildFailure(get().project, get().dir, req),
  };
}
