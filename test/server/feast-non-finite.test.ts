/**
 * NaN and ±Infinity over the Feast-compatible HTTP API: a float feature holding one is served in protobuf's JSON
 * mapping on /v1/online-features ("NaN", "Infinity", "-Infinity", status PRESENT), where it was served as null
 * with status PRESENT, and bare on /get-online-features, as Python's json writes them (Feast's Python client
 * failed a whole read on a "NaN" inside a list); a join key given one is refused naming it, where the message
 * said "got null". (Reviews of Feast compatibility.)
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
      features: [{ name: 'score', type: 'float64', allow_nan: true }, { name: 'cnt', type: 'int64' }, { name: 'emb', type: 'float64[]', allow_nan: true }],
    }),
  ]);
  app = createApp(project, { ui: false });
});
afterAll(async () => {
  await project?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('non-finite feature values', () => {
  it('are served as protobuf\'s JSON mapping writes them on featureguard\'s route (bare on Feast\'s), PRESENT, in a read of one entity row and of many alike', async () => {
    const now = new Date().toISOString();
    // As Python's json.dumps writes a pandas frame's floats: bare NaN and Infinity tokens.
    const pushed = await app.request('/push', post(`{"push_source_name": "users", "df": {"uid": [301, 302, 303, 304, 305], "ts": "${now}", "score": [NaN, Infinity, -Infinity, null, 2.5], "cnt": 7, "emb": null}, "to": "online"}`));
    expect(pushed.status, await pushed.clone().text()).toBe(200);
    const text = async (path: string, uids: number[]) => {
      const res = await app.request(path, post({ features: ['user_stats:score', 'user_stats:cnt'], entities: { uid: uids } }));
      expect(res.status).toBe(200);
      return res.text();
    };
    const read = async (uids: number[]) => JSON.parse(await text('/v1/online-features', uids)).results.slice(1) as { values: unknown[]; statuses: string[] }[];
    // Feast's route: the same answer, the non-finite numbers bare, as Python's json writes them (see below).
    const asPython = (own: string) => own.replace(/"(NaN|Infinity|-Infinity)"/g, '$1');
    const [score, cnt] = await read([301, 302, 303, 304, 305]);
    expect(score).toMatchObject({ values: ['NaN', 'Infinity', '-Infinity', null, 2.5], statuses: ['PRESENT', 'PRESENT', 'PRESENT', 'NULL_VALUE', 'PRESENT'] });
    expect(cnt).toMatchObject({ values: [7, 7, 7, 7, 7], statuses: ['PRESENT', 'PRESENT', 'PRESENT', 'PRESENT', 'PRESENT'] });
    expect(await text('/get-online-features', [301, 302, 303, 304, 305])).toBe(asPython(await text('/v1/online-features', [301, 302, 303, 304, 305])));
    // One entity row at a time (the single-row path for plain vectors): the same values.
    for (const [i, uid] of [301, 302, 303, 304, 305].entries()) {
      const [one] = await read([uid]);
      expect([one.values[0], one.statuses[0]]).toEqual([score.values[i], score.statuses[i]]);
      expect(await text('/get-online-features', [uid])).toBe(asPython(await text('/v1/online-features', [uid])));
    }
  });
});

describe('non-finite feature values on Feast\'s route', () => {
  it('are written as Python\'s json writes them (bare NaN, Infinity, -Infinity), in lists too, so Feast\'s Python client reads the list; featureguard\'s route keeps strict JSON', async () => {
    const now = new Date().toISOString();
    const pushed = await app.request('/push', post(`{"push_source_name": "users", "df": {"uid": [401, 402], "ts": "${now}", "score": [NaN, 2.5], "cnt": 7, "emb": [[1.5, NaN, -Infinity], [2.0]]}, "to": "online"}`));
    expect(pushed.status, await pushed.clone().text()).toBe(200);
    const body = { features: ['user_stats:score', 'user_stats:emb'], entities: { uid: [401, 402] } };
    const feast = await (await app.request('/get-online-features', post(body))).text();
    // A "NaN" string in a float list made Feast's python_values_to_proto_values raise for the whole read.
    expect(feast).toContain('{"values":[NaN,2.5],"statuses":["PRESENT","PRESENT"]');
    expect(feast).toContain('{"values":[[1.5,NaN,-Infinity],[2.0]],"statuses":["PRESENT","PRESENT"]');
    const own = await (await app.request('/v1/online-features', post(body))).text();
    expect(own).toContain('{"values":["NaN",2.5],');
    expect(own).toContain('{"values":[[1.5,"NaN","-Infinity"],[2.0]],');
    expect(() => JSON.parse(own)).not.toThrow();
    // One entity row (a tagged vector takes the general path): the same.
    const one = await (await app.request('/get-online-features', post({ features: ['user_stats:score', 'user_stats:emb', 'user_stats:cnt'], entities: { uid: [401] } }))).text();
    expect(one).toContain('{"values":[NaN],"statuses":["PRESENT"]');
    expect(one).toContain('{"values":[[1.5,NaN,-Infinity]],"statuses":["PRESENT"]');
  });
});

describe('non-finite numbers as join keys', () => {
  it('names Infinity, -Infinity and NaN in the 400, for the literal and for a number beyond a double\'s range', async () => {
    const cases: [string, string][] = [['Infinity', 'Infinity'], ['1e400', 'Infinity'], ['-1e400', '-Infinity'], ['-Infinity', '-Infinity'], ['NaN', 'NaN']];
    for (const path of ['/get-online-features', '/v1/online-features']) {
      for (const [sent, shown] of cases) {
        const res = await app.request(path, post(`{"features": ["user_stats:score"], "entities": {"uid": [${sent}]}}`));
        const body = await json(res);
        const said = shown === 'NaN' ? 'NaN' : `${shown} (what a JSON number beyond ±1.8e308 reads as)`;
        expect([res.status, body.error.code, body.error.message], sent).toEqual([400, 'bad_entity', `entity 'uid' row 0 (counting from 0): expected an integer (int64), got ${said}`]);
      }
    }
  });
});
