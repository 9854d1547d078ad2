/**
 * int64 ids beyond ±2^53 sent as bare JSON numbers, as Feast's Python client sends them (every digit: its
 * `json=` writes Python ints exactly), read and written exactly through the HTTP API: once 400s, since
 * `JSON.parse` had rounded them to another id. A float column still takes such a number as a double, an int32
 * key or value still refuses it, and bodies of other routes read it as before. (A review of Feast compatibility.)
 * Dataset entities too, as the SDK takes a bigint.
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

const BIG = '9007199254740993'; // 2^53 + 1: JSON.parse reads 9007199254740992
const NOW = new Date().toISOString();
let dir: string;
let project: Project;
let app: FeatureguardApp;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'fg-exact-int-'));
  mkdirSync(join(dir, 'data'));
  writeFileSync(join(dir, 'featureguard.yaml'), 'project: exact_integers\n');
  const engine = await openOfflineEngine();
  const ts = "TIMESTAMP '2024-01-01 10:00'";
  // Two ids beyond 2^53 that a JavaScript number cannot tell apart, for the dataset joins.
  await engine.run(`COPY (SELECT 1::BIGINT AS uid, ${ts} AS ts, 1.5::DOUBLE AS score, 2::BIGINT AS cnt, [1.0]::DOUBLE[] AS emb
    UNION ALL SELECT ${BIG}, ${ts}, 2.5, 7, [2.0] UNION ALL SELECT 9007199254740992, ${ts}, 3.5, 8, [3.0]) TO '${join(dir, 'data', 'users.parquet')}' (FORMAT parquet)`);
  await engine.run(`COPY (SELECT 1::INTEGER AS sid, ${ts} AS ts, 0.5::DOUBLE AS load, 1::INTEGER AS slots) TO '${join(dir, 'data', 'shards.parquet')}' (FORMAT parquet)`);
  await engine.run(`COPY (SELECT '94107' AS zipcode, ${ts} AS ts, 3::BIGINT AS pop) TO '${join(dir, 'data', 'zips.parquet')}' (FORMAT parquet)`);
  project = openProject(dir);
  project.registry.apply([
    defineEntity({ name: 'user', join_keys: [{ name: 'uid', type: 'int64' }] }),
    defineEntity({ name: 'shard', join_keys: [{ name: 'sid', type: 'int32' }] }),
    defineEntity({ name: 'zip', join_keys: [{ name: 'zipcode', type: 'string' }] }),
    defineSource({ name: 'users', path: 'data/users.parquet', timestamp_field: 'ts' }),
    defineSource({ name: 'shards', path: 'data/shards.parquet', timestamp_field: 'ts' }),
    defineSource({ name: 'zips', path: 'data/zips.parquet', timestamp_field: 'ts' }),
    defineFeatureView({
      name: 'user_stats', entities: ['user'], source: 'users', ttl: '0', online: true,
      features: [{ name: 'score', type: 'float64' }, { name: 'cnt', type: 'int64' }, { name: 'emb', type: 'float64[]' }],
    }),
    defineFeatureView({ name: 'shard_stats', entities: ['shard'], source: 'shards', ttl: '0', online: true, features: [{ name: 'load', type: 'float64' }, { name: 'slots', type: 'int32' }] }),
    defineFeatureView({ name: 'zip_stats', entities: ['zip'], source: 'zips', ttl: '0', online: true, features: [{ name: 'pop', type: 'int64' }] }),
  ]);
  app = createApp(project, { ui: false });
});
afterAll(async () => {
  await project?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** POST a body written as text (JavaScript cannot write these numbers); the status and the parsed answer. */
async function send(path: string, body: string): Promise<{ status: number; body: any }> { // eslint-disable-line @typescript-eslint/no-explicit-any
  const res = await app.request(path, post(body));
  return { status: res.status, body: await json(res) };
}

/** An online read of user_stats for `uids` (JSON text) through `path`; the answer's JSON text. */
async function readUsers(path: string, uids: string): Promise<{ status: number; text: string }> {
  const res = await app.request(path, post(`{"features": ["user_stats:score", "user_stats:cnt", "user_stats:emb"], "entities": {"uid": [${uids}]}}`));
  return { status: res.status, text: await res.text() };
}

