/**
 * The JSON Schema of one pushed row of a feature view, generated from its join
 * keys, timestamps and features (types and nullability), and compiled with ajv
 * once per view definition. Also the renames that let a push use the source's
 * own column names (`timestamp_field`, `field_mapping`) instead of canonical ones.
 */
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { fullFormats } from 'ajv-formats/dist/formats.js';
import { sourceColumnName } from '../definitions/source-location.js';
import type { FeatureType, FeatureViewDef, JoinKey, SourceDef } from '../definitions/types.js';

// ajv-formats is CommonJS: under NodeNext its default import is `module.exports`.
const addFormats = addFormatsModule as unknown as typeof addFormatsModule.default;

type JsonSchema = Record<string, unknown>;

/**
 * Digit strings of at most `max` (decimal digits, no leading zero), as a regular expression: each shorter length,
 * then for every position the same leading digits as `max` and a smaller one there, then `max` itself.
 */
function upTo(max: string): string {
  const alts = [`0`, `[1-9][0-9]{0,${max.length - 2}}`];
  for (let i = 0; i < max.length; i++) {
    const d = Number(max[i]);
    const lo = i === 0 ? 1 : 0;
    if (d > lo) alts.push(`${max.slice(0, i)}[${lo}-${d - 1}][0-9]{${max.length - i - 1}}`);
  }
  alts.push(max);
  return `(?:${alts.join('|')})`;
}

/** int64 values travel as JSON numbers within ±(2^53 − 1) (beyond, a JSON number has lost digits) or as digit strings of the whole int64 range. */
export const INT64_STRING = `^(?:0*${upTo('9223372036854775807')}|-0*${upTo('9223372036854775808')})$`;

/**
 * An integer of a request body beyond ±(2^53 − 1), kept as the digits sent (`readJson`): Feast's clients send
 * int64 ids as bare JSON numbers with every digit, which a JavaScript number would round to another id. An
 * int64 key or value takes the digits; anything else the number `JSON.parse` reads (`valueOf`), as before.
 */
export class ExactInteger {
  constructor(readonly digits: string) {}
  valueOf(): number {
    return Number(this.digits);
  }
  toString(): string {
    return this.digits;
  }
  toJSON(): number {
    return this.valueOf();
  }
}
const FLOAT32_MAX = 3.4028234663852886e38;
/**
 * A float32: any number whose float32 rounding is not an overflow. NaN and ±Infinity pass (like float64's, they
 * are the guards' call, `allow_nan`); `minimum`/`maximum` cannot say so (every comparison with NaN is false).
 */
const FLOAT32: JsonSchema = { type: 'number', float32: true };

/** The `float32` keyword: a finite number must stay finite as a float32 (values that round to ±FLOAT32_MAX are in range). */
function float32InRange(value: number): boolean {
  return !Number.isFinite(value) || Number.isFinite(Math.fround(value));
}

function typeSchema(type: FeatureType | JoinKey['type']): JsonSchema {
  switch (type) {
    case 'bool':
      return { type: 'boolean' };
    case 'int32':
      return { type: 'integer', minimum: -2147483648, maximum: 2147483647 };
    case 'int64':
      return { anyOf: [{ type: 'integer', minimum: -Number.MAX_SAFE_INTEGER, maximum: Number.MAX_SAFE_INTEGER }, { type: 'string', pattern: INT64_STRING }] };
    case 'float32':
      return FLOAT32;
    case 'float64':
      return { type: 'number' };
    case 'string':
      return { type: 'string' };
    case 'timestamp':
      return { type: 'string', format: 'date-time' };
    case 'float32[]':
      return { type: 'array', items: FLOAT32 };
    case 'float64[]':
      return { type: 'array', items: { type: 'number' } };
  }
}

const nullable = (s: JsonSchema): JsonSchema => ({ anyOf: [s, { type: 'null' }] });

/** JSON Schema of one row pushed to `view` (canonical column names). */
export function pushRowSchema(view: FeatureViewDef, joinKeys: readonly JoinKey[]): JsonSchema {
  const properties: Record<string, JsonSchema> = {};
  const required: string[] = [];
  for (const k of joinKeys) {
    properties[k.name] = typeSchema(k.type);
    required.push(k.name);
  }
  properties.event_timestamp = { type: 'string', format: 'date-time' };
  required.push('event_timestamp');
  properties.created_timestamp = nullable({ type: 'string', format: 'date-time' });
  for (const f of view.features) {
    if (f.nullable === false) {
      properties[f.name] = typeSchema(f.type);
      required.push(f.name);
    } else {
      properties[f.name] = nullable(typeSchema(f.type));
    }
  }
  return { type: 'object', additionalProperties: false, required, properties };
}

const MIN_INSTANT = new Date('0001-01-01T00:00:00Z').getTime();
const MAX_INSTANT = new Date('9999-12-31T23:59:59.999Z').getTime();

