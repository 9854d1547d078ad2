/**
 * What `validate` says of four mistakes a reviewer made: a data file left in the definitions folder, a renamed
 * feature (its column is still there, under the old name), an object with both a schema error and a bad reference,
 * and a definitions folder that does not exist.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { DuckDBInstance } from '@duckdb/node-api';
import { checkSources } from '../../src/definitions/source-check.js';
import { loadConfig, loadDefinitions, validateDefinitions } from '../../src/definitions/loader.js';
import { DefinitionError, type DefinitionProblem } from '../../src/errors.js';
import { literal } from '../../src/offline/engine.js';
import { tempDir } from '../helpers/temp-dir.js';

const DEFS = `kind: entity
name: airport
join_keys: [{name: origin, type: string}]
---
kind: source
name: hourly_source
path: data/hourly.parquet
timestamp_field: hour_end
---
kind: feature_view
name: hourly
entities: [airport]
source: hourly_source
features:
  - {name: departures, type: int64}
  - {name: mean_delay, type: float64}
  - {name: p90_delay, type: float64}
`;

/** A project with `features/defs.yaml` (DEFS) and the given files over it. */
function project(files: Record<string, string>): string {
  const root = tempDir('fg-def-errors-');
  mkdirSync(join(root, 'features'));
  mkdirSync(join(root, 'data'));
  writeFileSync(join(root, 'featureguard.yaml'), 'project: demo\n');
  writeFileSync(join(root, 'features', 'defs.yaml'), DEFS);
  for (const [name, text] of Object.entries(files)) writeFileSync(join(root, name), text);
  return root;
}

/** The problems `loadConfig` + `loadDefinitions` throw (none: an empty list). */
function problemsOf(root: string): DefinitionProblem[] {
  try {
    loadDefinitions(root, loadConfig(root));
    return [];
  } catch (e) {
    if (!(e instanceof DefinitionError)) throw e;
    return e.problems;
  }
}

describe('a data file in the definitions folder', () => {
  it('is one problem naming the file, not one per row, and says to move it', () => {
    const rows = Array.from({ length: 20_000 }, (_, i) => ({ origin: 'ATL', hour_end: '2001-01-01T00:00:00Z', departures: i }));
    const root = project({ 'features/sample_rows.json': JSON.stringify(rows, null, 1) });
    const problems = problemsOf(root);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ file: 'features/sample_rows.json', path: '', line: 1 });
    expect(problems[0].message).toBe('none of the 20000 items of features/sample_rows.json has a kind: is it a data file? move it outside the definitions folder (definitions: in featureguard.yaml)');
  });

  it('in YAML (documents without a kind) as well', () => {
    const root = project({ 'features/rows.yaml': 'origin: ATL\ndepartures: 1\n---\norigin: SEA\ndepartures: 2\n' });
    const problems = problemsOf(root);
    expect(problems.map((p) => p.message)).toEqual(['none of the 2 documents of features/rows.yaml has a kind: is it a data file? move it outside the definitions folder (definitions: in featureguard.yaml)']);
  });

  it('not for a few definitions whose kind was forgotten: each is named', () => {
    const root = project({ 'features/more.yaml': 'name: route\njoin_keys: [{name: dest, type: string}]\n---\nname: carrier\njoin_keys: [{name: code, type: string}]\n' });
    const problems = problemsOf(root);
    expect(problems.map((p) => [p.line, p.message.slice(0, 15)])).toEqual([[1, "missing 'kind':"], [4, "missing 'kind':"]]);
  });

  it("names each item of a JSON list by its index (/0, /1), not '/'", () => {
    const root = project({ 'features/x.json': '["oops", []]\n' });
    const problems = problemsOf(root);
    expect(problems.map((p) => [p.path, p.message])).toEqual([
      ['/0', "expected a definition (a mapping with kind: entity | source | feature_view | feature_service), got 'oops'"],
      ['/1', 'expected a definition (a mapping with kind: entity | source | feature_view | feature_service), got a list'],
    ]);
  });

  it("gives the paths of a list item's own problems from the file's root", () => {
    const root = project({
      'features/x.json': '[\n{"kind": "entity", "name": "a", "join_keys": [{"name": "k", "type": "string"}]},\n{"kind": "entity", "name": "b", "join_keys": "k"},\n{"kind": "feature_view", "name": "v", "entities": ["airprot"], "source": "hourly_source", "features": [{"name": "x", "type": "int64"}]}\n]\n',
    });
    const problems = problemsOf(root);
    expect(problems.map((p) => [p.line, p.path, p.object])).toEqual([
      [3, '/1/join_keys', 'entity b'],
      [4, '/2/entities/0', 'feature_view v'],
    ]);
  });

  it('lists at most 10 items without a kind in a file holding definitions too, then says how many more', () => {
    const items = [{ kind: 'entity', name: 'a', join_keys: [{ name: 'k', type: 'string' }] }, ...Array.from({ length: 25 }, (_, i) => ({ row: i }))];
    const root = project({ 'features/mixed.json': JSON.stringify(items, null, 1) });
    const problems = problemsOf(root);
    expect(problems).toHaveLength(11);
    expect(problems.slice(0, 10).map((p) => p.path)).toEqual(Array.from({ length: 10 }, (_, i) => `/${i + 1}`));
    expect(problems[0].message).toMatch(/^missing 'kind'/);
    // At the first item not listed.
    expect(problems[10]).toMatchObject({ file: 'features/mixed.json', path: '/11' });
    expect(problems[10].line).toBeGreaterThan(problems[9].line!);
    expect(problems[10].message).toBe('and 15 more items of features/mixed.json without a kind (25 of its 26 items have none; the first 10 are listed)');
  });

  it('over HTTP, items stay named definitions[i], one problem each', () => {
    let problems: DefinitionProblem[] = [];
    try {
      validateDefinitions(['oops', []], project({}), 'definitions');
    } catch (e) {
      problems = (e as DefinitionError).problems;
    }
    expect(problems.map((p) => [p.file, p.path])).toEqual([['definitions[0]', ''], ['definitions[1]', '']]);
  });
});

