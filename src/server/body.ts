/**
 * Request bodies: read JSON (malformed → 400 `malformed_json`) and validate it
 * against a schema in `schemas/api/` with ajv (invalid → 400 `invalid_request`
 * with one `{path, message}` per problem, in words: `body-problems.ts`).
 */
import type { ValidateFunction } from 'ajv';
import type { Context } from 'hono';
import type { IncomingMessage } from 'node:http';
import { FeatureguardError, InputError } from '../errors.js';
import { schemaValidator } from '../schemas.js';
import { ExactInteger } from '../serving/push-schema.js';
import { bodyProblems, type BodyProblem } from './body-problems.js';
import { DEFAULT_BODY_LIMIT } from './context.js';

export { bodyProblems, type BodyProblem } from './body-problems.js';

/**
 * The 413 of a body over the limit. `streamed`: found while reading a body of no declared length, part of which
 * was read (the answer then closes the connection); a declared one is refused unread, on a connection that stays
 * open so the client, still sending, reads the answer (see `onError`).
 */
function tooLarge(limit: number, streamed = false): FeatureguardError {
  const e = new FeatureguardError('payload_too_large', `request body exceeds the limit of ${limit} bytes (server.body_limit)`, {
    status: 413, exitCode: 2, details: { limit },
  });
  return streamed ? Object.assign(e, { closeConnection: true }) : e;
}

/**
 * The request body as text, refused with 413 beyond the limit (by
 * `Content-Length` before reading, or while reading a chunked body). On
 * @hono/node-server it reads the Node request directly with `data`/`end`
 * listeners: a web `ReadableStream`, or even the Readable's async iterator, costs
 * more per small JSON body than the whole online lookup (measured with wrk: the
 * listeners come within 5% of a route that reads no body at all).
 */
export async function readBodyText(c: Context, limit: number = DEFAULT_BODY_LIMIT): Promise<string> {
  const encoding = c.req.header('content-encoding');
  if (encoding !== undefined && encoding.trim().toLowerCase() !== 'identity') {
    throw new FeatureguardError('unsupported_encoding', `request bodies are read as sent: Content-Encoding '${encoding}' is not supported; send the body uncompressed`, {
      status: 415, exitCode: 2, details: { encoding },
    });
  }
  const declared = c.req.header('content-length');
  if (declared !== undefined && Number(declared) > limit) throw tooLarge(limit);
  const incoming = (c.env as { incoming?: IncomingMessage } | undefined)?.incoming;
  if (incoming && !incoming.readableEnded && incoming.readable) {
    // Awaited here, not returned: an async function returning a promise takes two more microtask turns to settle.
    try {
      return await readIncoming(incoming, limit);
    } catch (e) {
      return cutOff(e);
    }
  }
  const source = c.req.raw.body as unknown as AsyncIterable<Uint8Array> | null;
  if (!source) return '';
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    for await (const chunk of source) {
      size += chunk.byteLength;
      if (size > limit) throw tooLarge(limit, true);
      chunks.push(chunk);
    }
  } catch (e) {
    return cutOff(e);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * A body that stopped arriving (the client closed the connection, or was cut off at the request timeout): the
 * client's doing, recorded as 499 `request_aborted` (nginx's "client closed request") rather than a server error.
 * Nobody reads the answer; logs and metrics do.
 */
function cutOff(e: unknown): never {
  if (e instanceof FeatureguardError) throw e;
  throw new FeatureguardError('request_aborted', 'the request body did not arrive in full: the client closed the connection or was cut off at the request timeout', { status: 499, exitCode: 2, cause: e });
}

/** Read a Node request to its end (at most `limit` bytes; beyond, the rest is drained and 413 thrown). */
function readIncoming(incoming: IncomingMessage, limit: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.byteLength;
      if (size > limit) {
        done();
        incoming.resume();
        reject(tooLarge(limit, true));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      done();
      resolve(chunks.length === 1 ? chunks[0].toString('utf8') : Buffer.concat(chunks).toString('utf8'));
    };
    const onError = (e: Error) => {
      done();
      reject(e);
    };
    const done = () => {
      incoming.off('data', onData);
      incoming.off('end', onEnd);
      incoming.off('error', onError);
    };
    incoming.on('data', onData);
    incoming.on('end', onEnd);
    incoming.on('error', onError);
  });
}

