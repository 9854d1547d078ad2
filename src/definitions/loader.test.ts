import { mkdirSync, mkdtempSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DefinitionError, type DefinitionProblem } from '../errors.js';
import { defineEntity, defineFeatureService, defineFeatureView, defineSource } from './define.js';
import { loadConfig, loadDefinitions, validateDefinitions } from './loader.js';
import { definitionOrigin } from './origins.js';
import type { FeatureViewDef } from './types.js';

const dirs: string[] = [];
function project(files: Record<string, string | Buffer>): string {
  const root = mkdtempSync(join(tmpdir(), 'fg-loader-'));
  dirs.push(root);
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(root, name, '..'), { recursive: true });
    writeFileSync(join(root, name), text);
  }
  return root;
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const AIRPORT_YAML = `# yaml-language-server: $schema=../schemas/entity.schema.json
kind: entity
name: airport
join_keys: [{name: origin, type: string}]
---
kind: source
name: airport_hourly_source
path: data/airport_hourly.parquet      # a file under the project root
timestamp_field: hour
created_timestamp_field: computed_at
---
kind: feature_view
name: airport_hourly
entities: [airport]
source: airport_hourly_source
ttl: 6h
online: true
schedule: "0 * * * *"
features:
  - {name: departures, type: int64, min: 0}
  - {name: share_delayed, type: float64, min: 0, max: 1}
quality: {}
---
`;

const SERVICE_JSON = JSON.stringify([
  { kind: 'feature_view', name: 'flight_outcome', role: 'label', ttl: 0, entities: ['airport'], source: 'airport_hourly_source', features: [{ name: 'delayed', type: 'bool' }] },
  { kind: 'feature_service', name: 'delay_model', features: ['airport_hourly'], label: 'flight_outcome:delayed' },
], null, 2);


/** `file: message` of each problem loading the project's definitions finds (none: the load succeeds). */
function loadProblems(root: string): string[] {
  try {
    loadDefinitions(root, loadConfig(root));
    return [];
  } catch (e) {
    return (e as DefinitionError).problems.map((p) => `${p.file}: ${p.message}`);
  }
}