describe('an object with a schema error', () => {
  it('still has its references checked (an unknown source next to a mistyped min)', () => {
    const view = 'kind: feature_view\nname: late\nentities: [airprot]\nsource: hourly_sourc\nfeatures:\n  - {name: departures, type: int64, min: "0"}\n';
    const root = project({ 'features/late.yaml': view });
    const problems = problemsOf(root).map((p) => `${p.line} ${p.path}: ${p.message}`);
    expect(problems).toEqual([
      "3 /entities/0: unknown entity 'airprot' (did you mean 'airport'?)",
      "4 /source: unknown source 'hourly_sourc' (did you mean 'hourly_source'?)",
      '6 /features/0/min: must be a number (got \'0\')',
    ]);
  });

  it('a service: its unknown feature beside its schema error; fields of the wrong type are skipped', () => {
    const service = 'kind: feature_service\nname: svc\ndescription: 5\nfeatures: [hourly:mean_dealy, 7]\nlabel: 3\n';
    const problems = problemsOf(project({ 'features/svc.yaml': service })).map((p) => `${p.line} ${p.path}: ${p.message}`);
    expect(problems).toContain("4 /features/0: feature view 'hourly' has no feature 'mean_dealy' (did you mean 'mean_delay'?)");
    expect(problems.filter((p) => !/must be|must be a string|got/.test(p))).toEqual(["4 /features/0: feature view 'hourly' has no feature 'mean_dealy' (did you mean 'mean_delay'?)"]);
  });

  it("a service whose label names a label view but no feature: the form and the view's features, no crash", () => {
    const label = 'kind: feature_view\nname: outcome\nrole: label\nentities: [airport]\nsource: hourly_source\nfeatures:\n  - {name: delayed, type: bool}\n  - {name: late_minutes, type: int64}\n';
    const service = 'kind: feature_service\nname: svc\nfeatures: [hourly]\nlabel: outcome\n';
    const problems = problemsOf(project({ 'features/label.yaml': label, 'features/svc.yaml': service }));
    expect(problems.map((p) => `${p.file}:${p.line} ${p.path}: ${p.message}`)).toEqual([
      "features/svc.yaml:4 /label: 'outcome' is not a valid label reference: use 'label_view:feature' (names use 1-63 lowercase letters, digits and underscores and start with a letter or underscore)",
      "features/svc.yaml:4 /label: label 'outcome' names a view, not a feature: use the form view:feature, e.g. 'outcome:delayed' or 'outcome:late_minutes'",
    ]);
    // Over HTTP (the plan and apply routes) the same, not a TypeError.
    const defs = [
      { kind: 'entity', name: 'airport', join_keys: [{ name: 'origin', type: 'string' }] },
      { kind: 'source', name: 'hourly_source', path: 'data/hourly.parquet', timestamp_field: 'hour_end' },
      { kind: 'feature_view', name: 'outcome', role: 'label', entities: ['airport'], source: 'hourly_source', features: [{ name: 'delayed', type: 'bool' }] },
      { kind: 'feature_service', name: 'svc', features: [], label: 'outcome' },
    ];
    const err = (() => { try { validateDefinitions(defs, tempDir('fg-def-errors-'), 'definitions'); } catch (e) { return e; } })();
    expect(err).toBeInstanceOf(DefinitionError);
    expect((err as DefinitionError).problems.filter((p) => p.path === '/label' && !p.message.includes('not a valid label reference')).map((p) => `${p.file} ${p.path}: ${p.message}`)).toEqual([
      "definitions[3] /label: label 'outcome' names a view, not a feature: use the form view:feature, i.e. 'outcome:delayed'",
    ]);
  });

  it('a view whose source is no string: only the schema error', () => {
    const view = 'kind: feature_view\nname: late\nentities: airport\nsource: 5\nfeatures: [{name: x, type: int64}]\n';
    const problems = problemsOf(project({ 'features/late.yaml': view }));
    expect(problems.map((p) => p.path)).toEqual(['/entities', '/source']);
  });
});

