/**
 * Validate a value against one of the package's JSON Schemas and translate ajv's
 * errors into sentences a user understands, each with the JSON path it is about.
 * (Never an ajv dump: `unknown property 'jion_keys' (did you mean 'join_keys'?)`.)
 */
import type { ErrorObject } from 'ajv/dist/2020.js';
import { schemaValidator } from '../schemas.js';
import { DURATION_FORMAT, DURATION_PATTERN, tooLongMessage, zeroDuration } from './ttl.js';
import { didYouMean } from './suggest.js';
import { pointerToken } from '../json-pointer.js';

/**
 * The name rule of every registry object. `__fg_` starts featureguard's own columns in the SQL beside the
 * features and keys (`__fg_ets`, a dataset's hidden columns), and the guards leave such columns out: a feature
 * of that name would pass every profile check unread, or be mistaken for one of them.
 */
export const NAME_PATTERN = '^(?!__fg_)[a-z_][a-z0-9_]{0,62}$';
const RESERVED_NAME_PREFIX = '__fg_';
export const NAME_RULE = 'names use 1-63 lowercase letters, digits and underscores and start with a letter or underscore';

/** One schema violation: where (JSON pointer) and what, in words. */
export interface SchemaProblem {
  /** JSON pointer inside the validated value, e.g. `/features/1/type`. */
  readonly path: string;
  readonly message: string;
  /** The problem is about a key (unknown property): point at the key, not its value. */
  readonly atKey?: boolean;
}

type Schema = Record<string, unknown>;

/** Validate `value` against the schema `name` (`feature_view`, `project`, ...). */
export function validateWithSchema(name: string, value: unknown): SchemaProblem[] {
  const validate = schemaValidator(name);
  if (validate(value)) return [];
  const seen = new Set<string>();
  return translateErrors(validate.errors ?? []).filter((p) => {
    const key = `${p.path}\n${p.message}`;
    return seen.has(key) ? false : (seen.add(key), true);
  });
}

/** Translate a list of ajv errors (collapsing oneOf/anyOf to the branch that fits the data). */
export function translateErrors(errors: readonly ErrorObject[]): SchemaProblem[] {
  const out: SchemaProblem[] = [];
  const consumed = new Set<ErrorObject>();
  for (const e of errors) {
    if (e.keyword !== 'if' || consumed.has(e)) continue;
    // `if`/`then` (a constraint that does not fit the feature's type): the `then` errors say which key and why, with
    // the type the `if` tested; the `if` error itself only says 'must match "then" schema'.
    consumed.add(e);
    const base = e.schemaPath.slice(0, -'/if'.length);
    const type = e.data !== null && typeof e.data === 'object' ? (e.data as Record<string, unknown>).type : undefined;
    for (const x of errors) {
      if (consumed.has(x) || !x.schemaPath.startsWith(`${base}/then/`) || !isWithin(x.instancePath, e.instancePath)) continue;
      consumed.add(x);
      const p = translateOne(x);
      out.push(typeof type === 'string' ? { ...p, message: `${p.message} (this one is ${type})` } : p);
    }
  }
  for (const e of errors) {
    if (consumed.has(e) || (e.keyword !== 'oneOf' && e.keyword !== 'anyOf')) continue;
    // Referenced schemas are compiled separately, so schema paths repeat across instances: match both.
    const inner = errors.filter((x) => x !== e && x.schemaPath.startsWith(`${e.schemaPath}/`) && isWithin(x.instancePath, e.instancePath));
    for (const x of inner) consumed.add(x);
    out.push(...translateAlternatives(e, inner));
    consumed.add(e);
  }
  for (const e of errors) if (!consumed.has(e)) out.push(translateOne(e));
  return out;
}

function isWithin(path: string, parent: string): boolean {
  return path === parent || path.startsWith(`${parent}/`);
}

function translateAlternatives(e: ErrorObject, inner: ErrorObject[]): SchemaProblem[] {
  const branches = (Array.isArray(e.schema) ? e.schema : []) as Schema[];
  const path = e.instancePath;
  const passing = (e.params as { passingSchemas?: number[] | null }).passingSchemas;
  if (branches.length > 0 && branches.every(isRequiredOnly)) {
    const message = exactlyOneMessage(branches, e.data, passing);
    return message === undefined ? [] : [{ path, message }];
  }
  if (passing) return [{ path, message: `matches more than one allowed form (${e.keyword} branches ${passing.join(', ')})` }];
  // `ttl: 3600`: the number branch (`0`) fits the type, but "must be 0" hides that the unit is what is missing.
  if (typeof e.data === 'number' && branches.some((b) => b.pattern === DURATION_PATTERN)) return [{ path, message: unitlessDuration(e.data, path) }];
  const fitting = branches
    .map((b, i) => ({ b, errs: inner.filter((x) => x.schemaPath.startsWith(`${e.schemaPath}/${i}/`)) }))
    .filter(({ b }) => fitsType(b, e.data));
  if (fitting.length > 0) {
    fitting.sort((a, b) => a.errs.length - b.errs.length);
    return translateErrors(fitting[0].errs);
  }
  return [{ path, message: `must be ${branches.map(describeSchema).join(' or ')} (got ${show(e.data)})` }];
}

