/**
 * The problems of a request body that does not fit its route's schema (`schemas/api/`), from ajv's errors, in
 * words as a refused push's are (`push-problems.ts`): the type wanted and the type sent (`must be an array, got
 * string`), the allowed values and the value sent, what a name, a feature reference or a time looks like — never
 * a pattern's regular expression, `must be equal to constant`, or one problem per failed branch of a `oneOf`.
 * What the schema says in its own terms is said for every route alike: two fields of which a body gives one (a
 * `oneOf`/`anyOf` of `{required: [a], not: {required: [b]}}` and its mirror) as "give 'a' or 'b', not both", and
 * an unknown property first, with the field it likely meant (`meant`).
 *
 * @example
 * bodyProblems(validate.errors); // [{ path: '/format', message: "must be one of arrow, parquet, csv, json, got 'xlsx'" }]
 */
import type { ErrorObject } from 'ajv';
import { closest, didYouMean } from '../definitions/suggest.js';

/** One problem in a request body. */
export interface BodyProblem {
  readonly path: string;
  readonly message: string;
}

type Schema = Record<string, unknown>;

/** What a boolean of a Feast body may be (pydantic's lax mode, `laxBoolean`). */
export const LAX_BOOLEAN_WORDS = 'a boolean, 0 or 1, or a boolean as text (true, false, yes, no, on, off, 1, 0, t, f, y, n)';

/** The patterns of `schemas/api/`, said in words (the value sent follows). */
const PATTERN_WORDS = new Map<string, string>([
  ['^[a-z_][a-z0-9_]{0,62}$', 'a name (1-63 lowercase letters, digits and underscores, starting with a letter or underscore)'],
  ['^([a-z_][a-z0-9_]{0,62})?$', 'a name (1-63 lowercase letters, digits and underscores, starting with a letter or underscore) or an empty string'],
  ['^[a-z_][a-z0-9_]{0,62}(:([a-z_][a-z0-9_]{0,62}|\\*))?$', 'a feature reference (view, view:feature or view:*)'],
  ['^\\d{4}-\\d{2}-\\d{2}([Tt ]\\d{2}:\\d{2}(:\\d{2}(\\.\\d+)?)?([Zz]|[+-]\\d{2}:?\\d{2})?)?$', 'a date or a date and time (ISO 8601, e.g. 2001-01-01 or 2001-01-01T06:00:00Z)'],
  ['^\\s*([Tt][Rr][Uu][Ee]|[Ff][Aa][Ll][Ss][Ee]|[Yy][Ee][Ss]|[Nn][Oo]|[Oo][Nn]|[Oo][Ff][Ff]|[01TtFfYyNn])\\s*$', LAX_BOOLEAN_WORDS],
]);

const TYPE_WORDS: Record<string, string> = {
  string: 'a string', number: 'a number', integer: 'an integer', boolean: 'a boolean', array: 'an array', object: 'an object', null: 'null',
};

/** A JSON value's type as a message names what was sent (`got string`). */
function jsonType(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  return typeof v === 'bigint' ? 'number' : typeof v;
}

/** A value sent, as a message shows it: a string quoted (cut), a number as written, a list or object by its type. */
export function shown(v: unknown): string {
  if (typeof v === 'string') return `'${v.length > 60 ? `${v.slice(0, 57)}...` : v}'`;
  if (v === null || typeof v !== 'object') return String(v);
  return jsonType(v);
}

const typeWords = (types: readonly string[]) => {
  const words = [...new Set(types)].map((t) => TYPE_WORDS[t] ?? t);
  return words.length <= 2 ? words.join(' or ') : `${words.slice(0, -1).join(', ')} or ${words[words.length - 1]}`;
};

/**
 * The property an unknown one likely meant, of `names` (the object's properties): a near spelling (`closest`), or
 * else the one name it is the start or the end of, as a whole part (`service` for `feature_service`, `rows` for
 * `entity_rows`; none when two names end so) whose type takes the value sent (`fits`: `names: [...]` is not
 * `full_feature_names`, a boolean).
 */
export function meant(unknown: string, names: readonly string[], fits: (name: string) => boolean = () => true): string | undefined {
  const near = closest(unknown, names);
  if (near !== undefined) return near;
  const part = unknown.toLowerCase();
  if (part.length < 4) return undefined;
  const whole = names.filter((n) => (n.endsWith(`_${part}`) || n.startsWith(`${part}_`)) && fits(n));
  return whole.length === 1 ? whole[0] : undefined;
}

