/**
 * The problems of one pushed row that does not fit its view, from the errors of the row's schema (`push-schema.ts`):
 * one per bad value. A value fails every branch of its column's `anyOf` (a nullable column's `null`, an int64's
 * integer or digit string), and ajv reports each branch; said once, in words, never as the int64 digit-string
 * regular expression (hundreds of characters) the string branch holds. And the refusal of pushed rows with problems
 * (`pushProblems`), worded the same for the push's checks and the SDK's (an invalid `Date`).
 *
 * @example
 * if (!validate(row)) problems.push(...rowProblems(validate.errors, row, columnTypes));
 * // [{ path: '/departures', message: 'must be an integer or a string of digits (int64)' }]
 */
import type { ErrorObject } from 'ajv';
import { InputError } from '../errors.js';
import { pointerKey, pointerToken } from '../json-pointer.js';
import { rowNumber } from '../row-number.js';

/** One problem of a row: the JSON pointer of the bad value in the row (`/` for the row itself) and what is wrong. */
export interface RowProblem {
  readonly path: string;
  readonly message: string;
}

const COMBINATORS = new Set(['anyOf', 'oneOf', 'if', 'not']);
const BRANCH = /\/anyOf\/\d+\//;

/** The column of a path in a row (`/emb/3` → `emb`), JSON-pointer unescaped. */
function columnOf(path: string): string {
  return pointerKey(path.split('/')[1] ?? '');
}

/** What an int64 column takes, said for the value that was sent (`value`). */
export function int64Message(value: unknown): string {
  if (typeof value === 'string' && /^-?\d+$/.test(value)) return 'must be a string of digits within the int64 range (-9223372036854775808 to 9223372036854775807)';
  if (typeof value === 'number' && Number.isInteger(value)) return 'must be within ±9007199254740991 as a number (a JSON number beyond has lost digits); send a larger int64 as a string of its digits';
  return 'must be an integer or a string of digits (int64)';
}

/** Problems listed in an `invalid_rows` refusal and its run's `schema` record; the rest are counted (`problem_count`, `invalid_rows`). */
export const MAX_REPORTED_PROBLEMS = 20;

/** A problem of pushed rows as a refusal lists it: the row's index, the JSON pointer of the bad value in the rows, what is wrong. */
export interface PushedRowProblem {
  readonly row: number;
  readonly path: string;
  readonly message: string;
}

/** The problems found in pushed rows: the first `MAX_REPORTED_PROBLEMS` listed, every problem and every row with one counted. */
export interface PushProblems {
  found(row: number, path: string, message: string): void;
  /**
   * The `invalid_rows` refusal of the `rowCount` rows pushed to `view` (null when nothing was found):
   * `N problems in M of K pushed rows for view 'v' (first 20 listed); first: row i (counting from 0) at /i/col: …`, its details
   * `{ problems, invalid_rows, problem_count }`.
   */
  refusal(view: string, rowCount: number): InputError | null;
}

/** `1 problem`, `2 problems`. */
const plural = (n: number, noun: string) => `${n} ${noun}${n === 1 ? '' : 's'}`;

/**
 * Count the problems of pushed rows, and word their refusal (see `PushProblems`).
 *
 * @example
 * const problems = pushProblems();
 * problems.found(1, '/1/event_timestamp', 'an invalid Date');
 * problems.refusal('v', 2)?.message; // "1 problem in 1 of 2 pushed rows for view 'v'; first: row 1 (counting from 0) at /1/event_timestamp: an invalid Date"
 */
export function pushProblems(): PushProblems {
  const problems: PushedRowProblem[] = [];
  const rows = new Set<number>();
  let count = 0;
  return {
    found(row, path, message) {
      count++;
      rows.add(row);
      if (problems.length < MAX_REPORTED_PROBLEMS) problems.push({ row, path, message });
    },
    refusal(view, rowCount) {
      if (count === 0) return null;
      const first = problems[0];
      const listed = count > problems.length ? ` (first ${problems.length} listed)` : '';
      return new InputError(
        `${plural(count, 'problem')} in ${rows.size} of ${plural(rowCount, 'pushed row')} for view '${view}'${listed}; first: ${rowNumber(first.row)} at ${first.path}: ${first.message}`,
        { problems: [...problems], invalid_rows: rows.size, problem_count: count },
        'invalid_rows',
      );
    },
  };
}