/** A duration written as a bare number other than 0: which unit is meant is not known, so show both readings of seconds. */
function unitlessDuration(n: number, path: string): string {
  const seconds = Number.isSafeInteger(n) && n > 0 ? n : undefined;
  const unit = seconds === undefined ? undefined : ([[86_400, 'd'], [3_600, 'h'], [60, 'm']] as const).find(([size]) => seconds % size === 0);
  const examples = seconds === undefined ? '6h' : `${seconds}s${unit ? ` or ${seconds / unit[0]}${unit[1]}` : ''}`;
  return `a duration needs a unit, e.g. ${examples} (got ${show(n)}); or use ${zeroDuration(path)}`;
}

function isRequiredOnly(s: Schema): boolean {
  return Object.keys(s).every((k) => k === 'required' || k === 'description');
}

/** One sentence for "exactly one of these groups of properties"; undefined when a partial group is reported elsewhere. */
function exactlyOneMessage(branches: Schema[], data: unknown, passing: number[] | null | undefined): string | undefined {
  const forms = branches.map((b) => (b.required as string[]).map((r) => `'${r}'`).join(' + '));
  const list = `${forms.slice(0, -1).join(', ')} or ${forms[forms.length - 1]}`;
  const present = data && typeof data === 'object' ? Object.keys(data) : [];
  const all = new Set(branches.flatMap((b) => b.required as string[]));
  const found = present.filter((k) => all.has(k));
  if (passing && passing.length > 1) return `set only one of ${list} (found ${found.map((f) => `'${f}'`).join(' and ')})`;
  if (found.length === 0) return `must set one of ${list} to say where the rows come from`;
  // Only part of one group is set (e.g. `database` without `table`): dependentRequired says which.
  return undefined;
}

function jsonType(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v;
}

function typeMatches(t: string, v: unknown): boolean {
  const actual = jsonType(v);
  return t === actual || (t === 'number' && actual === 'integer');
}

function fitsType(s: Schema, v: unknown): boolean {
  if (s.type !== undefined) return (Array.isArray(s.type) ? s.type : [s.type]).some((t) => typeMatches(String(t), v));
  if ('const' in s) return jsonType(s.const) === jsonType(v) || (typeof s.const === 'number' && typeof v === 'number');
  if (Array.isArray(s.enum)) return s.enum.some((x) => typeof x === typeof v);
  return true;
}

const TYPE_WORDS: Record<string, string> = {
  string: 'text',
  integer: 'a whole number',
  number: 'a number',
  boolean: 'true or false',
  array: 'a list',
  object: 'a mapping (key: value pairs)',
  null: 'empty',
};

function describeSchema(s: Schema): string {
  if ('const' in s) return show(s.const);
  if (Array.isArray(s.enum)) return `one of ${s.enum.join(', ')}`;
  if (s.type !== undefined) return (Array.isArray(s.type) ? s.type : [s.type]).map((t) => TYPE_WORDS[String(t)] ?? String(t)).join(' or ');
  return 'another form';
}

/** A value as shown in a message: `'text'`, `5`, `a list`, `nothing`. */
export function show(v: unknown): string {
  if (v === null || v === undefined) return 'nothing (an empty value)';
  if (typeof v === 'string') return `'${v.length > 60 ? `${v.slice(0, 57)}...` : v}'`;
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  return String(v);
}

function child(path: string, key: string | number): string {
  return `${path}/${pointerToken(String(key))}`;
}

function patternMessage(pattern: string, data: unknown, path: string): string {
  const value = String(data);
  if (pattern === NAME_PATTERN) {
    if (value.startsWith(RESERVED_NAME_PREFIX)) {
      return `'${value}' is not a valid name: names starting with '${RESERVED_NAME_PREFIX}' are reserved for featureguard's own columns; rename it, e.g. '${value.replace(/^_+/, '')}' (field_mapping can rename source columns)`;
    }
    const fixed = value.toLowerCase().replace(/[^a-z0-9_]+/g, '_').slice(0, 63);
    const hint = /^[a-z_][a-z0-9_]{0,62}$/.test(fixed) && fixed !== value ? ` (e.g. '${fixed}')` : '';
    return `'${value}' is not a valid name: ${NAME_RULE}${hint}`;
  }
  if (pattern === DURATION_PATTERN) return `'${value}' is not a valid duration: use ${zeroDuration(path)} or a whole number with unit s, m, h or d, e.g. 6h`;
  if (pattern.includes(':([a-z_]')) return `'${value}' is not a valid feature reference: use 'view', 'view:*' or 'view:feature' (${NAME_RULE})`;
  if (pattern.includes('}:[a-z_]')) return `'${value}' is not a valid label reference: use 'label_view:feature' (${NAME_RULE})`;
  if (pattern.startsWith('^[A-Za-z_][A-Za-z0-9_]*(\\.')) return `'${value}' is not a valid table name: use 'table' or 'schema.table' (letters, digits, underscores)`;
  if (pattern === '^[A-Za-z_][A-Za-z0-9_]*$') return `'${value}' is not a valid environment variable name`;
  if (pattern.startsWith('^(previous')) return `'${value}' is not a valid drift reference: use 'previous', 'previous:<n>' (the last n successful runs, n from 1 to 99) or 'baseline:<name>' (${NAME_RULE})`;
  return `'${value}' does not match the pattern ${pattern}`;
}

