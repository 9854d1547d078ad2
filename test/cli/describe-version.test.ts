/**
 * One version of an object, older or removed: `featureguard describe NAME@N` (`NAME@latest`: the current one)
 * prints it as `describe NAME` prints the current one (text and `--json`), a removed object's last definition
 * included; the SDK's `objectVersion` and `GET /v1/registry/{collection}/{name}/versions/{version}` give the same.
 * An unknown version is exit 2 / 404 `unknown_version`, naming the versions that exist.
 */
import { DuckDBInstance } from '@duckdb/node-api';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openProject } from '../../src/project.js';
import { openFeatureStore } from '../../src/sdk/index.js';
import { createApp } from '../../src/server/app.js';
import { runCli } from './cli-io.js';

let root: string;
let dir: string;
const cli = (...argv: string[]) => runCli(['--project', dir, ...argv]);

const ENTITY_AND_SOURCE = `kind: entity
name: airport
join_keys: [{name: origin, type: string}]
---
kind: source
name: delays_source
path: data/delays.parquet
timestamp_field: ts
`;
const view = (ttl: string) => `---
kind: feature_view
name: delays
entities: [airport]
source: delays_source
ttl: ${ttl}
online: true
features:
  - {name: delay, type: float64}
`;
const writeDefinitions = (text: string) => writeFileSync(join(dir, 'features', 'defs.yaml'), text);

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'fg-describe-version-'));
  dir = join(root, 'p');
  mkdirSync(join(dir, 'features'), { recursive: true });
  mkdirSync(join(dir, 'data'));
  writeFileSync(join(dir, 'featureguard.yaml'), 'project: p\ndefinitions: features\n');
  const duck = await (await DuckDBInstance.create(':memory:')).connect();
  await duck.run(`COPY (SELECT 'SEA' AS origin, TIMESTAMP '2024-01-01' AS ts, 1.5::DOUBLE AS delay) TO '${join(dir, 'data', 'delays.parquet')}' (FORMAT parquet)`);
  duck.closeSync();
  // delays v1 (ttl 6h), v2 (ttl 12h).
  writeDefinitions(ENTITY_AND_SOURCE + view('6h'));
  expect((await cli('apply')).code).toBe(0);
  writeDefinitions(ENTITY_AND_SOURCE + view('12h'));
  expect((await cli('apply')).code).toBe(0);
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('describe NAME@N of an older version', () => {
  it('prints version 1 as describe prints the current one, saying which is current', async () => {
    const r = await cli('describe', 'delays@1');
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^feature_view delays: version 1, applied .* from features\/defs\.yaml:\d+, hash [0-9a-f]{12}\n/);
    expect(r.out).toContain('an older version: the current one is version 2');
    expect(r.out).toContain('ttl: 6h');
    expect(r.out).not.toContain('ttl: 12h');
    expect(r.out).toMatch(/Versions \(2\):\n {2}v1 .*\n {2}v2 /);
    // `v1` as the version lines write it is taken too.
    expect((await cli('describe', 'delays@v1')).out).toBe(r.out);
  });

  it('NAME@latest (and NAME@2 here) is exactly describe NAME', async () => {
    const current = await cli('describe', 'delays', '--versions');
    expect((await cli('describe', 'delays@latest', '--versions')).out).toBe(current.out);
    expect((await cli('describe', 'delays@2', '--versions')).out).toBe(current.out);
    expect((await cli('--json', 'describe', 'delays@latest')).out).toBe((await cli('--json', 'describe', 'delays')).out);
  });

  it('--json gives the version asked for in the shape of describe NAME', async () => {
    const d = JSON.parse((await cli('--json', 'describe', 'delays@1', '--versions')).out);
    expect(d).toMatchObject({ kind: 'feature_view', name: 'delays', version: 1, removed: false, removed_since: null, current_version: 2 });
    expect(d.definition.ttl).toBe('6h');
    expect(d.applied_from).toEqual({ file: 'features/defs.yaml', line: expect.any(Number) });
    expect(d.versions.map((v: { version: number }) => v.version)).toEqual([1, 2]);
    expect(d.versions[1].changes).toEqual([{ path: '/ttl', before: '6h', after: '12h' }]);
    const current = JSON.parse((await cli('--json', 'describe', 'delays')).out);
    expect(Object.keys(d).sort()).toEqual(Object.keys(current).sort());
  });

  it('an unknown version is exit 2 naming the versions there are; a bad one is a usage error', async () => {
    const r = await cli('describe', 'delays@7');
    expect(r.code).toBe(2);
    expect(r.err).toContain("feature_view 'delays' has no version 7: its versions are 1, 2 (version 2 is the current one)");
    const j = JSON.parse((await cli('--json', 'describe', 'delays@7')).err);
    expect(j.error).toMatchObject({ code: 'unknown_version', details: { kind: 'feature_view', name: 'delays', versions: [1, 2] } });
    const bad = await cli('--json', 'describe', 'delays@first');
    expect(bad.code).toBe(2);
    expect(JSON.parse(bad.err).error.message).toContain("'first' is no version: give a version number (delays@1) or latest");
    // An unknown object with a version is said as an unknown object is.
    const missing = await cli('describe', 'no_such@1');
    expect(missing.code).toBe(2);
    expect(missing.err).toContain("no object named 'no_such' in the registry");
  });
});