/**
 * Parse the request body as JSON (at most `limit` bytes). An empty body is `{}`. Integers beyond ±(2^53 − 1) in
 * `entities`, `entity_rows`, `df` and `rows` (where int64 keys and values travel: online reads, pushes, dataset
 * entity rows) are `ExactInteger`s holding the digits sent; elsewhere, and in `jsonBody`'s bodies, they are the
 * numbers `JSON.parse` reads.
 */
export async function readJson(c: Context, limit: number = DEFAULT_BODY_LIMIT): Promise<unknown> {
  const text = await readBodyText(c, limit);
  if (text.trim() === '') return {};
  return parseJson(text, true);
}

/**
 * An integer of 16 digits or more between JSON's delimiters: no integer beyond ±(2^53 − 1) (9007199254740991 has
 * 16 digits) is written without one, and the fraction of a float printed in full (0.30000000000000004) or a
 * string of digits is not one (a body of such floats is not scanned).
 */
const LONG_INTEGER = /[\s,[:-]\d{16,}[\s,\]}]/;

/** `readJson`'s parse of a body's text; `exact`: keep the integers beyond ±2^53 of `EXACT_FIELDS` (see there). */
export function parseJson(text: string, exact: boolean): unknown {
  // Only a body with a long integer is scanned (the rest take the plain parse: online reads are sensitive to
  // every microsecond).
  if (exact && LONG_INTEGER.test(text)) {
    const marked = withMarks(text, true);
    if (marked !== undefined) return marked;
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    const lenient = withMarks(text, false);
    if (lenient !== undefined) return lenient;
    throw new InputError(`request body is not valid JSON: ${(e as Error).message}`, undefined, 'malformed_json');
  }
}