/** Keywords whose failure a schema's `errorMessage` (the editors' custom message) explains. */
const CUSTOM_MESSAGE_KEYWORDS = new Set(['not', 'enum', 'pattern']);

function translateOne(e: ErrorObject): SchemaProblem {
  const p = e.params as Record<string, unknown>;
  const path = e.instancePath;
  const custom = (e.parentSchema as Schema | undefined)?.errorMessage;
  if (typeof custom === 'string' && CUSTOM_MESSAGE_KEYWORDS.has(e.keyword)) {
    // An enum of names (alert checks) still gets its "did you mean".
    const hint = e.keyword === 'enum' && typeof e.data === 'string' ? didYouMean(e.data, (p.allowedValues as unknown[]).map(String)) : '';
    // The value is named for an enum (a check name), never for a pattern (a Redis URL may hold a password).
    return { path, message: `${typeof e.data === 'string' && e.keyword === 'enum' ? `${show(e.data)}: ` : ''}${custom}${hint}` };
  }
  switch (e.keyword) {
    case 'required':
      return { path: child(path, String(p.missingProperty)), message: `missing required property '${String(p.missingProperty)}'` };
    case 'additionalProperties': {
      const prop = String(p.additionalProperty);
      const allowed = Object.keys(((e.parentSchema as Schema | undefined)?.properties ?? {}) as Schema);
      const hint = didYouMean(prop, allowed) || (allowed.length > 0 ? ` (allowed: ${allowed.join(', ')})` : '');
      return { path: child(path, prop), message: `unknown property '${prop}'${hint}`, atKey: true };
    }
    case 'enum': {
      const values = (p.allowedValues as unknown[]).map(String);
      const hint = typeof e.data === 'string' ? didYouMean(e.data, values) : '';
      return { path, message: `must be one of ${values.join(', ')} (got ${show(e.data)})${hint}` };
    }
    case 'const':
      return { path, message: `must be ${show(p.allowedValue)} (got ${show(e.data)})` };
    case 'type': {
      const types = String(p.type).split(',');
      return { path, message: `must be ${types.map((t) => TYPE_WORDS[t] ?? t).join(' or ')} (got ${show(e.data)})` };
    }
    case 'pattern':
      return { path, message: patternMessage(String(p.pattern), e.data, path) };
    case 'minItems':
      return { path, message: Number(p.limit) === 1 ? 'must list at least one item (the list is empty)' : `must list at least ${String(p.limit)} items` };
    case 'maxItems':
      return { path, message: `must list at most ${String(p.limit)} items` };
    case 'uniqueItems': {
      const list = Array.isArray(e.data) ? e.data : [];
      const [first, again] = [Math.min(Number(p.i), Number(p.j)), Math.max(Number(p.i), Number(p.j))];
      return { path: child(path, again), message: `${show(list[again])} is listed twice (items ${first} and ${again})` };
    }
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum':
      return { path, message: `must be ${String(p.comparison)} ${String(p.limit)} (got ${show(e.data)})` };
    case 'minLength':
      return { path, message: Number(p.limit) === 1 ? 'must not be empty' : `must have at least ${String(p.limit)} characters` };
    case 'maxLength':
      return { path, message: `must have at most ${String(p.limit)} characters` };
    case 'format':
      if (p.format === DURATION_FORMAT) return { path, message: tooLongMessage(String(e.data), path) };
      return { path, message: p.format === 'regex' ? `${show(e.data)} is not a valid regular expression` : `${show(e.data)} is not a valid ${String(p.format)}` };
    case 'dependentRequired':
    case 'dependencies':
      return { path: child(path, String(p.property)), message: `'${String(p.property)}' needs '${String(p.missingProperty)}' to be set too`, atKey: true };
    case 'propertyNames':
      return { path, message: `invalid key '${String(p.propertyName)}'` };
    case 'discriminator': {
      const tag = String(p.tag);
      const value = e.data && typeof e.data === 'object' ? (e.data as Record<string, unknown>)[tag] : undefined;
      const options = ((e.parentSchema as Schema | undefined)?.oneOf as Schema[] | undefined)
        ?.map((b) => ((b.properties as Schema | undefined)?.[tag] as Schema | undefined)?.const)
        .filter((c) => c !== undefined)
        .map(String) ?? [];
      return { path: child(path, tag), message: `must be one of ${options.join(', ')} (got ${show(value)})` };
    }
    default:
      return { path, message: e.message ?? `is invalid (${e.keyword})` };
  }
}
