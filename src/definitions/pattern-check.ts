/**
 * A feature's `pattern` is run by the schema guard as DuckDB `regexp_matches`, whose syntax is RE2's, not
 * JavaScript's: lookaround, backreferences and `\u` escapes pass a JavaScript check (the JSON Schema's
 * `format: regex`) and fail every guard run. `re2Problem` finds what JavaScript accepts and RE2 refuses,
 * without DuckDB (the definitions' checks are synchronous); `duckdbPatternProblems` asks DuckDB itself (`[^]`,
 * `a{1001}`, `[\b]`), for `validate` and `apply`, which refuse both, and for the guard (`duckdbPatternReason`).
 *
 * @example
 * re2Problem('^(?!TEST)[A-Z]{3}$'); // 'invalid perl operator: (?!'
 * patternMessage('^(?!TEST)[A-Z]{3}$', 'invalid perl operator: (?!');
 * const problems = await duckdbPatternProblems(conn, views); // [] when DuckDB compiles every pattern
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import type { DefinitionProblem } from '../errors.js';
import { problemAt } from './origins.js';
import type { FeatureViewDef } from './types.js';

/** What RE2 lacks that JavaScript has, for messages. */
export const RE2_LIMIT = 'RE2 has no lookahead, lookbehind or backreferences ((?=, (?!, (?<=, (?<!, \\1, \\k<name>), no (?<name>…) groups and no \\u0041 escapes (write \\x{41})';

/** Letters RE2 reads after a backslash (`\d`, `\x41`, `\pL`, `\Q…\E`, …); any other letter is an error there. */
const RE2_ESCAPE_LETTERS = 'afnrtvdDsSwWbBAzxpPQEC';

/**
 * DuckDB's reason ("invalid perl operator: (?!", "invalid escape sequence: \1") for a pattern JavaScript
 * reads and RE2 does not, or undefined. Errors RE2 shares with JavaScript and rarer ones are DuckDB's to find.
 */
export function re2Problem(pattern: string): string | undefined {
  let inClass = false;
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i];
    if (ch === '\\') {
      const next = pattern[i + 1] ?? '';
      if (next === 'Q') {
        // \Q…\E is literal text.
        const end = pattern.indexOf('\\E', i + 2);
        i = end < 0 ? pattern.length : end + 1;
        continue;
      }
      if (/[1-9]/.test(next) || (/[A-Za-z]/.test(next) && !RE2_ESCAPE_LETTERS.includes(next))) return `invalid escape sequence: \\${next}`;
      i++;
    } else if (inClass) {
      if (ch === ']') inClass = false;
    } else if (ch === '[') {
      inClass = true;
      // A ']' first in a class (after an optional '^') is a literal.
      if (pattern[i + 1] === '^') i++;
      if (pattern[i + 1] === ']') i++;
    } else if (ch === '(' && pattern[i + 1] === '?') {
      const op = pattern[i + 2];
      if (op === '=' || op === '!' || op === '<') return `invalid perl operator: (?${op}`;
    }
  }
  return undefined;
}

/**
 * "pattern 'x' is no RE2 regular expression, which the guards run it as (DuckDB: reason)", and ": RE2 has no …"
 * when what RE2 lacks is the reason (not for an RE2 syntax error such as `[^]`).
 */
export function patternMessage(pattern: string, reason: string): string {
  return `pattern '${pattern}' is no RE2 regular expression, which the guards run it as (DuckDB: ${reason})${re2Problem(pattern) === undefined ? '' : `: ${RE2_LIMIT}`}`;
}

/** DuckDB's reason when its RE2 cannot compile `pattern` ("missing ]: [^]$"), or undefined. */
export async function duckdbPatternReason(conn: DuckDBConnection, pattern: string): Promise<string | undefined> {
  try {
    // The SQL string literal written here: engine.js would load DuckDB with every definitions check.
    await conn.runAndReadAll(`SELECT regexp_matches('', '${pattern.replaceAll("'", "''")}')`);
    return undefined;
  } catch (e) {
    return (e instanceof Error ? e.message : String(e)).split('\n')[0].replace(/^Invalid Input Error: /, '');
  }
}

/**
 * Patterns of string features that DuckDB cannot compile, as definition problems at `/features/<i>/pattern` (the
 * ones `re2Problem` finds are cross-reference problems already). They do not depend on the data.
 */
export async function duckdbPatternProblems(conn: DuckDBConnection, views: readonly FeatureViewDef[]): Promise<DefinitionProblem[]> {
  const out: DefinitionProblem[] = [];
  for (const v of views) {
    for (const [i, f] of v.features.entries()) {
      if (f.type !== 'string' || typeof f.pattern !== 'string' || re2Problem(f.pattern) !== undefined) continue;
      const why = await duckdbPatternReason(conn, f.pattern);
      if (why !== undefined) out.push(problemAt(v, `/features/${i}/pattern`, patternMessage(f.pattern, why)));
    }
  }
  return out;
}