/** A date-time DuckDB, JavaScript and the online API's RFC 3339 output all hold: no leap second, years 1-9999 UTC. */
export function storableInstant(text: string): boolean {
  if (/T\d{2}:\d{2}:60|[ t]\d{2}:\d{2}:60/i.test(text)) return false;
  const ms = Date.parse(text);
  return Number.isFinite(ms) && ms >= MIN_INSTANT && ms <= MAX_INSTANT;
}

let ajv: Ajv2020 | undefined;
const compiled = new WeakMap<FeatureViewDef, PushRowValidator>();

/** Validates one pushed row (canonical column names); `errors` are ajv's of the last row that failed. */
export interface PushRowValidator {
  (row: Record<string, unknown>): boolean;
  readonly errors: ValidateFunction['errors'];
}

/**
 * The row's `ExactInteger`s (integers beyond ±2^53 of a request body) as its columns take them, in place, before
 * the schema sees the row: an int64 the digits (the schema's digit strings, exact), a float (or a float list's
 * element) the nearest double; any other column the number, refused as such (an int32 out of range).
 */
function withExactIntegers(validate: ValidateFunction, int64: ReadonlySet<string>): PushRowValidator {
  const check = (row: Record<string, unknown>): boolean => {
    for (const k in row) {
      const v = row[k];
      if (v instanceof ExactInteger) row[k] = int64.has(k) ? v.digits : v.valueOf();
      else if (Array.isArray(v)) for (let i = 0; i < v.length; i++) if (v[i] instanceof ExactInteger) v[i] = (v[i] as ExactInteger).valueOf();
    }
    return validate(row);
  };
  return Object.defineProperty(check, 'errors', { get: () => validate.errors }) as PushRowValidator;
}

/** The compiled row validator of a view (definitions are frozen, so one per definition object). */
export function pushRowValidator(view: FeatureViewDef, joinKeys: readonly JoinKey[]): PushRowValidator {
  let v = compiled.get(view);
  if (!v) {
    if (!ajv) {
      // strictNumbers off: a float feature takes NaN and ±Infinity (stored as such; `allow_nan` is the guards' call).
      ajv = new Ajv2020({ allErrors: true, strict: true, strictNumbers: false });
      addFormats(ajv);
      // Stricter than RFC 3339's date-time: no leap second (:60, which DuckDB and JavaScript cannot hold)
      // and an instant in years 1-9999 UTC (0000-01-01T00:00:00+23:59 is in year -1).
      const rfc3339 = fullFormats['date-time'] as { validate: (s: string) => boolean };
      ajv.addFormat('date-time', { type: 'string', validate: (text: string) => rfc3339.validate(text) && storableInstant(text) });
      ajv.addKeyword({
        keyword: 'float32',
        type: 'number',
        schemaType: 'boolean',
        validate: (_: boolean, value: number) => float32InRange(value),
        error: { message: `is beyond the float32 range (±${FLOAT32_MAX}; NaN and ±Infinity are allowed)` },
      });
    }
    const int64 = new Set([...joinKeys, ...view.features].filter((c) => c.type === 'int64').map((c) => c.name));
    v = withExactIntegers(ajv.compile(pushRowSchema(view, joinKeys)), int64);
    compiled.set(view, v);
  }
  return v;
}

/**
 * Source column name -> canonical name, for pushes written with the source's
 * own column names (e.g. `FlightDate` for `event_timestamp`). A `field_mapping`
 * entry onto the timestamp field (`{EventTime: event_time}` with `timestamp_field:
 * event_time`) names the file's timestamp column: `EventTime` is `event_timestamp`.
 */
export function pushRenames(source: SourceDef | undefined): Map<string, string> {
  const out = new Map<string, string>();
  if (!source) return out;
  const canonical = (name: string) =>
    name === source.timestamp_field ? 'event_timestamp' : name === source.created_timestamp_field ? 'created_timestamp' : name;
  for (const [from, to] of Object.entries(source.field_mapping ?? {})) out.set(from, canonical(to));
  out.set(source.timestamp_field, 'event_timestamp');
  if (source.created_timestamp_field) out.set(source.created_timestamp_field, 'created_timestamp');
  return out;
}

/**
 * Canonical push column -> the column of the source's files it is written to, for every column the source
 * reads (as `sourceRelationSql` reads them, through `field_mapping`): the join keys, `event_timestamp`,
 * `created_timestamp` when the source has a `created_timestamp_field`, the features.
 */
export function pushFileColumns(source: SourceDef, columns: readonly string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const c of columns) {
    if (c === 'event_timestamp') out.set(c, sourceColumnName(source, source.timestamp_field));
    else if (c === 'created_timestamp') {
      if (source.created_timestamp_field !== undefined) out.set(c, sourceColumnName(source, source.created_timestamp_field));
    } else out.set(c, sourceColumnName(source, c));
  }
  return out;
}
