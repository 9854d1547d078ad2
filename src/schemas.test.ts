import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { createRequire } from 'node:module';
import { schemaFile, schemaNames, schemaObject, schemaValidator, schemasDir } from './schemas.js';

/** Every entry under `properties` (recursively) must carry a description. */
function undocumented(node: unknown, path: string, out: string[]): string[] {
  if (Array.isArray(node)) node.forEach((n, i) => undocumented(n, `${path}/${i}`, out));
  else if (node && typeof node === 'object') {
    const obj = node as Record<string, unknown>;
    if (obj.properties && typeof obj.properties === 'object') {
      for (const [k, v] of Object.entries(obj.properties as Record<string, unknown>)) {
        if (!v || typeof v !== 'object' || typeof (v as { description?: unknown }).description !== 'string') out.push(`${path}/properties/${k}`);
      }
    }
    for (const [k, v] of Object.entries(obj)) undocumented(v, `${path}/${k}`, out);
  }
  return out;
}

const DEFINITION_SCHEMAS = ['entity', 'source', 'feature_view', 'feature_service', 'project', 'definition'];

describe('schemas', () => {
  it('loads every definition schema and compiles it in strict mode', () => {
    const names = schemaNames();
    for (const n of DEFINITION_SCHEMAS) {
      expect(names).toContain(n);
      expect(typeof schemaValidator(n)).toBe('function');
      expect(schemaObject(n).$id).toBe(`https://featureguard.dev/schemas/${n}.schema.json`);
    }
  });

  it('has valid schemas (checked against their meta-schemas)', () => {
    const meta = new Ajv2020({ strict: false });
    meta.addMetaSchema(createRequire(import.meta.url)('ajv/dist/refs/json-schema-draft-07.json'));
    for (const n of schemaNames()) {
      const raw = JSON.parse(readFileSync(schemaFile(n), 'utf8'));
      expect(meta.validateSchema(raw), `${n}: ${JSON.stringify(meta.errors)}`).toBe(true);
    }
  });

  it('documents every property of the definition schemas', () => {
    for (const n of DEFINITION_SCHEMAS) {
      const raw = JSON.parse(readFileSync(join(schemasDir(), `${n}.schema.json`), 'utf8'));
      expect(undocumented(raw, n, [])).toEqual([]);
    }
  });

  it('validates a feature view and resolves the quality $ref', () => {
    const v = schemaValidator('feature_view');
    const good = { kind: 'feature_view', name: 'airport_hourly', entities: ['airport'], source: 's', ttl: '6h', features: [{ name: 'x', type: 'float64', min: 0 }], quality: {} };
    expect(v(good)).toBe(true);
    expect(v({ ...good, name: 'a;drop table x' })).toBe(false);
    expect(v.errors?.[0]?.instancePath).toBe('/name');
    expect(v({ ...good, ttl: '6 hours' })).toBe(false);
    expect(v({ ...good, quality: 'strict' })).toBe(false);
  });

  it('dispatches on kind in the combined definition schema', () => {
    const v = schemaValidator('definition');
    expect(v({ kind: 'entity', name: 'a', join_keys: [{ name: 'k', type: 'string' }] })).toBe(true);
    expect(v({ kind: 'entity', name: 'a', join_keys: [{ name: 'k', type: 'float64' }] })).toBe(false);
    expect(v({ kind: 'feature_service', name: 'a', features: ['v'] })).toBe(true);
    expect(v({ kind: 'view', name: 'a' })).toBe(false);
  });

  it('requires exactly one kind of location in a source', () => {
    const v = schemaValidator('source');
    const base = { kind: 'source', name: 's', timestamp_field: 'ts' };
    expect(v({ ...base, path: 'a.parquet' })).toBe(true);
    expect(v({ ...base, database: 'a.duckdb', table: 't' })).toBe(true);
    expect(v({ ...base, query: 'select 1' })).toBe(true);
    expect(v({ ...base })).toBe(false);
    expect(v({ ...base, path: 'a.parquet', query: 'select 1' })).toBe(false);
    expect(v({ ...base, database: 'a.duckdb' })).toBe(false);
  });
  it('refuses integer bounds beyond ±(2^53 − 1) of integer features, as validate does (they are read inexactly)', () => {
    const v = schemaValidator('feature_view');
    const view = (f: object) => ({ kind: 'feature_view', name: 'v', entities: ['e'], source: 's', features: [{ name: 'x', ...f }] });
    for (const type of ['int64', 'int32']) {
      // JSON.parse reads 9007199254740993 as 9007199254740992: one past the safe range.
      for (const f of JSON.parse(`[{"max": 9007199254740993}, {"min": -9007199254740993}, {"allowed_values": [1, 9007199254740993]}]`) as object[]) {
        expect(v(view({ type, ...f })), `${type} ${JSON.stringify(f)}`).toBe(false);
      }
      expect(v(view({ type, min: -9007199254740991, max: 9007199254740991, allowed_values: [9007199254740991, 'x'] }))).toBe(true);
    }
    // A float bound is not an integer read inexactly: validate takes it, and so does the schema.
    expect(v(view({ type: 'float64', max: 1e300, allowed_values: [1e20] }))).toBe(true);
  });
});