/** One error in words (`got` what was sent). */
function wordOne(e: ErrorObject): BodyProblem {
  const p = e.params as Record<string, unknown>;
  const path = e.instancePath || '/';
  switch (e.keyword) {
    case 'type':
      return { path, message: `must be ${typeWords(String(p.type).split(','))}, got ${jsonType(e.data)}` };
    case 'enum': {
      const values = (p.allowedValues as unknown[]).map(String);
      return { path, message: `must be one of ${values.join(', ')}, got ${shown(e.data)}${typeof e.data === 'string' ? didYouMean(e.data, values) : ''}` };
    }
    case 'const':
      return { path, message: `must be ${JSON.stringify(p.allowedValue)}, got ${shown(e.data)}` };
    case 'pattern':
      return { path, message: `must be ${PATTERN_WORDS.get(String(p.pattern)) ?? 'in the form its description gives (GET /openapi.json)'}, got ${shown(e.data)}` };
    case 'additionalProperties': {
      const prop = String(p.additionalProperty);
      const properties = ((e.parentSchema as Schema | undefined)?.properties ?? {}) as Record<string, unknown>;
      const sent = e.data !== null && typeof e.data === 'object' ? (e.data as Record<string, unknown>)[prop] : undefined;
      const fits = (name: string) => { const s = properties[name]; return s === null || typeof s !== 'object' || fitsType(s as Schema, sent); };
      const near = meant(prop, Object.keys(properties), fits);
      return { path, message: `unknown property '${prop}'${near === undefined ? '' : ` (did you mean '${near}'?)`}` };
    }
    case 'minItems':
      return { path, message: Number(p.limit) === 1 ? 'must not be empty' : `must have at least ${String(p.limit)} items, got ${Array.isArray(e.data) ? e.data.length : 0}` };
    case 'maxItems':
      return { path, message: `must have at most ${String(p.limit)} items, got ${Array.isArray(e.data) ? e.data.length : '?'}` };
    case 'minProperties': {
      const got = e.data !== null && typeof e.data === 'object' ? Object.keys(e.data).length : 0;
      // `entities` (a join key name -> its column) is the only object of `schemas/api/` with a least size.
      if (/\/entities$/.test(path) && Number(p.limit) === 1) return { path, message: 'must name at least one entity column' };
      return { path, message: Number(p.limit) === 1 ? 'must not be empty' : `must have at least ${String(p.limit)} properties, got ${got}` };
    }
    case 'maxProperties': {
      const got = e.data !== null && typeof e.data === 'object' ? Object.keys(e.data).length : '?';
      return { path, message: `must have at most ${String(p.limit)} properties, got ${got}` };
    }
    case 'uniqueItems': {
      // ajv names the later item first (`items ## 1 and 0 are identical`).
      const [first, second] = [Number(p.j), Number(p.i)].sort((a, b) => a - b);
      const item = Array.isArray(e.data) ? (e.data as unknown[])[first] : undefined;
      const what = typeof item === 'string' || typeof item === 'number' ? `names ${shown(item)} twice` : 'has the same item twice';
      return { path, message: `${what} (items ${first} and ${second})` };
    }
    case 'minLength':
      return { path, message: Number(p.limit) === 1 ? 'must not be empty' : `must have at least ${String(p.limit)} characters` };
    case 'maxLength':
      return { path, message: `must have at most ${String(p.limit)} characters` };
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum':
      return { path, message: `must be ${String(p.comparison)} ${String(p.limit)}, got ${shown(e.data)}` };
    case 'format':
      return { path, message: `must be a ${String(p.format)}, got ${shown(e.data)}` };
    default:
      // `required` ("must have required property 'entities'") and the rest: ajv's words, which name no pattern.
      return { path, message: e.message ?? `is invalid (${e.keyword})` };
  }
}

/** Whether a branch's schema takes a value of `v`'s type (what the value was meant to be). */
function fitsType(s: Schema, v: unknown): boolean {
  const t = jsonType(v);
  const same = (want: string) => want === t || (want === 'integer' && t === 'number');
  if (s.type !== undefined) return (Array.isArray(s.type) ? s.type : [s.type]).some((x) => same(String(x)));
  if ('const' in s) return jsonType(s.const) === t;
  if (Array.isArray(s.enum)) return s.enum.some((x) => jsonType(x) === t);
  return true;
}

const requiredOf = (s: Schema): string[] => (Array.isArray(s.required) ? (s.required as string[]) : []);
/** The properties a branch refuses beside its own (`not: {required: [...]}`). */
const refusedOf = (s: Schema): string[] => (s.not !== null && typeof s.not === 'object' ? requiredOf(s.not as Schema) : []);
const either = (forms: readonly string[]) => forms.join(', ').replace(/, ([^,]*)$/, ' or $1');
/** A branch's properties as a message names them (`'start' and 'end'`). */
const formOf = (s: Schema) => requiredOf(s).map((r) => `'${r}'`).join(' and ');

