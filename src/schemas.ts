/**
 * The JSON Schemas shipped in the package's `schemas/` folder (definitions, the
 * project config, API request bodies), loaded once into one ajv instance so every
 * `$ref` between them resolves. Works from `src/` (vitest, tsx) and from `dist/`.
 *
 * @example
 * const validate = schemaValidator('feature_view');
 * if (!validate(value)) console.log(validate.errors);
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv2020, type AnySchemaObject, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { createRequire } from 'node:module';
import { DURATION_FORMAT, durationWithinLimit } from './definitions/ttl.js';

/** Base URL of every schema `$id`. */
export const SCHEMA_BASE_URL = 'https://featureguard.dev/schemas/';

// ajv-formats is CommonJS: under NodeNext its default import is `module.exports`.
const addFormats = addFormatsModule as unknown as typeof addFormatsModule.default;
const draft7MetaSchema = createRequire(import.meta.url)('ajv/dist/refs/json-schema-draft-07.json') as AnySchemaObject;

let cached: { ajv: Ajv2020; ids: Map<string, string>; files: Map<string, string> } | undefined;

/** Absolute path of the package's `schemas/` folder (the nearest one above this module). */
export function schemasDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = join(dir, 'schemas');
    if (existsSync(join(candidate, 'feature_view.schema.json'))) return candidate;
    const up = dirname(dir);
    if (up === dir) throw new Error(`featureguard: schemas/ folder not found above ${fileURLToPath(import.meta.url)}`);
    dir = up;
  }
}

function listSchemaFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    const full = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...listSchemaFiles(full));
    else if (entry.name.endsWith('.schema.json')) out.push(full);
  }
  return out;
}

function load(): NonNullable<typeof cached> {
  if (cached) return cached;
  const dir = schemasDir();
  // validateSchema: false skips compiling the meta-schemas at startup (about 90 ms); schemas.test.ts
  // validates every schema against its meta-schema instead.
  const ajv = new Ajv2020({
    allErrors: true, strict: true, strictRequired: false, allowUnionTypes: true, verbose: true, discriminator: true, validateSchema: false,
    // The quality schema is referenced from four places: compile it once instead of inlining it (~40% faster startup).
    inlineRefs: false,
  });
  addFormats(ajv);
  // A duration the pattern accepts but that is too long to compute with (the pattern reports malformed ones).
  ajv.addFormat(DURATION_FORMAT, { type: 'string', validate: (text) => !/^[0-9]+[smhd]$/.test(text) || durationWithinLimit(text) });
  // The custom message editors show (VS Code's JSON and YAML language servers) where a schema refuses with `not`,
  // `enum` or `pattern`; schema-validation.ts shows it too. An annotation: it validates nothing.
  ajv.addKeyword({ keyword: 'errorMessage', schemaType: 'string' });
  // Some schemas (e.g. written by hand or generated) declare draft-07; allow them next to 2020-12 ones.
  ajv.addMetaSchema(draft7MetaSchema);
  const ids = new Map<string, string>();
  const files = new Map<string, string>();
  for (const file of listSchemaFiles(dir)) {
    const rel = relative(dir, file).split(sep).join('/');
    const schema = JSON.parse(readFileSync(file, 'utf8')) as AnySchemaObject;
    const id = typeof schema.$id === 'string' ? schema.$id : `${SCHEMA_BASE_URL}${rel}`;
    ajv.addSchema({ ...schema, $id: id });
    ids.set(rel.slice(0, -'.schema.json'.length), id);
    files.set(rel.slice(0, -'.schema.json'.length), file);
  }
  cached = { ajv, ids, files };
  return cached;
}

/**
 * Names of all loaded schemas: the file path under `schemas/` without
 * `.schema.json`, e.g. `feature_view`, `api/online_features`.
 */
export function schemaNames(): string[] {
  return [...load().ids.keys()];
}

/** The `$id` of a schema given its name (`feature_view`) or its `$id`. */
export function schemaId(name: string): string {
  const { ids } = load();
  const id = ids.get(name) ?? ([...ids.values()].includes(name) ? name : undefined);
  if (!id) throw new Error(`featureguard: unknown schema '${name}' (known: ${[...ids.keys()].join(', ')})`);
  return id;
}

/** Absolute path of a schema file given its name (`feature_view`, `api/push`). */
export function schemaFile(name: string): string {
  const file = load().files.get(name);
  if (!file) throw new Error(`featureguard: unknown schema '${name}'`);
  return file;
}

/** The parsed schema object (as loaded, with its `$id`). */
export function schemaObject(name: string): AnySchemaObject {
  const entry = load().ajv.getSchema(schemaId(name));
  return entry!.schema as AnySchemaObject;
}

/**
 * A compiled validator (all errors, strict mode, verbose errors) for a schema
 * given by name (`feature_view`, `project`, `api/push`) or `$id`. Compiled once.
 */
export function schemaValidator<T = unknown>(name: string): ValidateFunction<T> {
  const { ajv } = load();
  const validate = ajv.getSchema<T>(schemaId(name));
  if (!validate) throw new Error(`featureguard: schema '${name}' failed to compile`);
  return validate;
}
