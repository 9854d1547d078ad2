/**
 * NaN and ±Infinity over the Feast-compatible HTTP API: a float feature holding one is served in protobuf's JSON
 * mapping, as Feast's feature servers write it ("NaN", "Infinity", "-Infinity", status PRESENT), where it was
 * served as null with status PRESENT; a join key given one is refused naming it, where the message said
 * "got null". (A review of Feast compatibility.)
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defineEntity, defineFeatureView, defineSource } from '../../src/definitions/define.js';
import { openOfflineEngine } from '../../src/offline/engine.js';
import { openProject, type Project } from '../../src/project.js';
import { createApp, type FeatureguardApp } from '../../src/server/app.js';
import { json, post } from './fixture.js';

let dir: string;
let project: Project;
let app: FeatureguardApp;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'fg-non-finite-'));
  mkdirSync(join(dir, 'data'));
  writeFileSync(join(dir, 'featureguard.yaml'), 'project: non_finite\n');
  await (await openOfflineEngine()).run(`COPY (SELECT 1::BIGINT AS uid, TIMESTAMP '2024-01-01 10:00' AS ts, 1.5::DOUBLE AS score, 2::BIGINT AS cnt, [1.0]::DOUBLE[] AS emb)
    TO '${join(dir, 'data', 'users.parquet')}' (FORMAT parquet)`);
  project = openProject(dir);
  project.registry.apply([
    defineEntity({ name: 'user', join_keys: [{ name: 'uid', type: 'int64' }] }),
    defineSource({ name: 'users', path: 'data/users.parquet', timestamp_field: 'ts' }),
    defineFeatureView({
      name: 'user_stats', entities: ['user'], source: 'users', ttl: '0', online: true,
      features: [{ name: 'score', type: 'float64', allow_nan: true }, { name: 'cnt', type: 'int64' }],
    }),
  ]);
  app = createApp(project, { ui: false });
});
afterAll(async () => {
  await project?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('non-finite numbers as join keys', () => {
  it('names Infinity, -Infinity and NaN in the 400, for the literal and for a number beyond a double\'s range', async () => {
    const cases: [string, string][] = [['Infinity', 'Infinity'], ['1e400', 'Infinity'], ['-1e400', '-Infinity'], ['-Infinity', '-Infinity'], ['NaN', 'NaN']];
    for (const path of ['/get-online-features', '/v1/online-features']) {
      for (const [sent, shown] of cases) {
        const res = await app.request(path, post(`{"features": ["user_stats:score"], "entities": {"uid": [${sent}]}}`));
        const body = await json(res);
        const said = shown === 'NaN' ? 'NaN' : `${shown} (what a JSON number beyond ±1.8e308 reads as)`;
        expect([res.status, body.error.code, body.error.message], sent).toEqual([400, 'bad_entity', `entity 'uid' row 0: expected an integer (int64), got ${said}`]);
      }
    }
  });
});