describe('loadConfig', () => {
  it('reads and freezes featureguard.yaml', () => {
    const root = project({ 'featureguard.yaml': 'project: flights\nonline_store: {type: redis, url: "redis://127.0.0.1:6379"}\n' });
    const config = loadConfig(root);
    expect(config).toEqual({ project: 'flights', online_store: { type: 'redis', url: 'redis://127.0.0.1:6379' } });
    expect(Object.isFrozen(config.online_store)).toBe(true);
  });

  it("takes a Redis Cluster's username, password_env and tls (a password never in the YAML); refuses them without cluster", () => {
    const root = project({ 'featureguard.yaml': 'project: p\nonline_store:\n  type: redis\n  cluster: ["10.0.0.1:6379"]\n  username: app\n  password_env: REDIS_PASSWORD\n  tls: true\n' });
    expect(loadConfig(root).online_store).toEqual({ type: 'redis', cluster: ['10.0.0.1:6379'], username: 'app', password_env: 'REDIS_PASSWORD', tls: true });
    writeFileSync(join(root, 'featureguard.yaml'), 'project: p\nonline_store:\n  type: redis\n  cluster: ["10.0.0.1:6379"]\n  password: s3cret\n');
    const refused = (() => { try { loadConfig(root); } catch (e) { return e; } })() as DefinitionError;
    expect(refused.problems.map((p) => p.message)).toEqual([expect.stringMatching(/^unknown property 'password'/)]);
    writeFileSync(join(root, 'featureguard.yaml'), 'project: p\nonline_store:\n  type: redis\n  url: "redis://127.0.0.1:6379"\n  password_env: REDIS_PASSWORD\n');
    const err = (() => { try { loadConfig(root); } catch (e) { return e; } })() as DefinitionError;
    expect(err.problems.map((p) => [p.path, p.line, p.message])).toEqual([
      ['/online_store/password_env', 5, 'username, password_env and tls go with cluster; a single node takes them in online_store.url (rediss://USER:PASSWORD@HOST:PORT/DB)'],
    ]);
  });

  it('takes an unquoted 0 for every duration, as for ttl', () => {
    const root = project({ 'featureguard.yaml': 'project: p\nquality:\n  provenance: {max_clock_skew: 0}\nalerts:\n  - {name: a, url: "http://127.0.0.1:8/x", min_interval: 0}\n' });
    const config = loadConfig(root);
    expect([(config.quality?.provenance as { max_clock_skew?: string }).max_clock_skew, config.alerts?.[0].min_interval]).toEqual(['0', '0']);
  });

  it('names line, column and path of a bad setting', () => {
    const root = project({ 'featureguard.yaml': 'project: flights\nonline_store:\n  type: memcached\n' });
    const err = (() => { try { loadConfig(root); } catch (e) { return e; } })() as DefinitionError;
    expect(err).toBeInstanceOf(DefinitionError);
    expect(err.problems).toEqual([expect.objectContaining({ file: 'featureguard.yaml', line: 3, column: 9, path: '/online_store/type' })]);
    expect(err.message).toContain('must be one of sqlite, redis');
  });

  it("refuses an alert filtering on a misspelt check family or status (the alert would never fire)", () => {
    const root = project({ 'featureguard.yaml': 'project: p\nalerts:\n  - name: a\n    url: "http://127.0.0.1:8/x"\n    checks: [drift, drfit, schema.range, leakage.target]\n    statuses: [blocekd, fail]\n' });
    const err = (() => { try { loadConfig(root); } catch (e) { return e; } })() as DefinitionError;
    expect(err).toBeInstanceOf(DefinitionError);
    expect(err.problems.map((p) => [p.path, p.line, p.message])).toEqual([
      // Both at once: the checks' own message (the schema's enum refuses 'drfit' too, more tersely) is not held back.
      ['/alerts/0/statuses/0', 6, expect.stringMatching(/^must be one of pass, warn, fail, error, skipped, success, warned, blocked, failed \(got 'blocekd'\) \(did you mean 'blocked'\?\)$/)],
      ['/alerts/0/checks/1', 5, "unknown check 'drfit': use a family (schema, provenance, class_imbalance, leakage, drift, anomaly) or family.method (did you mean 'drift'?)"],
    ]);
    writeFileSync(join(root, 'featureguard.yaml'), 'project: p\nalerts:\n  - name: a\n    url: "http://127.0.0.1:8/x"\n    checks: [drift, drfit, schema.range, leakage.target]\n');
    const err2 = (() => { try { loadConfig(root); } catch (e) { return e; } })() as DefinitionError;
    expect(err2.problems.map((p) => [p.path, p.line, p.message])).toEqual([
      ['/alerts/0/checks/1', 5, "unknown check 'drfit': use a family (schema, provenance, class_imbalance, leakage, drift, anomaly) or family.method (did you mean 'drift'?)"],
    ]);
    // A misspelt method of a known family: the alert would never fire either.
    writeFileSync(join(root, 'featureguard.yaml'), 'project: p\nalerts:\n  - name: a\n    url: "http://127.0.0.1:8/x"\n    checks: [schema.rnage, drift.drift_shares, drift.ks, provenance.tampering, anomaly.]\n');
    const err3 = (() => { try { loadConfig(root); } catch (e) { return e; } })() as DefinitionError;
    expect(err3.problems.map((p) => [p.path, p.message])).toEqual([
      ['/alerts/0/checks/0', expect.stringMatching(/^unknown check 'schema\.rnage': the schema checks record the methods rows, missing_column, .* \(did you mean 'schema\.range'\?\); the alert would never fire$/)],
      ['/alerts/0/checks/1', expect.stringContaining("(did you mean 'drift.drift_share'?)")],
      ['/alerts/0/checks/4', expect.stringMatching(/^unknown check 'anomaly\.': the anomaly checks record the methods volume, freshness, null_rate, outliers; the alert would never fire$/)],
    ]);
  });
});

