import { join } from 'node:path';
import { openOfflineEngine } from '../../src/offline/engine.js';
import { pointInTimeJoinSql, type PitViewSpec } from '../../src/offline/point-in-time.js';
const dir = '/tmp/c/syn/synthetic/data';
const engine = await openOfflineEngine();
const c = await engine.connect();
const t = async (label: string, s: string) => { const t0 = performance.now(); await c.run(s); console.log(label, Math.round(performance.now() - t0), 'ms'); };
await t('load e', `CREATE TEMP TABLE e AS SELECT row_number() over () - 1 AS __fg_row, * FROM read_parquet('${dir}/entities.parquet')`);
const views = (rel: (v: number) => string, ttl: number): PitViewSpec[] => [1, 2, 3].map((v) => ({
  name: `v${v}`, relationSql: rel(v), joinKeys: ['k'], features: [{ feature: `f${v}a`, column: `f${v}a` }, { feature: `f${v}b`, column: `f${v}b` }], allFeatures: [`f${v}a`, `f${v}b`], ttlMicros: ttl,
}));
const castRel = (v: number) => `SELECT CAST(k AS BIGINT) AS k, CAST(ts AS TIMESTAMP) AS event_timestamp, NULL::TIMESTAMP AS created_timestamp, CAST(f${v}a AS DOUBLE) AS f${v}a, CAST(f${v}b AS BIGINT) AS f${v}b FROM read_parquet('${dir}/v${v}.parquet')`;
const range = { min: '2024-01-01 00:00:05', max: '2024-04-10 23:59:00' };
const entityColumns = ['k', 'event_timestamp', 'entity_id'];
const hand = `SELECT e.*, v1.f1a, v1.f1b, v2.f2a, v2.f2b, v3.f3a, v3.f3b FROM e
      ASOF LEFT JOIN read_parquet('${dir}/v1.parquet') v1 ON e.k = v1.k AND e.event_timestamp >= v1.ts
      ASOF LEFT JOIN read_parquet('${dir}/v2.parquet') v2 ON e.k = v2.k AND e.event_timestamp >= v2.ts
      ASOF LEFT JOIN read_parquet('${dir}/v3.parquet') v3 ON e.k = v3.k AND e.event_timestamp >= v3.ts`;
for (let rep = 0; rep < 2; rep++) {
  await t('hand', `CREATE OR REPLACE TEMP TABLE o AS ${hand}`);
  await t('ours full', `CREATE OR REPLACE TEMP TABLE o AS ${pointInTimeJoinSql({ entitySql: 'SELECT * FROM e', entityColumns, views: views(castRel, 30 * 86400e6), availability: 'event', hiddenColumns: true, entityTimeRange: range })}`);
  await t('ours no hidden', `CREATE OR REPLACE TEMP TABLE o AS ${pointInTimeJoinSql({ entitySql: 'SELECT * FROM e', entityColumns, views: views(castRel, 30 * 86400e6), availability: 'event', hiddenColumns: false, entityTimeRange: range })}`);
  await t('ours no ttl/range', `CREATE OR REPLACE TEMP TABLE o AS ${pointInTimeJoinSql({ entitySql: 'SELECT * FROM e', entityColumns, views: views(castRel, 0), availability: 'event', hiddenColumns: true })}`);
}
