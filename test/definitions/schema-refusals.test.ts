/**
 * What `validate` refuses and JSON Schema can express, the shipped schemas refuse too, so an editor flags it where
 * the user types it: constraints that do not fit the feature's type, featureguard's reserved column names, a Redis
 * URL of another scheme, `url` with `cluster`, an unknown alert check. Each case is refused by the schema alone
 * (Ajv 2020, unknown formats ignored, as an editor validates), and `validate` names it with its own message at the
 * same path, never a bare 'must match "then" schema'.
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { DefinitionError } from '../../src/errors.js';
import { loadConfig, loadDefinitions } from '../../src/definitions/loader.js';
import { schemaObject, schemasDir } from '../../src/schemas.js';
import { CHECK_METHODS } from '../../src/guards/check-methods.js';
import { QUALITY_FAMILIES } from '../../src/guards/config.js';
import { tempDir } from '../helpers/temp-dir.js';

const addFormats = addFormatsModule as unknown as typeof addFormatsModule.default;

/** An editor's validator: Ajv 2020, not strict (unknown formats and keywords ignored). */
function editorAjv(): Ajv2020 {
  const ajv = new Ajv2020({ strict: false, allowUnionTypes: true, discriminator: true, logger: false });
  addFormats(ajv);
  for (const f of readdirSync(schemasDir()).filter((x) => x.endsWith('.schema.json'))) ajv.addSchema(JSON.parse(readFileSync(join(schemasDir(), f), 'utf8')));
  return ajv;
}

const view = (feature: string) => `kind: feature_view\nname: v\nentities: [e]\nsource: s\nfeatures:\n  - ${feature}\n`;
const ENTITY = 'kind: entity\nname: e\njoin_keys: [{name: k, type: string}]\n';
const SOURCE = 'kind: source\nname: s\npath: data/x.parquet\ntimestamp_field: ts\n';

/** [case, definition document, path validate names, its message]. */
const DEFINITIONS: [string, string, string, string][] = [
  ['min on a string', view('{name: f, type: string, min: 0}'), '/features/0/min', "'min' applies to numeric features only (this one is string)"],
  ['max on a bool', view('{name: f, type: bool, max: 1}'), '/features/0/max', "'max' applies to numeric features only (this one is bool)"],
  ['strict on a timestamp', view('{name: f, type: timestamp, strict: true}'), '/features/0/strict', "'strict' applies to numeric features only (this one is timestamp)"],
  ['pattern on an int64', view("{name: f, type: int64, pattern: '^a'}"), '/features/0/pattern', "'pattern' applies to string features only (this one is int64)"],
  ['min_length on a float list', view("{name: f, type: 'float32[]', min_length: 1}"), '/features/0/min_length', "'min_length' applies to string features only (this one is float32[])"],
  ['max_length on a bool', view('{name: f, type: bool, max_length: 3}'), '/features/0/max_length', "'max_length' applies to string features only (this one is bool)"],
  ['allow_nan on an int32', view('{name: f, type: int32, allow_nan: true}'), '/features/0/allow_nan', "'allow_nan' applies to float features only (this one is int32)"],
  ['a feature named event_timestamp', view('{name: event_timestamp, type: int64}'), '/features/0/name', "'event_timestamp' and 'created_timestamp' are reserved for featureguard's own timestamp columns; rename it (field_mapping can rename source columns)"],
  ['a join key named created_timestamp', 'kind: entity\nname: e2\njoin_keys: [{name: created_timestamp, type: string}]\n', '/join_keys/0/name', "'event_timestamp' and 'created_timestamp' are reserved for featureguard's own timestamp columns; rename it (field_mapping can rename source columns)"],
];

