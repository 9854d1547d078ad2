/**
 * The shipped JSON Schemas as other tools use them (the README's Ajv recipe, editors), and their agreement
 * with the loader on durations: a `0` written unquoted is valid for both, for every duration setting.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { schemasDir } from '../schemas.js';
import { DURATION_KEYS } from './define.js';
import { loadConfig, validateDefinitions } from './loader.js';
import { DURATION_FORMAT } from './ttl.js';

const addFormats = addFormatsModule as unknown as typeof addFormatsModule.default;
const dir = schemasDir();
const files = (sub = ''): string[] =>
  readdirSync(join(dir, sub), { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? files(join(sub, e.name)) : e.name.endsWith('.schema.json') ? [join(sub, e.name)] : [],
  );
const schemas = files().map((f) => JSON.parse(readFileSync(join(dir, f), 'utf8')) as { $id: string });

/** The README's "Editor support" recipe, word for word. */
function readmeAjv(): Ajv2020 {
  const ajv = new Ajv2020({ allowUnionTypes: true, discriminator: true, keywords: ['errorMessage'], formats: { 'featureguard-duration': true } });
  addFormats(ajv);
  for (const s of schemas) ajv.addSchema(s);
  return ajv;
}

type Schema = { format?: string; anyOf?: Schema[]; oneOf?: Schema[] };

/** Names of the properties whose schema (or one of its alternatives) has the duration format. */
function durationProperties(node: unknown, out = new Set<string>()): Set<string> {
  if (Array.isArray(node)) for (const n of node) durationProperties(n, out);
  else if (node && typeof node === 'object') {
    const props = (node as { properties?: Record<string, Schema> }).properties;
    const isDuration = (s: Schema) => s.format === DURATION_FORMAT || [...(s.anyOf ?? []), ...(s.oneOf ?? [])].some(isDuration);
    for (const [k, v] of Object.entries(props ?? {})) if (isDuration(v)) out.add(k);
    for (const v of Object.values(node)) durationProperties(v, out);
  }
  return out;
}

/** Where each duration setting is written with 0, as featureguard.yaml (or a view, for ttl). */
const ZERO_CASES: Record<string, { config?: string; view?: Record<string, unknown> }> = {
  ttl: { view: { ttl: 0 } },
  allowed_lateness: { view: { allowed_lateness: 0 } },
  max_clock_skew: { config: 'quality:\n  provenance: {max_clock_skew: 0}\n' },
  landing_delay: { config: 'quality:\n  provenance: {landing_delay: 0}\n' },
  max_staleness: { config: 'quality:\n  anomaly: {max_staleness: 0}\n' },
  min_interval: { config: 'alerts:\n  - {name: a, url: "http://127.0.0.1:8/x", min_interval: 0}\n' },
  redeliver_for: { config: 'alerts:\n  - {name: a, url: "http://127.0.0.1:8/x", redeliver_for: 0}\n' },
};

const root = mkdtempSync(join(tmpdir(), 'fg-durations-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('the shipped JSON Schemas', () => {
  it('compile with the README recipe, every one of them', () => {
    const readme = readFileSync(join(dir, '..', 'README.md'), 'utf8').replace(/\s+/g, ' ');
    const recipe = "new Ajv2020({ allowUnionTypes: true, discriminator: true, keywords: ['errorMessage'], formats: { 'featureguard-duration': true } }); addFormats(ajv);";
    expect(readme.includes(recipe), `the README's recipe is ${recipe}`).toBe(true);
    const ajv = readmeAjv();
    for (const s of schemas) expect(() => ajv.getSchema(s.$id), s.$id).not.toThrow();
  });

  it('list every duration setting the loader reads unquoted 0 for', () => {
    expect([...durationProperties(schemas)].sort()).toEqual([...DURATION_KEYS].sort());
    expect(Object.keys(ZERO_CASES).sort()).toEqual([...DURATION_KEYS].sort());
  });

  it.each(Object.entries(ZERO_CASES))('agree with the loader that %s: 0 is valid', (key, { config, view }) => {
    const ajv = readmeAjv();
    if (config !== undefined) {
      const text = `project: p\n${config}`;
      const validate = ajv.getSchema('https://featureguard.dev/schemas/project.schema.json')!;
      expect(validate(parse(text)), `${key}: ${JSON.stringify(validate.errors)}`).toBe(true);
      writeFileSync(join(root, 'featureguard.yaml'), text);
      // The loader reads it as the text '0', as it reads a view's `ttl: 0`.
      expect(JSON.stringify(loadConfig(root))).toContain(`"${key}":"0"`);
    } else {
      const def = { kind: 'feature_view', name: 'v', entities: ['e'], source: 's', features: [{ name: 'x', type: 'int64' }], ...view };
      const validate = ajv.getSchema('https://featureguard.dev/schemas/definition.schema.json')!;
      expect(validate(def), `${key}: ${JSON.stringify(validate.errors)}`).toBe(true);
      const others = [{ kind: 'entity', name: 'e', join_keys: [{ name: 'k', type: 'string' }] }, { kind: 'source', name: 's', path: 'a.parquet', timestamp_field: 'ts' }];
      expect(validateDefinitions([...others, def], root).find((d) => d.kind === 'feature_view')).toMatchObject({ [key]: '0' });
    }
  });
});
