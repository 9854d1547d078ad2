/**
 * Request bodies: read JSON (malformed → 400 `malformed_json`) and validate it
 * against a schema in `schemas/api/` with ajv (invalid → 400 `invalid_request`
 * with one `{path, message}` per problem).
 */
import type { ErrorObject } from 'ajv';
import type { Context } from 'hono';
import { InputError } from '../errors.js';
import { schemaValidator } from '../schemas.js';

/** One problem in a request body. */
export interface BodyProblem {
  readonly path: string;
  readonly message: string;
}

/** Parse the request body as JSON. An empty body is `{}`. */
export async function readJson(c: Context): Promise<unknown> {
  const text = await c.req.text();
  if (text.trim() === '') return {};
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw new InputError(`request body is not valid JSON: ${(e as Error).message}`, undefined, 'malformed_json');
  }
}

/** Readable problems from ajv errors, without the noise of failed `oneOf`/`if` branches when real problems exist. */
export function bodyProblems(errors: readonly ErrorObject[] | null | undefined): BodyProblem[] {
  const all = (errors ?? []).map((e) => ({
    keyword: e.keyword,
    path: e.instancePath || '/',
    message: e.keyword === 'additionalProperties'
      ? `unknown property '${String((e.params as { additionalProperty?: string }).additionalProperty)}'`
      : e.keyword === 'enum'
        ? `${e.message ?? 'invalid'}: ${((e.params as { allowedValues?: unknown[] }).allowedValues ?? []).map(String).join(', ')}`
        : (e.message ?? 'invalid'),
  }));
  const combinators = new Set(['oneOf', 'anyOf', 'if', 'not']);
  const specific = all.filter((p) => !combinators.has(p.keyword));
  const chosen = specific.length > 0 ? specific : all;
  const seen = new Set<string>();
  return chosen
    .map(({ path, message }) => ({ path, message }))
    .filter((p) => {
      const k = `${p.path} ${p.message}`;
      return seen.has(k) ? false : (seen.add(k), true);
    });
}

/**
 * Validate `body` with the schema `api/<name>`; throws `InputError` (400) listing the problems.
 *
 * @example
 * const req = validateBody<OnlineFeaturesBody>('online_features', await readJson(c));
 */
export function validateBody<T>(name: string, body: unknown): T {
  const validate = schemaValidator<T>(`api/${name}`);
  if (validate(body)) return body;
  const problems = bodyProblems(validate.errors);
  const first = problems[0];
  throw new InputError(
    `invalid request body${first ? `: ${first.path} ${first.message}` : ''}`,
    { problems },
    'invalid_request',
  );
}

/** Read and validate a JSON body in one step. */
export async function jsonBody<T>(c: Context, schema: string): Promise<T> {
  return validateBody<T>(schema, await readJson(c));
}
