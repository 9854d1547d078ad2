/**
 * The problems of one pushed row that does not fit its view, from the errors of the row's schema (`push-schema.ts`):
 * one per bad value. A value fails every branch of its column's `anyOf` (a nullable column's `null`, an int64's
 * integer or digit string), and ajv reports each branch; said once, in words, never as the int64 digit-string
 * regular expression (hundreds of characters) the string branch holds.
 *
 * @example
 * if (!validate(row)) problems.push(...rowProblems(validate.errors, row, columnTypes));
 * // [{ path: '/departures', message: 'must be an integer or a string of digits (int64)' }]
 */
import type { ErrorObject } from 'ajv';

/** One problem of a row: the JSON pointer of the bad value in the row (`/` for the row itself) and what is wrong. */
export interface RowProblem {
  readonly path: string;
  readonly message: string;
}

const COMBINATORS = new Set(['anyOf', 'oneOf', 'if', 'not']);
const BRANCH = /\/anyOf\/\d+\//;

/** The column of a path in a row (`/emb/3` → `emb`), JSON-pointer unescaped. */
function columnOf(path: string): string {
  const first = path.split('/')[1] ?? '';
  return first.replaceAll('~1', '/').replaceAll('~0', '~');
}

/** What an int64 column takes, said for the value that was sent (`value`). */
export function int64Message(value: unknown): string {
  if (typeof value === 'string' && /^-?\d+$/.test(value)) return 'must be a string of digits within the int64 range (-9223372036854775808 to 9223372036854775807)';
  if (typeof value === 'number' && Number.isInteger(value)) return 'must be within ±9007199254740991 as a number (a JSON number beyond has lost digits); send a larger int64 as a string of its digits';
  return 'must be an integer or a string of digits (int64)';
}

function messageOf(e: ErrorObject): string {
  if (e.keyword === 'additionalProperties') return `unknown property '${String((e.params as { additionalProperty?: string }).additionalProperty)}'`;
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
      for (const message of new Set(chosen.map(messageOf))) out.push({ path, message });
      continue;
    }
    const column = columnOf(path);
    if (path.split('/').length === 2 && types.get(column) === 'int64') {
      out.push({ path, message: int64Message(Object.hasOwn(row, column) ? row[column] : undefined) });
      continue;
    }
    // Another column's value failing branches of its type: said once, the types joined ("must be number or string").
    const typesWanted = [...new Set(chosen.filter((e) => e.keyword === 'type').map((e) => String((e.params as { type?: unknown }).type)))];
    const messages = [...new Set(chosen.filter((e) => e.keyword !== 'type').map(messageOf))];
    out.push({ path, message: [...(typesWanted.length > 0 ? [`must be ${typesWanted.join(' or ')}`] : []), ...messages].join('; ') });
  }
  return out;
}