describe('loadDefinitions', () => {
  it('returns frozen objects equal to the builders, YAML and JSON alike', () => {
    const root = project({ 'featureguard.yaml': 'project: flights\n', 'features/airport.yaml': AIRPORT_YAML, 'features/services/model.json': SERVICE_JSON, 'features/README.md': '# not a definition' });
    const defs = loadDefinitions(root, loadConfig(root));
    expect(defs).toEqual([
      defineEntity({ name: 'airport', join_keys: [{ name: 'origin', type: 'string' }] }),
      defineSource({ name: 'airport_hourly_source', path: 'data/airport_hourly.parquet', timestamp_field: 'hour', created_timestamp_field: 'computed_at' }),
      defineFeatureView({
        name: 'airport_hourly', entities: ['airport'], source: 'airport_hourly_source', ttl: '6h', online: true, schedule: '0 * * * *',
        features: [{ name: 'departures', type: 'int64', min: 0 }, { name: 'share_delayed', type: 'float64', min: 0, max: 1 }], quality: {},
      }),
      defineFeatureView({ name: 'flight_outcome', role: 'label', ttl: '0', entities: ['airport'], source: 'airport_hourly_source', features: [{ name: 'delayed', type: 'bool' }] }),
      defineFeatureService({ name: 'delay_model', features: ['airport_hourly'], label: 'flight_outcome:delayed' }),
    ]);
    for (const d of defs) expect(Object.isFrozen(d)).toBe(true);
    expect(Object.isFrozen((defs[2] as FeatureViewDef).features[0])).toBe(true);
    expect(definitionOrigin(defs[4]).file).toBe('features/services/model.json');
    expect(definitionOrigin(defs[2]).locate('/features/1/max')).toEqual({ line: 21, column: 55 });
    expect(definitionOrigin(defs[4]).locate('/label')).toEqual({ line: 24, column: 14 });
  });

  it('builders make what the loader makes from untyped JavaScript too: an unquoted 0 duration, a stray kind', () => {
    const untyped = { name: 'v', entities: ['airport'], source: 's', ttl: 0, quality: { provenance: { max_clock_skew: 0 } }, features: [] } as unknown as Parameters<typeof defineFeatureView>[0];
    expect(defineFeatureView(untyped)).toMatchObject({ kind: 'feature_view', ttl: '0', quality: { provenance: { max_clock_skew: '0' } } });
    expect(defineEntity({ kind: 'source', name: 'e', join_keys: [] } as unknown as Parameters<typeof defineEntity>[0]).kind).toBe('entity');
    // `kind` first, as a YAML file writes it (what `describe` prints), whatever the spec's order.
    expect(Object.keys(defineEntity({ name: 'e', join_keys: [] }))).toEqual(['kind', 'name', 'join_keys']);
    expect(Object.keys(defineFeatureService({ features: ['v'], name: 's', kind: 'entity' } as unknown as Parameters<typeof defineFeatureService>[0]))).toEqual(['kind', 'features', 'name']);
  });

  it('builders take a zero duration as the number 0 in typed code too, as YAML writes it, and hold it as the loader does', () => {
    // Before: `ttl: 0` did not compile (`number` is not assignable to `string`), so SDK users had to write '0'.
    const typed = defineFeatureView({
      name: 'v', entities: ['airport'], source: 'airport_hourly_source', ttl: 0, quality: { provenance: { max_clock_skew: 0 } }, features: [{ name: 'departures', type: 'int64' }],
    });
    const root = project({
      'featureguard.yaml': 'project: p\n',
      'features/airport.yml': AIRPORT_YAML,
      'features/v.yml': 'kind: feature_view\nname: v\nentities: [airport]\nsource: airport_hourly_source\nttl: 0\nquality: {provenance: {max_clock_skew: 0}}\nfeatures: [{name: departures, type: int64}]\n',
    });
    const loaded = loadDefinitions(root, loadConfig(root)).find((d) => d.name === 'v');
    expect(typed).toEqual(loaded);
    expect(typed.ttl).toBe('0');
  });

  it('honours config.definitions', () => {
    const root = project({ 'featureguard.yaml': 'project: p\ndefinitions: defs\n', 'defs/a.yml': 'kind: entity\nname: a\njoin_keys: [{name: k, type: int64}]\n' });
    expect(loadDefinitions(root, loadConfig(root)).map((d) => d.name)).toEqual(['a']);
  });

  it('follows symbolic links to folders of definitions, and reports a link loop', () => {
    const shared = project({ 'views/a.yml': 'kind: entity\nname: a\njoin_keys: [{name: k, type: int64}]\n' });
    const root = project({ 'featureguard.yaml': 'project: p\n', 'features/b.yml': 'kind: entity\nname: b\njoin_keys: [{name: k, type: int64}]\n' });
    symlinkSync(join(shared, 'views'), join(root, 'features', 'shared'));
    // Skipped before: `apply` then removed every object defined there.
    expect(loadDefinitions(root, loadConfig(root)).map((d) => [d.name, definitionOrigin(d).file])).toEqual([['b', 'features/b.yml'], ['a', 'features/shared/a.yml']]);
    // A link up the tree is caught before anything below it is read (the project's featureguard.yaml would be).
    mkdirSync(join(root, 'features', 'sub'));
    symlinkSync('../..', join(root, 'features', 'sub', 'up'));
    expect(loadProblems(root)).toEqual([
      'features/sub/up: this symbolic link leads to a folder read already or holding this one (a loop, or a second way to it); skipped',
    ]);
  });

  it('refuses a link to a folder that is gone (a share not mounted): apply would remove everything defined there', () => {
    const shared = project({ 'views/a.yml': 'kind: entity\nname: a\njoin_keys: [{name: k, type: int64}]\n' });
    const root = project({ 'featureguard.yaml': 'project: p\n', 'features/b.yml': 'kind: entity\nname: b\njoin_keys: [{name: k, type: int64}]\n' });
    symlinkSync(join(shared, 'views'), join(root, 'features', 'shared'));
    expect(loadDefinitions(root, loadConfig(root)).map((d) => d.name)).toEqual(['b', 'a']);
    renameSync(join(shared, 'views'), join(shared, 'moved'));
    expect(loadProblems(root)).toEqual([
      'features/shared: cannot follow this symbolic link: it does not exist (a symbolic link to nothing?); restore what it points to, or remove the link',
    ]);
  });

  it('expands YAML merge keys (shared settings through an anchor)', () => {
    const root = project({
      'featureguard.yaml': 'project: p\n',
      'features/a.yaml': 'kind: entity\nname: a\njoin_keys:\n  - &key {name: k, type: int64}\n  - {<<: *key, name: j}\n',
    });
    expect(loadDefinitions(root, loadConfig(root)).map((d) => d.kind === 'entity' && d.join_keys)).toEqual([[{ name: 'k', type: 'int64' }, { name: 'j', type: 'int64' }]]);
  });

  it('expands thousands of uses of one anchor (a wide view whose features share settings)', () => {
    const features = Array.from({ length: 3000 }, (_, i) => `  - {<<: *f, name: f${i}}`).join('\n');
    const root = project({
      'featureguard.yaml': 'project: p\n',
      'features/a.yaml': `kind: entity\nname: a\njoin_keys: [{name: k, type: int64}]\n---\nkind: source\nname: s\npath: s.parquet\ntimestamp_field: ts\n---\nkind: feature_view\nname: v\nentities: [a]\nsource: s\nfeatures:\n  - &f {name: first, type: float64, description: shared}\n${features}\n`,
    });
    const view = loadDefinitions(root, loadConfig(root)).find((d) => d.kind === 'feature_view');
    expect(view?.kind === 'feature_view' && view.features.length).toBe(3001);
  });

  it('reads a .JSON file (any case) as JSON', () => {
    const root = project({
      'featureguard.yaml': 'project: p\n',
      'features/ENTITIES.JSON': '[{"kind": "entity", "name": "a", "join_keys": [{"name": "k", "type": "string"}]}]',
    });
    expect(loadDefinitions(root, loadConfig(root)).map((d) => d.name)).toEqual(['a']);
  });

  it('with `definitions: .`, reads neither featureguard.yaml, node_modules, npm and TypeScript files nor dataset manifests as definitions', () => {
    const root = project({
      'featureguard.yaml': 'project: p\ndefinitions: .\n',
      'entities.yml': 'kind: entity\nname: a\njoin_keys: [{name: k, type: int64}]\n',
      'node_modules/x/package.json': '{"name": "x"}',
      // What `featureguard init` writes, and what a dataset build puts beside its output.
      'package.json': '{"name": "p"}',
      'package-lock.json': '{"name": "p"}',
      'tsconfig.json': '{}',
      'tsconfig.build.json': '{}',
      'out/train.parquet.manifest.json': '{"rows": 1}',
    });
    expect(loadDefinitions(root, loadConfig(root)).map((d) => d.name)).toEqual(['a']);
  });

  it('refuses a file that is not UTF-8, at the line and column (in characters) of its first stray byte', () => {
    const utf8ThenLatin1 = Buffer.concat([Buffer.from('kind: entity\n# Zürich, '), Buffer.from('Genève', 'latin1'), Buffer.from('\nname: x\n')]);
    const cutShort = Buffer.concat([Buffer.from('kind: entity\nname: x\n# Gen'), Buffer.from([0xc3]), Buffer.from('\n')]);
    const root = project({ 'featureguard.yaml': 'project: p\n', 'features/a.yaml': utf8ThenLatin1, 'features/b.yaml': cutShort });
    const err = (() => { try { loadDefinitions(root, loadConfig(root)); } catch (e) { return e; } })() as DefinitionError;
    expect(err.problems.map((p) => `${p.file}:${p.line}:${p.column} ${p.message}`)).toEqual([
      'features/a.yaml:2:14 this file is not UTF-8 at line 2, column 14 (Latin-1 or Windows-1252 text?): save it as UTF-8',
      'features/b.yaml:3:6 this file is not UTF-8 at line 3, column 6 (Latin-1 or Windows-1252 text?): save it as UTF-8',
    ]);
  });

  it('drops the byte-order mark of each YAML document of files joined into one (cat a.yaml b.yaml)', () => {
    const entity = (name: string): string => `\ufeffkind: entity\nname: ${name}\njoin_keys: [{name: k, type: string}]\n`;
    const root = project({ 'featureguard.yaml': 'project: p\n', 'features/all.yaml': `${entity('a')}---\n${entity('b')}--- # c\n${entity('c')}` });
    expect(loadProblems(root)).toEqual([]);
    expect(loadDefinitions(root, loadConfig(root)).map((d) => d.name)).toEqual(['a', 'b', 'c']);
  });

  it('reports every problem of every file in one error', () => {
    const root = project({
      'featureguard.yaml': 'project: p\n',
      'features/a.yaml': 'kind: entity\nname: Airport\njoin_keys: []\n',
      'features/b.yaml': 'kind: feature_view\nname: v\nentities: [airport]\nsource: nope\nfeatures: [{name: x, type: float}]\n',
    });
    const err = (() => { try { loadDefinitions(root, loadConfig(root)); } catch (e) { return e; } })() as DefinitionError;
    expect(err.problems.map((p) => `${p.file}:${p.line}:${p.column} ${p.path}`)).toEqual([
      'features/a.yaml:2:7 /name',
      'features/a.yaml:3:12 /join_keys',
      // The view's references are checked beside its schema error (no entity is named 'airport': 'Airport' is no name).
      'features/b.yaml:3:12 /entities/0',
      'features/b.yaml:4:9 /source',
      'features/b.yaml:5:28 /features/0/type',
    ]);
    expect(err.message).not.toMatch(/instancePath|schemaPath|at Object\./);
  });
});