describe('a definitions folder that does not exist', () => {
  it('is located at its line in featureguard.yaml', () => {
    const root = project({ 'featureguard.yaml': 'project: demo\n# where the definitions are\ndefinitions: feats\n' });
    const problems = problemsOf(root);
    expect(problems).toEqual([{ file: 'featureguard.yaml', line: 3, column: 14, path: '/definitions', message: "definitions folder 'feats' does not exist" }]);
  });
});

describe('a renamed feature whose column is still in the source', () => {
  let root: string;
  beforeAll(async () => {
    root = project({});
    const conn = await (await DuckDBInstance.create()).connect();
    await conn.run(`COPY (SELECT 'ATL' AS origin, TIMESTAMP '2001-01-01 01:00:00' AS hour_end, 3::BIGINT AS departures, 1.5::DOUBLE AS mean_delay,
      9.0::DOUBLE AS p90_delay, 'x' AS note) TO ${literal(join(root, 'data', 'hourly.parquet'))} (FORMAT parquet)`);
    conn.closeSync();
  });

  const sourceProblems = async (from: string, to: string, type?: string): Promise<string[]> => {
    const defs = validateDefinitions([
      { kind: 'entity', name: 'airport', join_keys: [{ name: 'origin', type: 'string' }] },
      { kind: 'source', name: 'hourly_source', path: 'data/hourly.parquet', timestamp_field: 'hour_end' },
      { kind: 'feature_view', name: 'hourly', entities: ['airport'], source: 'hourly_source', features: [{ name: 'departures', type: 'int64' }, { name: 'mean_delay', type: 'float64' }, { name: 'p90_delay', type: 'float64' }].map((f) => (f.name === from ? { name: to, type: type ?? f.type } : f)) },
    ], root);
    return (await checkSources(root, defs)).map((p) => p.message);
  };

  it('suggests mapping the unused column of its type to the new name, not a used column of a near name', async () => {
    expect(await sourceProblems('mean_delay', 'avg_delay')).toEqual([
      "feature 'avg_delay' is not a column of source 'hourly_source'; column 'mean_delay' (DOUBLE) is read by no view: if 'avg_delay' renames it, map it on source 'hourly_source': field_mapping: {mean_delay: avg_delay}",
    ]);
  });

  it('keeps the did-you-mean for a typo', async () => {
    expect(await sourceProblems('mean_delay', 'mean_dealy')).toEqual(["feature 'mean_dealy' is not a column of source 'hourly_source' (did you mean 'mean_delay'?)"]);
  });

  it('suggests no column of another type, nor one another feature reads', async () => {
    // The unused columns are DOUBLE (p90_delay, no longer read) and text (note): no bool among them.
    expect(await sourceProblems('p90_delay', 'late', 'bool')).toEqual(["feature 'late' is not a column of source 'hourly_source'"]);
    // departures renamed: its BIGINT column is the one unused of its type.
    expect(await sourceProblems('departures', 'flights')).toEqual([
      "feature 'flights' is not a column of source 'hourly_source'; column 'departures' (BIGINT) is read by no view: if 'flights' renames it, map it on source 'hourly_source': field_mapping: {departures: flights}",
    ]);
  });

  it('lists the unused columns of its type when there are several', async () => {
    // Both mean_delay and p90_delay are renamed: each new name is offered both columns.
    const defs = validateDefinitions([
      { kind: 'entity', name: 'airport', join_keys: [{ name: 'origin', type: 'string' }] },
      { kind: 'source', name: 'hourly_source', path: 'data/hourly.parquet', timestamp_field: 'hour_end' },
      { kind: 'feature_view', name: 'hourly', entities: ['airport'], source: 'hourly_source', features: [{ name: 'departures', type: 'int64' }, { name: 'avg_delay', type: 'float64' }] },
    ], root);
    expect((await checkSources(root, defs)).map((p) => p.message)).toEqual([
      "feature 'avg_delay' is not a column of source 'hourly_source'; columns 'mean_delay' (DOUBLE), 'p90_delay' (DOUBLE) are read by no view: if 'avg_delay' renames one, map it on source 'hourly_source': field_mapping: {COLUMN: avg_delay}",
    ]);
  });
});