const CONFIGS: [string, string, string, string][] = [
  ['a Redis URL of another scheme', 'project: p\nonline_store: {type: redis, url: "http://u:secret@h:6379"}\n', '/online_store/url', 'a Redis URL is redis:// or rediss:// (TLS), not http://'],
  ['url and cluster together', 'project: p\nonline_store: {type: redis, url: "redis://:secret@h:6379", cluster: ["127.0.0.1:7000"]}\n', '/online_store', 'set either url (one Redis server) or cluster (the seed nodes of a Redis Cluster), not both: with cluster, url and any password in it would be ignored'],
  ['an unknown alert check family', 'project: p\nalerts: [{name: a, url: "https://example.com/x", checks: [drfit]}]\n', '/alerts/0/checks/0', "unknown check 'drfit': use a family (schema, provenance, class_imbalance, leakage, drift, anomaly) or family.method (did you mean 'drift'?)"],
  ['an unknown alert check method', 'project: p\nalerts: [{name: a, url: "https://example.com/x", checks: [drift.kss]}]\n', '/alerts/0/checks/0', "unknown check 'drift.kss': the drift checks record the methods drift_share, ks, chisquare, z, jensenshannon, wasserstein, psi (did you mean 'drift.ks'?); the alert would never fire"],
];

function problemsOf(load: () => unknown): { path: string; message: string }[] {
  try {
    load();
  } catch (e) {
    if (e instanceof DefinitionError) return e.problems.map((p) => ({ path: p.path, message: p.message }));
    throw e;
  }
  return [];
}

describe('the JSON Schemas refuse what validate refuses', () => {
  const ajv = editorAjv();

  it.each(DEFINITIONS)('%s: refused by the schema alone, and by validate with its message', (_, doc, path, message) => {
    const validate = ajv.getSchema('https://featureguard.dev/schemas/definition.schema.json')!;
    expect(validate(parse(doc))).toBe(false);
    const root = tempDir('fg-schema-refusals-');
    mkdirSync(join(root, 'features'));
    writeFileSync(join(root, 'featureguard.yaml'), 'project: p\n');
    writeFileSync(join(root, 'features', 'a.yaml'), `${ENTITY}---\n${SOURCE}---\n${doc}`);
    expect(problemsOf(() => loadDefinitions(root, loadConfig(root)))).toEqual([{ path, message }]);
  });

  it.each(CONFIGS)('%s: refused by the schema alone, and by validate with its message', (_, doc, path, message) => {
    const validate = ajv.getSchema('https://featureguard.dev/schemas/project.schema.json')!;
    expect(validate(parse(doc))).toBe(false);
    const root = tempDir('fg-schema-refusals-');
    writeFileSync(join(root, 'featureguard.yaml'), doc);
    const problems = problemsOf(() => loadConfig(root));
    expect(problems).toEqual([{ path, message }]);
    // A password in a URL is never quoted back.
    expect(JSON.stringify(problems)).not.toContain('secret');
  });

  it('still accepts the constraints that fit the type, a Unix socket, a cluster alone and every check the guards record', () => {
    const validate = ajv.getSchema('https://featureguard.dev/schemas/definition.schema.json')!;
    for (const f of ['{name: f, type: float64, min: 0, max: 1, strict: true, allow_nan: true}', "{name: f, type: string, pattern: '^a', min_length: 1, max_length: 3}", '{name: f, type: int32, min: 0}', '{name: created_at, type: timestamp}', '{name: emb, type: "float32[]", allow_nan: true}', '{name: emb, type: "float64[]", allow_nan: true}']) {
      expect([f, validate(parse(view(f)))]).toEqual([f, true]);
    }
    const project = ajv.getSchema('https://featureguard.dev/schemas/project.schema.json')!;
    for (const doc of ['online_store: {type: redis, url: /run/redis.sock}', 'online_store: {type: redis, url: "REDISS://h:6380"}', 'online_store: {type: redis, cluster: ["h:7000"]}', 'alerts: [{name: a, url: "https://x.org", checks: [drift, drift.drift_share, leakage.pii, schema.range]}]']) {
      expect([doc, project(parse(`project: p\n${doc}\n`))]).toEqual([doc, true]);
    }
  });

  it("lists in project.schema.json's alert checks exactly the families and methods the guards record", () => {
    const alerts = (schemaObject('project').properties as Record<string, { items: { properties: { checks: { items: { enum: string[] } } } } }>).alerts;
    expect([...alerts.items.properties.checks.items.enum].sort()).toEqual(QUALITY_FAMILIES.flatMap((f) => [f, ...CHECK_METHODS[f].map((m) => `${f}.${m}`)]).sort());
  });
});