const NON_FINITE: Record<string, number> = { NaN: Number.NaN, Infinity: Number.POSITIVE_INFINITY, '-Infinity': Number.NEGATIVE_INFINITY };
/** Strings no client sends, standing for a non-finite number or a long integer while the text is parsed. */
const MARK = '\u0000fg-non-finite:';
const MARK_INTEGER = '\u0000fg-integer:';
/** The tokens of JSON text that are values (strings, numbers) and the non-finite numbers JSON lacks. */
const TOKENS = /"[^"\\]*(?:\\[\s\S][^"\\]*)*"|-?Infinity|NaN|-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/g;
const INTEGER = /^-?\d+$/;
/** The top-level fields whose integers beyond ±2^53 stay exact: a read's or a dataset's entities, a push's rows. */
const EXACT_FIELDS = new Set(['entities', 'entity_rows', 'df', 'rows']);

/**
 * The body parsed with `NaN`, `Infinity` and `-Infinity` as numbers, as Python's `json.dumps` writes them (a
 * pandas frame's missing values are NaN; Feast's server, in Python, reads them), and with `integers`, integers
 * beyond ±2^53 as `ExactInteger`s. Undefined when there was nothing to mark, or the text is not JSON even so.
 * Tokens inside strings are left alone; a marked token is one value for another, so no text becomes JSON that
 * was not (but as an object's key, which is refused).
 */
function withMarks(text: string, integers: boolean): unknown {
  let nonFinite = false;
  let long = false;
  const out = text.replace(TOKENS, (t) => {
    if (t.charCodeAt(0) === 34 /* " */) return t;
    if (t === 'NaN' || t === 'Infinity' || t === '-Infinity') {
      nonFinite = true;
      return JSON.stringify(MARK + t);
    }
    if (integers && t.length >= 16 && INTEGER.test(t) && !Number.isSafeInteger(Number(t))) {
      long = true;
      return JSON.stringify(MARK_INTEGER + t);
    }
    return t;
  });
  if (!nonFinite && !long) return undefined;
  try {
    const parsed = JSON.parse(out, (key, v: unknown) => {
      if (key.charCodeAt(0) === 0 && (key.startsWith(MARK) || key.startsWith(MARK_INTEGER))) throw new SyntaxError('a number as a key');
      if (typeof v !== 'string' || v.charCodeAt(0) !== 0) return v;
      if (v.startsWith(MARK)) return NON_FINITE[v.slice(MARK.length)];
      return v.startsWith(MARK_INTEGER) ? new ExactInteger(v.slice(MARK_INTEGER.length)) : v;
    }) as unknown;
    return long ? numbersOutside(parsed) : parsed;
  } catch {
    return undefined;
  }
}

/**
 * `body` with the `ExactInteger`s outside its `EXACT_FIELDS` as the numbers `JSON.parse` reads (in place). A
 * top-level array is a list of rows (a `push --file` file; every route's body is an object, and refuses one), so
 * it stays exact as a body's `rows`.
 */
function numbersOutside(body: unknown): unknown {
  if (body instanceof ExactInteger) return body.valueOf();
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return body;
  const pending: Record<string, unknown>[] = [];
  const visit = (holder: Record<string, unknown>, skipExact: boolean) => {
    for (const k of Object.keys(holder)) {
      const v = holder[k];
      if (v instanceof ExactInteger) holder[k] = v.valueOf();
      else if (v !== null && typeof v === 'object' && !(skipExact && EXACT_FIELDS.has(k))) pending.push(v as Record<string, unknown>);
    }
  };
  visit(body as Record<string, unknown>, true);
  // A loop, not recursion: a body may nest thousands deep.
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) visit(next, false);
  return body;
}

/**
 * A Feast client's body as Feast's server (pydantic) reads it: only `fields`, a null being an absent field; other
 * fields are ignored. Anything but an object is returned as it is (for the schema to refuse).
 */
export function feastFields(body: unknown, fields: readonly string[]): unknown {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return body;
  const given = body as Record<string, unknown>;
  const kept: Record<string, unknown> = {};
  for (const field of fields) if (given[field] !== undefined && given[field] !== null) kept[field] = given[field];
  return kept;
}

/** A boolean as pydantic's lax mode reads one (`"true"`, `"off"`, `1`, `0`, …); anything else is returned as it is. */
export function laxBoolean(value: unknown): unknown {
  if (value === 1 || value === 0) return value === 1;
  if (typeof value !== 'string') return value;
  const v = value.trim().toLowerCase();
  if (['true', '1', 'yes', 'on', 't', 'y'].includes(v)) return true;
  if (['false', '0', 'no', 'off', 'f', 'n'].includes(v)) return false;
  return value;
}

/** The validators `validateBody` used, by name (looking one up by its schema's `$id` is a cost per online read). */
const validators = new Map<string, ValidateFunction>();

/**
 * Validate `body` with the schema `api/<name>`; throws `InputError` (400) listing the problems.
 *
 * @example
 * const req = validateBody<OnlineFeaturesBody>('online_features', await readJson(c, ctx.limits.bodyLimit));
 */
export function validateBody<T>(name: string, body: unknown): T {
  let validate = validators.get(name) as ValidateFunction<T> | undefined;
  if (validate === undefined) validators.set(name, (validate = schemaValidator<T>(`api/${name}`)));
  if (validate(body)) return body;
  throw invalidBody(bodyProblems(validate.errors));
}

/** The 400 `invalid_request` for a body with `problems`, its message naming the first (no path for the body itself). */
export function invalidBody(problems: readonly BodyProblem[]): InputError {
  const first = problems[0];
  return new InputError(`invalid request body${first ? `: ${first.path === '/' ? '' : `${first.path} `}${first.message}` : ''}`, { problems }, 'invalid_request');
}

/** Read (at most `limit` bytes, `server.body_limit`) and validate a JSON body in one step. */
export async function jsonBody<T>(c: Context, schema: string, limit: number = DEFAULT_BODY_LIMIT): Promise<T> {
  const text = await readBodyText(c, limit);
  return validateBody<T>(schema, text.trim() === '' ? {} : parseJson(text, false));
}