describe('integers beyond ±2^53 in Feast bodies', () => {
  it('writes (write-to-online-store, as Feast\'s remote online store sends them) and reads them back exactly', async () => {
    const write = await send('/write-to-online-store', `{"feature_view_name": "user_stats", "df": {"uid": [${BIG}], "cnt": [${BIG}], "score": [${BIG}], "emb": [[${BIG}, 1.5]], "event_timestamp": ["${NOW}"], "created": [null]}, "allow_registry_cache": false}`);
    expect(write.status, JSON.stringify(write.body)).toBe(200);
    const read = await readUsers('/v1/online-features', `${BIG}, 9007199254740992`);
    expect(read.status, read.text).toBe(200);
    // The keys and the int64 value as featureguard's route serves int64s beyond ±(2^53 − 1) (their text, exact);
    // the float64 feature holds the nearest double, as a JSON number; the neighbouring id is another entity.
    expect(JSON.parse(read.text).results).toEqual([
      { values: [BIG, '9007199254740992'], statuses: ['PRESENT', 'PRESENT'], event_timestamps: expect.any(Array) },
      { values: [9007199254740992, null], statuses: ['PRESENT', 'NOT_FOUND'], event_timestamps: expect.any(Array) },
      { values: [BIG, null], statuses: ['PRESENT', 'NOT_FOUND'], event_timestamps: expect.any(Array) },
      { values: [[9007199254740992, 1.5], null], statuses: ['PRESENT', 'NOT_FOUND'], event_timestamps: expect.any(Array) },
    ]);
    // Feast's route: the same answer with those int64s as bare digits, as Python's json writes them.
    const feast = await readUsers('/get-online-features', `${BIG}, 9007199254740992`);
    expect(feast.text).toBe(read.text.replaceAll(`"${BIG}"`, BIG).replaceAll('"9007199254740992"', '9007199254740992'));
  });

  it('answers Feast\'s route with int64 keys and values beyond ±2^53 as bare JSON digits, as Feast\'s Python server writes them; featureguard\'s route keeps their text', async () => {
    // Feast's Python client merges the answer with its request on the key: a string for an int it sent loses the row.
    const KEY = '9007199254740995';
    const write = await send('/write-to-online-store', `{"feature_view_name": "user_stats", "df": {"uid": [${KEY}, 5], "cnt": [-9223372036854775808, ${BIG}], "score": [1.0, 2.0], "emb": [null, null], "event_timestamp": ["${NOW}", "${NOW}"]}}`);
    expect(write.status, JSON.stringify(write.body)).toBe(200);
    const body = `{"features": ["user_stats:cnt", "user_stats:score"], "entities": {"uid": [${KEY}, 5, 1]}}`;
    const feast = await (await app.request('/get-online-features', post(body))).text();
    expect(feast).toContain(`"results":[{"values":[${KEY},5,1],`);
    expect(feast).toContain(`{"values":[-9223372036854775808,${BIG},null],`);
    const own = await (await app.request('/v1/online-features', post(body))).text();
    expect(own).toContain(`"results":[{"values":["${KEY}",5,1],`);
    expect(own).toContain(`{"values":["-9223372036854775808","${BIG}",null],`);
    // One entity row (the single-row path): the key as bare digits too.
    const one = await (await app.request('/get-online-features', post(`{"features": ["user_stats:score"], "entities": {"uid": [${KEY}]}}`))).text();
    expect(one).toContain(`"results":[{"values":[${KEY}],`);
    // A string key holding digits stays a string.
    const zip = await (await app.request('/get-online-features', post('{"features": ["zip_stats:pop"], "entities": {"zipcode": ["94107"]}}'))).text();
    expect(zip).toContain('"results":[{"values":["94107"],');
  });

  it('pushes them in Feast\'s df (/push) and in featureguard\'s rows (/v1/push), negative ones and int64\'s extremes too', async () => {
    const feast = await send('/push', `{"push_source_name": "users", "df": {"uid": [-${BIG}, 9223372036854775807], "ts": ["${NOW}", "${NOW}"], "cnt": [-9223372036854775808, 12345678901234567], "score": [1.0, 2.0], "emb": [null, null]}, "to": "online"}`);
    expect(feast.status, JSON.stringify(feast.body)).toBe(200);
    const own = await send('/v1/push', `{"view": "user_stats", "rows": [{"uid": 1800000000000000001, "event_timestamp": "${NOW}", "cnt": 1800000000000000002, "score": 3.0}], "to": "online"}`);
    expect(own.status, JSON.stringify(own.body)).toBe(200);
    // Printed with indents (json.dumps(body, indent=2)): the same ids.
    const pretty = await app.request('/get-online-features', post(`{\n  "features": [\n    "user_stats:cnt"\n  ],\n  "entities": {\n    "uid": [\n      -${BIG}\n    ]\n  }\n}`));
    expect(await pretty.text()).toContain('{"values":[-9223372036854775808],"statuses":["PRESENT"]');
    for (const [path, q] of [['/get-online-features', ''], ['/v1/online-features', '"']]) {
      const read = await readUsers(path, `${path === '/v1/online-features' ? `"-${BIG}"` : `-${BIG}`}, 9223372036854775807, 1800000000000000001`);
      expect(read.status, read.text).toBe(200);
      // Written exactly: bare digits on Feast's route, their text on featureguard's.
      expect(read.text).toContain(`"results":[{"values":[${q}-${BIG}${q},${q}9223372036854775807${q},${q}1800000000000000001${q}],`);
      expect(read.text).toContain(`{"values":[${q}-9223372036854775808${q},${q}12345678901234567${q},${q}1800000000000000002${q}],"statuses":["PRESENT","PRESENT","PRESENT"]`);
    }
  });

  it('still refuses them where they do not fit: an int32 key or value, a string key outside Feast\'s route, beyond int64', async () => {
    for (const path of ['/get-online-features', '/v1/online-features']) {
      const int32 = await send(path, `{"features": ["shard_stats:load"], "entities": {"sid": [${BIG}]}}`);
      expect([int32.status, int32.body.error.code, int32.body.error.message]).toEqual([400, 'bad_entity', `entity 'sid' row 0 (counting from 0): ${BIG} is out of int32 range`]);
      const int64 = await send(path, '{"features": ["user_stats:cnt"], "entities": {"uid": [9223372036854775808]}}');
      expect([int64.status, int64.body.error.message]).toEqual([400, "entity 'uid' row 0 (counting from 0): 9223372036854775808 is out of int64 range"]);
    }
    const pushed = await send('/v1/push', `{"view": "shard_stats", "rows": [{"sid": ${BIG}, "event_timestamp": "${NOW}", "load": 1.0}]}`);
    expect([pushed.status, pushed.body.error.code, pushed.body.error.message]).toEqual([400, 'invalid_rows', expect.stringContaining('/0/sid: must be <= 2147483647')]);
    const value = await send('/v1/push', `{"view": "shard_stats", "rows": [{"sid": 1, "event_timestamp": "${NOW}", "slots": ${BIG}}]}`);
    expect([value.status, value.body.error.message]).toEqual([400, expect.stringContaining('/0/slots: must be <= 2147483647')]);
    const tooBig = await send('/write-to-online-store', `{"feature_view_name": "user_stats", "df": {"uid": [1], "event_timestamp": ["${NOW}"], "cnt": [9223372036854775808], "score": [null], "emb": [null]}}`);
    expect([tooBig.status, tooBig.body.error.code, tooBig.body.error.message]).toEqual([400, 'invalid_rows', expect.stringContaining('/0/cnt: must be')]);
    // A string key: Feast's route reads an integer as its text (Feast's str()), exactly; featureguard's refuses it.
    const zip = await app.request('/get-online-features', post('{"features": ["zip_stats:pop"], "entities": {"zipcode": [94107000000000000001]}}'));
    expect(JSON.parse(await zip.text()).results[0].values).toEqual(['94107000000000000001']);
    const own = await send('/v1/online-features', '{"features": ["zip_stats:pop"], "entities": {"zipcode": [94107000000000000001]}}');
    expect([own.status, own.body.error.message]).toEqual([400, "entity 'zipcode' row 0 (counting from 0): expected a string, got number"]);
  });

  it('builds datasets with them (POST /v1/datasets): an int64 key joins its own id, a pass-through keeps its digits, a float column the nearest double', async () => {
    const at = '2024-02-01T00:00:00Z';
    for (const entities of [
      `"entities": {"uid": [${BIG}, 9007199254740992], "event_timestamp": ["${at}", "${at}"], "request_id": [1234567890123456789, 2], "weight": [0.5, ${BIG}]}`,
      `"entity_rows": [{"uid": ${BIG}, "event_timestamp": "${at}", "request_id": 1234567890123456789, "weight": 0.5}, {"uid": 9007199254740992, "event_timestamp": "${at}", "request_id": 2, "weight": ${BIG}}]`,
    ]) {
      const res = await app.request('/v1/datasets', post(`{"features": ["user_stats:cnt"], ${entities}, "format": "json"}`));
      const text = await res.text();
      expect(res.status, text).toBe(200);
      // JSON output writes integers beyond ±(2^53 − 1) as their text; the float column holds a double.
      expect(JSON.parse(text)).toEqual([
        expect.objectContaining({ uid: BIG, request_id: '1234567890123456789', weight: 0.5, cnt: 7 }),
        expect.objectContaining({ uid: '9007199254740992', request_id: 2, weight: 9007199254740992, cnt: 8 }),
      ]);
    }
    // Beyond int64 it is refused still, quoting the digits sent (they were rounded: 1234567890123456800).
    const beyond = await send('/v1/datasets', `{"features": ["user_stats:cnt"], "entities": {"uid": [1], "event_timestamp": ["${at}"], "request_id": [12345678901234567890123]}}`);
    expect([beyond.status, beyond.body.error.code, beyond.body.error.message]).toEqual([400, 'bad_entity_value', expect.stringContaining("'request_id' holds 12345678901234567890123 in row 0 (counting from 0), outside the 64-bit integer range")]);
  });

  it('leaves other bodies as they were: a definition\'s bound beyond ±2^53 gets the definition\'s own message', async () => {
    const plan = await send('/v1/registry/plan', `{"definitions": [{"kind": "entity", "name": "user", "join_keys": [{"name": "uid", "type": "int64"}]},
      {"kind": "source", "name": "users", "path": "data/users.parquet", "timestamp_field": "ts"},
      {"kind": "feature_view", "name": "user_stats", "entities": ["user"], "source": "users", "online": true, "features": [{"name": "cnt", "type": "int64", "max": 90071992547409930}]}]}`);
    expect([plan.status, JSON.stringify(plan.body)]).toEqual([422, expect.stringContaining('at /features/0/max: bound beyond ±9007199254740991')]);
  });

  it('parses long floats and strings of digits as before, and refuses a number as a key', async () => {
    const write = await send('/write-to-online-store', `{"feature_view_name": "user_stats", "df": {"uid": ["900719925474099312"], "score": [0.30000000000000004], "emb": [[12345678901234567.5, -1e300]], "cnt": [null], "event_timestamp": ["${NOW}"]}}`);
    expect(write.status, JSON.stringify(write.body)).toBe(200);
    const read = JSON.parse((await readUsers('/v1/online-features', '"900719925474099312"')).text);
    expect(read.results.map((r: { values: unknown[] }) => r.values[0])).toEqual(['900719925474099312', 0.30000000000000004, null, [12345678901234568, -1e300]]);
    const malformed = await send('/get-online-features', `{"features": ["user_stats:cnt"], "entities": {"uid": [1]}, ${BIG}: 1}`);
    expect([malformed.status, malformed.body.error.code]).toEqual([400, 'malformed_json']);
  });
});
