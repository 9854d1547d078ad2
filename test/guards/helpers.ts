/**
 * A real guard test bench: a temp project with featureguard.yaml, a Parquet
 * source written by DuckDB, definitions applied to the real SQLite registry, and
 * a `runWindow` that does what materialize does around the guard stage (create
 * the run, load the window's rows from the uncast source relation, run the guards, set the final status).
 */
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import type { DuckDBConnection } from '@duckdb/node-api';
import { defineEntity, defineFeatureView, defineSource, defineFeatureService } from '../../src/definitions/define.js';
import type { AlertConfig, FeatureDef, FeatureServiceDef, FeatureViewDef } from '../../src/definitions/types.js';
import { ident, literal } from '../../src/offline/engine.js';
import { rawViewRelationSql } from '../../src/guards/raw-relation.js';
import { openProject, type Project } from '../../src/project.js';
import type { RunKind } from '../../src/runs/types.js';
import type { QualityConfig } from '../../src/guards/config.js';
import { runGuardStage, type GuardStageResult } from '../../src/guards/stage.js';

export interface GuardBench {
  dir: string;
  project: Project;
  conn: DuckDBConnection;
  view: FeatureViewDef;
  /** Replace the source data (a DuckDB SELECT producing airport, ts, created, delay, carrier, ...). */
  writeSource(selectSql: string): Promise<void>;
  runWindow(start: string, end: string, opts?: RunOpts): Promise<GuardStageResult & { runId: string }>;
  close(): Promise<void>;
}

export interface RunOpts {
  now?: Date;
  kind?: RunKind;
  /** SQL over the window rows `w` to alter what the guards see (e.g. inject faults). */
  transform?: string;
  disabled?: boolean;
}

export interface BenchOptions {
  quality?: QualityConfig;
  viewQuality?: QualityConfig;
  features?: FeatureDef[];
  slices?: string[];
  /** `label`: the view is a label view (class balance is checked on its features). */
  role?: 'label';
  alerts?: AlertConfig[];
  /** `quality_log:` of featureguard.yaml (retention). */
  qualityLog?: { keep_days: number; keep_runs?: number };
  /** `server:` of featureguard.yaml. */
  server?: Record<string, unknown>;
  services?: FeatureServiceDef[];
  /** Read the source through a glob (`data/rows/*.parquet`, one file) instead of one file's path. */
  sourceGlob?: boolean;
}

export const DEFAULT_FEATURES: FeatureDef[] = [
  { name: 'delay', type: 'float64' },
  { name: 'carrier', type: 'string' },
];

/** Default source rows: 3 airports, hourly rows over Jan 2024, delay iid ≈ N(10, 2) (Irwin–Hall from hashes), no nulls. */
export const DEFAULT_SOURCE = `
  SELECT ['SEA','JFK','LAX'][1 + (i % 3)] AS airport,
         TIMESTAMP '2024-01-01' + INTERVAL (i) HOUR AS ts,
         TIMESTAMP '2024-01-01' + INTERVAL (i) HOUR + INTERVAL 5 MINUTE AS created,
         10 + 2 * ((hash(i, 1) % 100000) / 100000.0 + (hash(i, 2) % 100000) / 100000.0 + (hash(i, 3) % 100000) / 100000.0 + (hash(i, 4) % 100000) / 100000.0 - 2) * 1.732 AS delay,
         ['AA','UA','DL','WN'][1 + (hash(i * 7) % 4)::INT] AS carrier
  FROM range(24 * 31) r(i)`;

export async function guardBench(opts: BenchOptions = {}): Promise<GuardBench> {
  const dir = mkdtempSync(join(tmpdir(), 'fg-guards-'));
  mkdirSync(join(dir, 'features'));
  mkdirSync(join(dir, 'data'));
  const config: Record<string, unknown> = { project: 'guards_test' };
  if (opts.quality) config.quality = opts.quality;
  if (opts.alerts) config.alerts = opts.alerts;
  if (opts.qualityLog) config.quality_log = opts.qualityLog;
  if (opts.server) config.server = opts.server;
  writeFileSync(join(dir, 'featureguard.yaml'), stringify(config));
  const project = openProject(dir);
  const engine = await project.engine();
  const conn = await engine.connect();
  const entity = defineEntity({ name: 'airport', join_keys: [{ name: 'airport', type: 'string' }] });
  if (opts.sourceGlob) mkdirSync(join(dir, 'data', 'rows'));
  const source = defineSource({ name: 'rows', path: opts.sourceGlob ? 'data/rows/*.parquet' : 'data/rows.parquet', timestamp_field: 'ts', created_timestamp_field: 'created' });
  const view = defineFeatureView({
    name: 'delays', entities: ['airport'], source: 'rows', ttl: '0', online: true,
    features: opts.features ?? DEFAULT_FEATURES,
    ...(opts.viewQuality ? { quality: opts.viewQuality } : {}),
    ...(opts.slices ? { slices: opts.slices } : {}),
    ...(opts.role ? { role: opts.role } : {}),
  });
  const file = opts.sourceGlob ? join(dir, 'data', 'rows', 'part-0.parquet') : join(dir, 'data', 'rows.parquet');
  const writeSource = async (sql: string) => {
    await conn.run(`COPY (${sql}) TO ${literal(file)} (FORMAT parquet)`);
  };
  await writeSource(DEFAULT_SOURCE);
  project.registry.apply([entity, source, view, ...(opts.services ?? []).map((s) => defineFeatureService(s))]);
  let n = 0;
  return {
    dir, project, conn, view, writeSource,
    async runWindow(start, end, o = {}) {
      const table = `w_${++n}`;
      const rel = await rawViewRelationSql(project, view, conn);
      const window = { start: new Date(start), end: new Date(end) };
      const ts = (d: Date) => `TIMESTAMP ${literal(d.toISOString().replace('T', ' ').replace('Z', ''))}`;
      await conn.run(`CREATE OR REPLACE TEMP TABLE w AS SELECT * FROM (${rel.select}) WHERE event_timestamp >= ${ts(window.start)} AND event_timestamp < ${ts(window.end)}`);
      await conn.run(`CREATE OR REPLACE TEMP TABLE ${ident(table)} AS ${o.transform ?? 'SELECT * FROM w'}`);
      const kind = o.kind ?? 'materialize';
      const run = project.runs.create({ kind, view: view.name, window_start: window.start.toISOString(), window_end: window.end.toISOString() });
      const g = await runGuardStage({ project, run, kind, view, conn, table, window, now: o.now ?? new Date('2024-02-15T00:00:00Z'), disabled: o.disabled });
      const rowsIn = Number((await conn.runAndReadAll(`SELECT count(*) FROM ${ident(table)}`)).getRowsJS()[0][0]);
      project.runs.update(run.id, { status: g.verdict === 'block' ? 'blocked' : g.verdict === 'warn' ? 'warned' : 'success', finished_at: new Date().toISOString(), message: g.blockedReason, rows_in: rowsIn });
      return { ...g, runId: run.id };
    },
    async close() {
      conn.closeSync();
      await project.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Records of a family/method in a stage result. */
export function pick(g: GuardStageResult, check: string, method?: string, feature?: string | null) {
  return g.results.filter((r) => r.check === check && (method === undefined || r.method === method) && (feature === undefined || r.feature === feature));
}