describe('one version through the SDK and the API', () => {
  it('the SDK gives one version, latest by default', async () => {
    const store = await openFeatureStore(dir);
    try {
      const one = store.objectVersion('feature_view', 'delays', 1);
      expect(one.version).toMatchObject({ version: 1, definition: { ttl: '6h' } });
      expect(one.versions.map((v) => v.version)).toEqual([1, 2]);
      expect(one.removedSince).toBeNull();
      expect(store.objectVersion('feature_view', 'delays').version.version).toBe(2);
      expect(store.objectVersion('feature_view', 'delays', 'latest').version.version).toBe(2);
      expect(() => store.objectVersion('feature_view', 'delays', 3)).toThrow(expect.objectContaining({ code: 'unknown_version', exitCode: 2, status: 404 }));
      expect(() => store.objectVersion('feature_view', 'delays', 0)).toThrow(expect.objectContaining({ code: 'bad_request' }));
      expect(() => store.objectVersion('feature_view', 'nope', 1)).toThrow(expect.objectContaining({ code: 'not_found' }));
    } finally {
      await store.close();
    }
  });

  it('GET /v1/registry/{collection}/{name}/versions/{version}', async () => {
    const project = openProject(dir);
    try {
      const app = createApp(project);
      const one = await app.request('/v1/registry/feature_views/delays/versions/1');
      expect(one.status).toBe(200);
      expect(await one.json()).toMatchObject({ kind: 'feature_view', name: 'delays', version: 1, removed: false, removed_since: null, current_version: 2, definition: { ttl: '6h' } });
      expect((await (await app.request('/v1/registry/feature_views/delays/versions/latest')).json()).version).toBe(2);
      const unknown = await app.request('/v1/registry/feature_views/delays/versions/9');
      expect(unknown.status).toBe(404);
      expect((await unknown.json()).error).toMatchObject({ code: 'unknown_version', details: { versions: [1, 2] } });
      expect((await app.request('/v1/registry/feature_views/delays/versions/x')).status).toBe(400);
      expect((await app.request('/v1/registry/feature_views/nope/versions/1')).status).toBe(404);
    } finally {
      await project.close();
    }
  });
});

describe('a removed object', () => {
  beforeAll(async () => {
    writeDefinitions(ENTITY_AND_SOURCE);
    const r = await cli('apply', '--allow-breaking', '--allow-removals');
    expect(r.code, r.err).toBe(0);
  });

  it('describe NAME says it is removed and since when, and how to see its last definition', async () => {
    const r = await cli('describe', 'delays');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^feature_view delays: version 3 \(removed\), applied /);
    expect(r.out).toContain("its last definition is version 2: 'featureguard describe delays@2'");
    const j = JSON.parse((await cli('--json', 'describe', 'delays')).out);
    expect(j).toMatchObject({ version: 3, removed: true, definition: null, removed_since: { version: 3, applied_at: expect.any(String) } });
  });

  it('describe NAME@N prints a removed object\'s definitions, saying it is removed since when', async () => {
    const r = await cli('describe', 'delays@2');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^feature_view delays: version 2, applied /);
    expect(r.out).toMatch(/removed since version 3, applied \d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ/);
    expect(r.out).toContain('ttl: 12h');
    const j = JSON.parse((await cli('--json', 'describe', 'delays@1')).out);
    expect(j).toMatchObject({ version: 1, removed: false, definition: { ttl: '6h' }, removed_since: { version: 3 }, current_version: 3 });
    const unknown = await cli('describe', 'delays@4');
    expect(unknown.code).toBe(2);
    expect(unknown.err).toContain('its versions are 1, 2, 3 (version 3 is its removal)');
  });

  it('the API answers a removed object\'s versions too', async () => {
    const project = openProject(dir);
    try {
      const app = createApp(project);
      const res = await app.request('/v1/registry/feature_views/delays/versions/2');
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({ version: 2, removed: false, definition: { ttl: '12h' }, removed_since: { version: 3 } });
      expect(await (await app.request('/v1/registry/feature_views/delays/versions/latest')).json()).toMatchObject({ version: 3, removed: true, definition: null });
      // The list of versions holds the removal too, as /openapi.json documents it (its definition null).
      const list = await (await app.request('/v1/registry/feature_views/delays/versions')).json();
      expect(list.items.map((v: { version: number; definition: unknown }) => [v.version, v.definition === null])).toEqual([[1, false], [2, false], [3, true]]);
      const doc = await (await app.request('/openapi.json')).json();
      const ajv = new Ajv2020({ strict: false });
      ajv.addSchema({ $id: 'https://openapi.test/doc', components: doc.components });
      const schema = doc.paths['/v1/registry/{collection}/{name}/versions'].get.responses['200'].content['application/json'].schema;
      const valid = ajv.compile({ $ref: `https://openapi.test/doc${schema.$ref}` });
      expect([valid(list), valid.errors]).toEqual([true, null]);
    } finally {
      await project.close();
    }
  });
});