/**
 * A `oneOf`/`anyOf` that failed (`e`), with the errors of its branches (`inner`): for alternative sets of properties
 * of an object (entities or entity_rows), which one to give, or, given more than one of them where each branch
 * refuses the others (`not: {required}`) and no branch takes them together, to give one, not both; for
 * alternative forms of a value (a type or null, an int64 as a number or digits), the errors of the branch of the
 * value's type, or the types it may take.
 */
function wordAlternatives(e: ErrorObject, inner: readonly ErrorObject[], outside: boolean): BodyProblem[] {
  const branches = (Array.isArray(e.schema) ? e.schema : []) as Schema[];
  const path = e.instancePath || '/';
  const data = e.data;
  if (branches.length > 0 && branches.every((b) => requiredOf(b).length > 0) && data !== null && typeof data === 'object' && !Array.isArray(data)) {
    const has = (names: readonly string[]) => names.every((r) => Object.hasOwn(data, r));
    const given = branches.filter((b) => has(requiredOf(b)));
    // Exclusive sets given together: each given branch refuses another given set (materialize's `start` with
    // `incremental: false` is a branch of its own, so `start` and `incremental` are no such pair).
    if (given.length > 1 && given.every((b) => refusedOf(b).length > 0 && has(refusedOf(b)))) {
      const forms = [...new Set(given.map(formOf))];
      return [{ path, message: forms.length === 2 ? `give ${forms[0]} or ${forms[1]}, not both` : `give only one of ${either(forms)}` }];
    }
    // A branch that takes the properties of another and more (`start` and `incremental`) is not named apart.
    const wider = (b: Schema) => branches.some((o) => o !== b && requiredOf(o).length < requiredOf(b).length && requiredOf(o).every((r) => requiredOf(b).includes(r)));
    if (given.length === 0) return [{ path, message: `must have one of the properties ${either([...new Set(branches.filter((b) => !wider(b)).map(formOf))])}` }];
    // The properties of a branch are there, and another problem of the body (one of them of the wrong type) is
    // what to fix: the branches' errors only repeat it.
    if (outside) return [];
    // The properties of a branch are there (of the most specific, of several): its other errors say what is wrong.
    const i = branches.indexOf(given.reduce((a, b) => (requiredOf(b).length > requiredOf(a).length ? b : a)));
    return wordAll(inner.filter((x) => x.schemaPath.startsWith(`${e.schemaPath}/${i}/`) && x.keyword !== 'required' && x.keyword !== 'not'), false);
  }
  const fitting = branches
    .map((b, i) => ({ b, errs: inner.filter((x) => x.schemaPath.startsWith(`${e.schemaPath}/${i}/`)) }))
    .filter(({ b }) => fitsType(b, data));
  if (fitting.length > 0) {
    fitting.sort((a, b) => a.errs.length - b.errs.length);
    return wordAll(fitting[0].errs, false);
  }
  const types = branches.flatMap((b) => (b.type === undefined ? [] : Array.isArray(b.type) ? b.type.map(String) : [String(b.type)]));
  if (types.length > 0) return [{ path, message: `must be ${typeWords(types)}, got ${jsonType(data)}` }];
  return wordAll(inner, false);
}

/** The errors in words, each failed `oneOf`/`anyOf` once (see `wordAlternatives`); `if`/`not` errors say nothing of their own. */
function wordAll(errors: readonly ErrorObject[], top: boolean): BodyProblem[] {
  const combinators = errors.filter((e) => e.keyword === 'oneOf' || e.keyword === 'anyOf').sort((a, b) => a.schemaPath.length - b.schemaPath.length);
  const consumed = new Set<ErrorObject>();
  const under = (x: ErrorObject, c: ErrorObject) => x !== c && x.schemaPath.startsWith(`${c.schemaPath}/`);
  const plain = errors.filter((e) => !combinators.some((c) => under(e, c) || c === e) && e.keyword !== 'if' && e.keyword !== 'not');
  const out: BodyProblem[] = [];
  for (const c of combinators) {
    if (consumed.has(c)) continue;
    const inner = errors.filter((x) => under(x, c));
    for (const x of inner) consumed.add(x);
    out.push(...wordAlternatives(c, inner, top && plain.length > 0));
  }
  // The alternatives first: which properties a body must have is said before what is wrong with one of them; but an
  // unknown property before both, as it is the likely cause (`featurs` or `service` for a missing field).
  const unknown = plain.filter((e) => e.keyword === 'additionalProperties');
  return [...unknown.map(wordOne), ...out, ...plain.filter((e) => e.keyword !== 'additionalProperties').map(wordOne)];
}

/** Readable problems from ajv errors (see the module comment), each once, in ajv's order of the values. */
export function bodyProblems(errors: readonly ErrorObject[] | null | undefined): BodyProblem[] {
  const seen = new Set<string>();
  return wordAll(errors ?? [], true).filter((p) => {
    const k = `${p.path} ${p.message}`;
    return seen.has(k) ? false : (seen.add(k), true);
  });
}
