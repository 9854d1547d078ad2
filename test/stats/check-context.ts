/**
 * A real `CheckContext` over a table in the shared in-memory DuckDB, for the
 * leakage, PII and class-imbalance check tests. Only what those checks read is
 * filled; the project is not used by them.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import type { FeatureDef, FeatureType, FeatureViewDef } from '../../src/definitions/types.js';
import type { CheckContext } from '../../src/guards/check.js';
import { resolveQuality, type QualityConfig } from '../../src/guards/config.js';
import type { ColumnProfile, ReferenceProfiles } from '../../src/guards/profile-types.js';
import type { DatasetGuardInfo } from '../../src/guards/stage.js';
import { ident, openOfflineEngine } from '../../src/offline/engine.js';
import type { Project } from '../../src/project.js';
import type { Run } from '../../src/runs/types.js';

let counter = 0;

export async function connection(): Promise<DuckDBConnection> {
  return (await openOfflineEngine()).connect();
}

/** A unique table name for a test. */
export function tableName(prefix: string): string {
  return `${prefix}_${process.pid}_${++counter}`;
}

export interface ContextInit {
  conn: DuckDBConnection;
  table: string;
  features: { column: string; type: FeatureType; pii?: boolean; quality?: QualityConfig }[];
  joinKeys?: string[];
  dataset?: DatasetGuardInfo;
  view?: Partial<FeatureViewDef>;
  quality?: QualityConfig;
  /** Reference classes of a label column (as a profile's `top`). */
  referenceTop?: Record<string, string[]>;
}

export async function checkContext(init: ContextInit): Promise<CheckContext> {
  const described = (await init.conn.runAndReadAll(`DESCRIBE ${ident(init.table)}`)).getRowObjectsJson() as { column_name: string; column_type: string }[];
  const columns = described.map((d) => ({ name: d.column_name, type: d.column_type }));
  const [{ n }] = (await init.conn.runAndReadAll(`SELECT count(*)::DOUBLE AS n FROM ${ident(init.table)}`)).getRowObjectsJson() as { n: number }[];
  const quality = resolveQuality(init.quality);
  const features = init.features.map((f) => {
    const def: FeatureDef = { name: f.column, type: f.type, ...(f.pii ? { pii: true } : {}), ...(f.quality ? { quality: f.quality } : {}) } as FeatureDef;
    return { column: f.column, view: init.view?.name ?? 'v', def, quality: resolveQuality(init.quality, undefined, f.quality) };
  });
  let reference: ReferenceProfiles | null = null;
  if (init.referenceTop) {
    const profiles = new Map<string, ColumnProfile>();
    for (const [col, values] of Object.entries(init.referenceTop)) {
      profiles.set(col, { column: col, type: 'VARCHAR', kind: 'categorical', count: values.length, nulls: 0, nan: 0, inf: 0, distinct: values.length, sampled: false, min: null, max: null, mean: null, stddev: null, quantiles: null, histogram: null, deciles: null, sample: [], mad: null, outlier_rate: null, outlier_rate_vs_reference: null, top_total: values.length, top: values.map((value) => ({ value, count: 1 })) });
    }
    reference = { description: 'baseline:test', runId: null, profiles };
  }
  const run = { id: 'run-test', kind: init.dataset ? 'dataset' : 'materialize' } as Run;
  return {
    project: {} as Project,
    definitions: { entities: new Map(), sources: new Map(), views: new Map(), services: new Map() },
    conn: init.conn,
    table: init.table,
    kind: run.kind,
    run,
    view: init.view ? ({ kind: 'feature_view', name: 'v', entities: [], source: 's', features: [], ...init.view } as FeatureViewDef) : undefined,
    dataset: init.dataset,
    now: new Date('2026-01-01T00:00:00Z'),
    quality,
    features,
    joinKeys: init.joinKeys ?? init.dataset?.joinKeyColumns ?? [],
    eventTimestampColumn: columns.some((c) => c.name === 'event_timestamp') ? 'event_timestamp' : null,
    createdTimestampColumn: null,
    columns,
    rowCount: n,
    profiles: new Map(),
    sliceProfiles: new Map(),
    reference,
  };
}
