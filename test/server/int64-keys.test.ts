/**
 * int64 join keys and values beyond ±2^53 (Snowflake-style ids): materialized,
 * pushed and read back as one key, in one form (a JSON number within ±(2^53 − 1),
 * the decimal text beyond), through the SDK and the HTTP API's JSON text alike.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { defineEntity, defineFeatureView, defineSource } from '../../src/definitions/define.js';
import { openOfflineEngine } from '../../src/offline/engine.js';
import { openFeatureStore, type FeatureStore } from '../../src/sdk/feature-store.js';
import { getOnlineFeaturesJson } from '../../src/serving/online-features.js';
import { openProject } from '../../src/project.js';

let dir: string;
let store: FeatureStore;
const BIG = '9007199254740993'; // 2^53 + 1: a JSON number would read as ...992
const MIN = '-9223372036854775808';

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'fg-int64-'));
  mkdirSync(join(dir, 'data'));
  writeFileSync(join(dir, 'featureguard.yaml'), 'project: int64_keys\n');
  await (await openOfflineEngine()).run(`COPY (SELECT * FROM (VALUES (${BIG}::BIGINT, ${BIG}::BIGINT), (42, 7), (-9223372036854775807::BIGINT - 1, -1)) t(uid, score),
    (SELECT TIMESTAMP '2024-01-01 10:00' AS ts)) TO '${join(dir, 'data', 'scores.parquet')}' (FORMAT parquet)`);
  store = await openFeatureStore(dir);
  await store.apply([
    defineEntity({ name: 'user', join_keys: [{ name: 'uid', type: 'int64' }] }),
    defineSource({ name: 'scores', path: 'data/scores.parquet', timestamp_field: 'ts' }),
    defineFeatureView({ name: 'user_scores', entities: ['user'], source: 'scores', online: true, features: [{ name: 'score', type: 'int64' }] }),
  ]);
});
afterAll(async () => {
  await store?.close();
  rmSync(dir, { recursive: true, force: true });
});

it('reads materialized keys beyond 2^53 given as digit strings (or bigint), and pushed ones the same way', async () => {
  const [run] = await store.materialize({ start: '2024-01-01', end: '2024-01-02' });
  expect(run.status).not.toBe('blocked');
  const request = { features: ['user_scores:score'], entities: { uid: [BIG, 42, MIN, '43'] } };
  const read = await store.getOnlineFeatures(request);
  expect(read.results[0].values).toEqual([BIG, 42, MIN, 43]);
  expect(read.results[1]).toMatchObject({ values: [BIG, 7, -1, null], statuses: ['PRESENT', 'PRESENT', 'PRESENT', 'NOT_FOUND'] });
  // A bigint from the SDK is the same key; a JSON number that large is refused (its last digits are gone).
  expect((await store.getOnlineFeatures({ features: ['user_scores:score'], entities: { uid: [BigInt(BIG) as unknown as number] } })).results[1].values).toEqual([BIG]);
  await expect(store.getOnlineFeatures({ features: ['user_scores:score'], entities: { uid: [Number(BIG)] } })).rejects.toThrow(/send it as a string/);
  await expect(store.getOnlineFeatures({ features: ['user_scores:score'], entities: { uid: ['9223372036854775808'] } })).rejects.toThrow(/out of int64 range/);

  // Pushed: key and value beyond 2^53 as text, stored as materialized ones are.
  const pushed = await store.push({ view: 'user_scores', to: 'online', rows: [{ uid: '1800000000000000001', ts: '2024-01-01T11:00:00Z', score: '9007199254740995' }, { uid: BIG, ts: '2024-01-01T12:00:00Z', score: 5 }] });
  expect(pushed.status).not.toBe('blocked');
  const after = await store.getOnlineFeatures({ features: ['user_scores:score'], entities: { uid: ['1800000000000000001', BIG] } });
  expect(after.results[1].values).toEqual(['9007199254740995', 5]);

  // The HTTP API's JSON text: the same values.
  const project = openProject(dir);
  try {
    expect(JSON.parse(await getOnlineFeaturesJson(project, request))).toEqual(await store.getOnlineFeatures(request));
  } finally {
    await project.close();
  }
});

it('a key value nested thousands deep is a 400 naming its kind, not a 500 from a stack overflow (a review finding)', async () => {
  const deep = JSON.parse('['.repeat(5_000) + ']'.repeat(5_000)) as unknown;
  await expect(getOnlineFeaturesJson(store.project, { features: ['user_scores:score'], entities: { uid: [deep as number] } })).rejects.toMatchObject({
    status: 400, message: "entity 'uid' row 0 (counting from 0): expected an integer (int64), got a list",
  });
});
