/**
 * A feature view's `allowed_lateness` as definitions take it: a duration like `ttl` (YAML's unquoted 0 too), refused
 * by `validate` and the shipped schema when it is no duration (file, path and reason), taken by the SDK builder, and
 * a non-breaking change in a plan that drops no online values (written as its default, or in another unit: no change).
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { defineEntity, defineFeatureView, defineSource } from '../../src/definitions/define.js';
import { loadConfig, loadDefinitions } from '../../src/definitions/loader.js';
import type { Definition, FeatureViewDef } from '../../src/definitions/types.js';
import { DefinitionError } from '../../src/errors.js';
import { computePlan } from '../../src/registry/plan.js';
import { schemasDir } from '../../src/schemas.js';
import { tempDir } from '../helpers/temp-dir.js';

const addFormats = addFormatsModule as unknown as typeof addFormatsModule.default;
const ENTITY = 'kind: entity\nname: e\njoin_keys: [{name: k, type: string}]\n';
const SOURCE = 'kind: source\nname: s\npath: data/x.parquet\ntimestamp_field: ts\n';
const viewDoc = (lateness: string) => `kind: feature_view\nname: v\nentities: [e]\nsource: s\nallowed_lateness: ${lateness}\nfeatures:\n  - {name: f, type: int64}\n`;

function load(lateness: string): { definitions?: Definition[]; problems?: { file: string; path: string; message: string }[] } {
  const root = tempDir('fg-lateness-');
  mkdirSync(join(root, 'features'));
  writeFileSync(join(root, 'featureguard.yaml'), 'project: p\n');
  writeFileSync(join(root, 'features', 'v.yaml'), `${ENTITY}---\n${SOURCE}---\n${viewDoc(lateness)}`);
  try {
    return { definitions: loadDefinitions(root, loadConfig(root)) };
  } catch (e) {
    if (!(e instanceof DefinitionError)) throw e;
    return { problems: e.problems.map((p) => ({ file: p.file.replace(`${root}/`, ''), path: p.path, message: p.message })) };
  }
}

describe('allowed_lateness in definitions', () => {
  it('is read as a duration, an unquoted 0 as "0"', () => {
    const lateness = (text: string) => (load(text).definitions!.find((d) => d.kind === 'feature_view') as FeatureViewDef).allowed_lateness;
    expect(lateness('2h')).toBe('2h');
    expect(lateness('30m')).toBe('30m');
    expect(lateness('0')).toBe('0');
  });

  it.each([
    ['-2h', "'-2h' is not a valid duration: use 0 (none: an incremental run starts where the last one ended) or a whole number with unit s, m, h or d, e.g. 6h"],
    ['2 hours', "'2 hours' is not a valid duration: use 0 (none: an incremental run starts where the last one ended) or a whole number with unit s, m, h or d, e.g. 6h"],
    ['7200', 'a duration needs a unit, e.g. 7200s or 2h (got 7200); or use 0 (none: an incremental run starts where the last one ended)'],
    ['-60', 'a duration needs a unit, e.g. 6h (got -60); or use 0 (none: an incremental run starts where the last one ended)'],
    ['36501d', "duration '36501d' is longer than 100 years (36500d); use 0 (none: an incremental run starts where the last one ended) or a shorter one"],
  ])('refuses %s with file, path and reason', (text, message) => {
    expect(load(text).problems).toEqual([{ file: 'features/v.yaml', path: '/allowed_lateness', message }]);
  });

  it('is refused by the shipped schema alone when it is no duration (as an editor validates)', () => {
    const ajv = new Ajv2020({ strict: false, allowUnionTypes: true, discriminator: true, logger: false });
    addFormats(ajv);
    for (const f of readdirSync(schemasDir()).filter((x) => x.endsWith('.schema.json'))) ajv.addSchema(JSON.parse(readFileSync(join(schemasDir(), f), 'utf8')));
    const validate = ajv.getSchema('https://featureguard.dev/schemas/feature_view.schema.json')!;
    expect(validate(parse(viewDoc('2h')))).toBe(true);
    expect(validate(parse(viewDoc('0')))).toBe(true);
    expect(validate(parse(viewDoc('-2h')))).toBe(false);
    expect(validate(parse(viewDoc('3600')))).toBe(false);
  });

  it('is taken by the SDK builder, 0 as "0"', () => {
    const v = defineFeatureView({ name: 'v', entities: ['e'], source: 's', allowed_lateness: 0, features: [{ name: 'f', type: 'int64' }] });
    expect(v.allowed_lateness).toBe('0');
    expect(defineFeatureView({ name: 'v', entities: ['e'], source: 's', allowed_lateness: '2h', features: [] }).allowed_lateness).toBe('2h');
  });
});

describe('a change of allowed_lateness in a plan', () => {
  const entity = defineEntity({ name: 'e', join_keys: [{ name: 'k', type: 'string' }] });
  const source = defineSource({ name: 's', path: 'data/x.parquet', timestamp_field: 'ts' });
  const view = (patch: Partial<FeatureViewDef> = {}) =>
    defineFeatureView({ name: 'v', entities: ['e'], source: 's', ttl: '6h', online: true, features: [{ name: 'f', type: 'int64' }], ...patch });
  const plan = (before: Partial<FeatureViewDef>, after: Partial<FeatureViewDef>) => {
    const p = computePlan([entity, source, view(before)], [entity, source, view(after)]);
    return { change: p.changes.find((c) => c.kind === 'feature_view')!, drops: p.drops, breaking: p.breaking };
  };

  it('is non-breaking and drops no online values', () => {
    const { change, drops, breaking } = plan({}, { allowed_lateness: '2h' });
    expect([change.action, change.breaking, drops, breaking]).toEqual(['change', [], [], false]);
    expect(change.changes).toEqual([{ path: '/allowed_lateness', before: undefined, after: '2h' }].map((c) => expect.objectContaining({ path: c.path })));
    expect(plan({ allowed_lateness: '2h' }, { allowed_lateness: '30m' })).toMatchObject({ change: { action: 'change', breaking: [] }, drops: [], breaking: false });
  });

  it('is no change when written as its default or in another unit', () => {
    expect(plan({}, { allowed_lateness: '0' }).change.action).toBe('unchanged');
    expect(plan({ allowed_lateness: '0s' }, {}).change.action).toBe('unchanged');
    expect(plan({ allowed_lateness: '1d' }, { allowed_lateness: '24h' }).change.action).toBe('unchanged');
  });
});