/**
 * The invalid `Date`s (`new Date('x')`) in rows an SDK caller pushed, each a problem (`an invalid Date`, at the
 * row's own column name): refused as such before the rows' other values are checked (the JSON check would only say
 * the value is not a string).
 */
export function invalidDates(rows: readonly unknown[]): PushProblems {
  const problems = pushProblems();
  rows.forEach((row, i) => {
    if (row === null || typeof row !== 'object') return;
    for (const [column, v] of Object.entries(row)) {
      if (v instanceof Date && Number.isNaN(v.getTime())) problems.found(i, `/${i}/${pointerToken(column)}`, 'an invalid Date');
    }
  });
  return problems;
}

/** What a `date-time` value looks like, said as a request body's is (`body-problems.ts`), with the value sent. */
function dateTimeMessage(value: unknown): string {
  const text = typeof value === 'string' ? `'${value.length > 60 ? `${value.slice(0, 57)}...` : value}'` : String(value);
  return `must be an ISO 8601 time, e.g. 2026-11-12T10:00:00Z, got ${text}`;
}

function messageOf(e: ErrorObject, row?: Record<string, unknown>): string {
  if (e.keyword === 'additionalProperties') return `unknown property '${String((e.params as { additionalProperty?: string }).additionalProperty)}'`;
  if (e.keyword === 'format' && (e.params as { format?: unknown }).format === 'date-time' && row !== undefined) {
    const column = columnOf(e.instancePath);
    return dateTimeMessage(Object.hasOwn(row, column) ? row[column] : undefined);
  }
  return e.message ?? 'invalid';
}

/**
 * The problems of a row `validate` refused (its `errors`): one per bad value, in the order ajv found them.
 * `types`: column name → declared type (join keys and features), for what an int64 takes.
 */
export function rowProblems(errors: readonly ErrorObject[] | null | undefined, row: Record<string, unknown>, types: ReadonlyMap<string, string>): RowProblem[] {
  const isNullBranch = (e: ErrorObject) => e.keyword === 'type' && (e.params as { type?: unknown }).type === 'null' && BRANCH.test(e.schemaPath);
  const specific = (errors ?? []).filter((e) => !COMBINATORS.has(e.keyword));
  // A nullable value's `null` branch only repeats that the value (or an element of a list) is not of its type.
  const failedBelow = (path: string) => specific.some((e) => !isNullBranch(e) && (e.instancePath === path || e.instancePath.startsWith(`${path}/`)));
  const byPath = new Map<string, ErrorObject[]>();
  for (const e of specific.length > 0 ? specific : (errors ?? [])) {
    if (isNullBranch(e) && failedBelow(e.instancePath)) continue;
    const path = e.instancePath || '/';
    byPath.set(path, [...(byPath.get(path) ?? []), e]);
  }
  const out: RowProblem[] = [];
  for (const [path, chosen] of byPath) {
    if (!chosen.some((e) => BRANCH.test(e.schemaPath))) {
      // Not a value failing branches: the row itself (a missing or unknown property each a problem), or one value's one error.
      for (const message of new Set(chosen.map((e) => messageOf(e, row)))) out.push({ path, message });
      continue;
    }
    const column = columnOf(path);
    if (path.split('/').length === 2 && types.get(column) === 'int64') {
      out.push({ path, message: int64Message(Object.hasOwn(row, column) ? row[column] : undefined) });
      continue;
    }
    // Another column's value failing branches of its type: said once, the types joined ("must be number or string").
    const typesWanted = [...new Set(chosen.filter((e) => e.keyword === 'type').map((e) => String((e.params as { type?: unknown }).type)))];
    const messages = [...new Set(chosen.filter((e) => e.keyword !== 'type').map((e) => messageOf(e, row)))];
    out.push({ path, message: [...(typesWanted.length > 0 ? [`must be ${typesWanted.join(' or ')}`] : []), ...messages].join('; ') });
  }
  return out;
}
