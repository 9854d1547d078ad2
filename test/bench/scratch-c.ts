import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defineEntity, defineFeatureView, defineSource } from '../../src/definitions/define.js';
import { openOfflineEngine } from '../../src/offline/engine.js';
import { getHistoricalFeatures } from '../../src/offline/historical.js';
import { fingerprintFile } from '../../src/offline/fingerprint.js';
import { openProject } from '../../src/project.js';
const root = '/tmp/c/syn';
const dir = join(root, 'synthetic');
mkdirSync(join(dir, 'data'), { recursive: true });
writeFileSync(join(dir, 'featureguard.yaml'), 'project: synthetic\n');
const engine = await openOfflineEngine();
const base = "TIMESTAMP '2024-01-01'";
if (process.argv[2] === 'gen') {
for (const v of [1, 2, 3]) {
  await engine.run(`COPY (SELECT (i % 1000000)::BIGINT AS k, ${base} + to_seconds((hash(i, ${v}) % 8640000)::BIGINT) AS ts,
      (hash(i, ${v}, 1) % 1000)::DOUBLE / 10 AS f${v}a, (hash(i, ${v}, 2) % 100)::BIGINT AS f${v}b
    FROM range(10000000) r(i)) TO '${join(dir, 'data', `v${v}.parquet`)}' (FORMAT parquet)`);
}
await engine.run(`COPY (SELECT (hash(i, 7) % 1000000)::BIGINT AS k, ${base} + to_seconds((hash(i, 8) % 8640000)::BIGINT) AS event_timestamp, i AS entity_id
  FROM range(1000000) r(i)) TO '${join(dir, 'data', 'entities.parquet')}' (FORMAT parquet)`);
}
const project = openProject(dir);
project.registry.apply([
  defineEntity({ name: 'thing', join_keys: [{ name: 'k', type: 'int64' }] }),
  ...[1, 2, 3].flatMap((v) => [
    defineSource({ name: `s${v}`, path: `data/v${v}.parquet`, timestamp_field: 'ts' }),
    defineFeatureView({ name: `v${v}`, entities: ['thing'], source: `s${v}`, ttl: '30d', features: [{ name: `f${v}a`, type: 'float64' }, { name: `f${v}b`, type: 'int64' }] }),
  ]),
]);
let t0 = performance.now();
for (const v of [1,2,3]) await fingerprintFile(join(dir, 'data', `v${v}.parquet`));
console.log('fingerprints', Math.round(performance.now() - t0));
t0 = performance.now();
await getHistoricalFeatures(project, { entities: join(dir, 'data', 'entities.parquet'), features: ['v1', 'v2', 'v3'], out: join(root, 'ours-b.parquet'), disableGuards: true, onProgress: (p) => console.log(p.phase, Math.round(performance.now() - t0)) });
console.log('total', Math.round(performance.now() - t0));
await project.close();