describe('validateDefinitions', () => {
  /** The problems of validating `input` as a request's definitions (none: it passes). */
  function requestProblems(input: unknown[]): DefinitionProblem[] {
    try {
      validateDefinitions(input, tmpdir(), 'definitions');
      return [];
    } catch (e) {
      if (e instanceof DefinitionError) return e.problems;
      throw e;
    }
  }

  it('suggests names for the first problems only: 600 unknown long names among 600 known ones take well under 2 s (they took 18)', () => {
    const entities = Array.from({ length: 600 }, (_, i) => ({ kind: 'entity', name: `e${String(i).padStart(5, '0')}${'a'.repeat(55)}`, join_keys: [{ name: 'k', type: 'string' }] }));
    const unknown = Array.from({ length: 600 }, (_, i) => `u${String(i).padStart(5, '0')}${'b'.repeat(55)}`);
    unknown[0] = `${entities[0].name.slice(0, -1)}x`; // a typo, found
    const view = { kind: 'feature_view', name: 'v', source: 's', features: [{ name: 'f', type: 'int64' }], entities: unknown };
    requestProblems([entities[0], { ...view, entities: unknown.slice(0, 1) }]); // schemas compiled before the clock runs
    const started = performance.now();
    const problems = requestProblems([...entities, view]);
    expect(performance.now() - started).toBeLessThan(2000);
    const entityProblems = problems.filter((p) => p.path.startsWith('/entities/'));
    expect(entityProblems).toHaveLength(600);
    expect(entityProblems[0].message).toBe(`unknown entity '${unknown[0]}' (did you mean '${entities[0].name}'?)`);
    expect(entityProblems[599].message).toBe(`unknown entity '${unknown[599]}'`);
  });
});

describe('validateDefinitions of values nested thousands deep', () => {
  it('reports the definition as a problem, as loadDefinitions reports a file (it threw a RangeError: a 500 over HTTP)', () => {
    const deep = JSON.parse(`{"kind": "entity", "name": "x", "join_keys": [{"name": "k", "type": "string"}], "description": ${'['.repeat(5000)}${']'.repeat(5000)}}`) as unknown;
    const err = (() => { try { validateDefinitions([deep, { kind: 'entity', name: 'Y', join_keys: [{ name: 'k', type: 'string' }] }], tmpdir(), 'definitions'); } catch (e) { return e; } })();
    expect(err).toBeInstanceOf(DefinitionError);
    expect((err as DefinitionError).problems.map((p) => `${p.file} ${p.path}: ${p.message}`)).toEqual([
      expect.stringMatching(/^definitions\[0\] : values nested too deeply \(/),
      expect.stringMatching(/^definitions\[1\] \/name: /),
    ]);
  });
});
