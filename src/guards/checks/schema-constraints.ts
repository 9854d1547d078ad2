/**
 * Per-feature constraints as Great Expectations computes them: each constraint
 * counts violating rows in one SQL pass; the pass ratio is
 * (values − violating) / values and must be ≥ `mostly` (default 1.0), where values
 * are the non-null rows less NaN and ±Inf, which the nan check judges (counted
 * as passing, they let a column of half NaN satisfy `mostly: 0.5` whatever the rest).
 * Null constraints (`nullable: false`, `max_null_ratio`) are over all rows.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { duckdbPatternReason, patternMessage, re2Problem } from '../../definitions/pattern-check.js';
import type { FeatureDef } from '../../definitions/types.js';
import { ident, literal } from '../../offline/engine.js';
import type { CheckResult } from '../../runs/types.js';
import { queryRows, result, type CheckContext } from '../check.js';
import { maskValue } from '../profile-mask.js';
import { detectPii, maskExample } from './pii-detectors.js';

export interface ConstraintPlan {
  readonly column: string;
  /** `not_null`, `max_null_ratio`, `range`, `allowed_values`, `pattern`, `length`. */
  readonly constraint: string;
  /** SQL predicate true for a violating row. */
  readonly violationSql: string;
  readonly mostly: number;
  readonly spec: Record<string, unknown>;
}

function valueLiteral(v: string | number | boolean): string {
  if (typeof v === 'string') return literal(v);
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  return Number.isFinite(v) ? String(v) : 'NULL';
}

/** The constraints a feature declares, as SQL plans. */
export function constraintPlans(column: string, def: FeatureDef): ConstraintPlan[] {
  const x = ident(column);
  const mostly = def.mostly ?? 1;
  const out: ConstraintPlan[] = [];
  const numeric = /^(int|float)/.test(def.type) && !def.type.endsWith('[]');
  if (def.nullable === false) out.push({ column, constraint: 'not_null', violationSql: `${x} IS NULL`, mostly, spec: { nullable: false } });
  if (def.max_null_ratio !== undefined) out.push({ column, constraint: 'max_null_ratio', violationSql: `${x} IS NULL`, mostly: 1, spec: { max_null_ratio: def.max_null_ratio } });
  if (numeric && (def.min !== undefined || def.max !== undefined)) {
    const lo = def.strict ? '<=' : '<';
    const hi = def.strict ? '>=' : '>';
    const conds = [
      ...(def.min !== undefined ? [`${x}::DOUBLE ${lo} ${Number(def.min)}`] : []),
      ...(def.max !== undefined ? [`${x}::DOUBLE ${hi} ${Number(def.max)}`] : []),
    ];
    // NaN and ±Inf are reported by the nan check, and are no values here (see evaluateConstraint).
    out.push({ column, constraint: 'range', violationSql: `${x} IS NOT NULL AND isfinite(${x}::DOUBLE) AND (${conds.join(' OR ')})`, mostly, spec: { min: def.min ?? null, max: def.max ?? null, strict: def.strict ?? false } });
  }
  if (def.allowed_values && def.allowed_values.length > 0) {
    const vals = def.allowed_values.map(valueLiteral).join(', ');
    const finite = def.type.startsWith('float') ? ` AND isfinite(${x})` : '';
    out.push({ column, constraint: 'allowed_values', violationSql: `${x} IS NOT NULL${finite} AND ${x} NOT IN (${vals})`, mostly, spec: { allowed_values: def.allowed_values } });
  }
  if (def.pattern !== undefined && def.type === 'string') {
    // re.search semantics like GE's expect_column_values_to_match_regex: anchor with ^...$ for a full match.
    // A pattern RE2 cannot read (applied before validate refused it) fails the check naming the feature, not
    // with DuckDB's bare "invalid perl operator: (?!".
    const re2 = re2Problem(def.pattern);
    const violation = re2 === undefined ? `NOT regexp_matches(${x}, ${literal(def.pattern)})` : `error(${literal(`feature ${column}: ${patternMessage(def.pattern, re2)}`)})`;
    out.push({ column, constraint: 'pattern', violationSql: `${x} IS NOT NULL AND ${violation}`, mostly, spec: { pattern: def.pattern } });
  }
  if ((def.min_length !== undefined || def.max_length !== undefined) && def.type === 'string') {
    const conds = [
      ...(def.min_length !== undefined ? [`length(${x}) < ${def.min_length}`] : []),
      ...(def.max_length !== undefined ? [`length(${x}) > ${def.max_length}`] : []),
    ];
    out.push({ column, constraint: 'length', violationSql: `${x} IS NOT NULL AND (${conds.join(' OR ')})`, mostly, spec: { min_length: def.min_length ?? null, max_length: def.max_length ?? null } });
  }
  return out;
}

/**
 * `count()` (the query counting the plans' violations), failing, when it fails and a pattern of `plans` is one
 * DuckDB's RE2 cannot compile (`[^]`, `a{1001}`: applied before apply refused them), with "feature carrier: pattern
 * '…' is no RE2 regular expression … (DuckDB: missing ]: [^]$)" instead of DuckDB's bare words. The patterns are
 * compiled only after a failure: no cost to a run that counts.
 */
export async function namingPatternErrors<T>(conn: DuckDBConnection, plans: readonly ConstraintPlan[], count: () => Promise<T>): Promise<T> {
  try {
    return await count();
  } catch (e) {
    for (const p of plans) {
      if (p.constraint !== 'pattern') continue;
      const pattern = String(p.spec.pattern);
      const why = await duckdbPatternReason(conn, pattern);
      if (why !== undefined) throw new Error(`feature ${p.column}: ${patternMessage(pattern, why)}`, { cause: e });
    }
    throw e;
  }
}

/** Example violating values a constraint result carries at most (the message names the first 3). */
export const CONSTRAINT_EXAMPLES = 5;

/** What was seen of a violated constraint: the most frequent violating values, the column's min and max. */
export interface ConstraintSeen {
  readonly examples?: readonly { readonly value: unknown; readonly rows: number }[];
  readonly min?: number | string | null;
  readonly max?: number | string | null;
}

/** How a plan's bound reads: `violated` after the column when rows break it, `held` when none do. */
function boundText(p: ConstraintPlan): { violated: string; held: string } {
  const s = p.spec;
  if (p.constraint === 'range') {
    const strict = s.strict === true;
    const [min, max] = [s.min ?? null, s.max ?? null];
    if (min !== null && max !== null) {
      const iv = `${strict ? '(' : '['}${String(min)}, ${String(max)}${strict ? ')' : ']'}`;
      return { violated: `outside ${iv}`, held: `within ${iv}` };
    }
    if (min !== null) return strict ? { violated: `at or below ${String(min)}`, held: `above ${String(min)}` } : { violated: `below ${String(min)}`, held: `at or above ${String(min)}` };
    return strict ? { violated: `at or above ${String(max)}`, held: `below ${String(max)}` } : { violated: `above ${String(max)}`, held: `at or below ${String(max)}` };
  }
  if (p.constraint === 'allowed_values') {
    const all = (s.allowed_values as readonly (string | number | boolean)[]).map(shown);
    const list = `[${all.slice(0, 10).join(', ')}${all.length > 10 ? `, … (${all.length - 10} more)` : ''}]`;
    return { violated: `not in ${list}`, held: `in ${list}` };
  }
  if (p.constraint === 'pattern') return { violated: `does not match pattern ${shown(String(s.pattern))}`, held: `matches pattern ${shown(String(s.pattern))}` };
  if (p.constraint === 'length') {
    const [min, max] = [s.min_length ?? null, s.max_length ?? null];
    if (min !== null && max !== null) return { violated: `length outside [${String(min)}, ${String(max)}]`, held: `length within [${String(min)}, ${String(max)}]` };
    if (min !== null) return { violated: `shorter than ${String(min)}`, held: `at least ${String(min)} long` };
    return { violated: `longer than ${String(max)}`, held: `at most ${String(max)} long` };
  }
  return { violated: p.constraint, held: p.constraint };
}

/** A value as messages quote it: strings in quotes (cut at 60 characters), numbers and booleans as they are. */
function shown(v: unknown): string {
  if (typeof v !== 'string') return String(v);
  return `'${v.length > 60 ? `${v.slice(0, 60)}…` : v}'`;
}

/**
 * Turn violation counts into a record (`values`: non-null rows that are not NaN or ±Inf). The message states the
 * bound and, when rows break it, how many of how many, with what was seen (`seen`: the range's min and max, or the
 * most frequent violating values): `share_delayed outside [0, 1] in 423 of 736 rows (min 0, max 100)`.
 */
export function evaluateConstraint(ctx: CheckContext, p: ConstraintPlan, c: { rows: number; nonNull: number; values: number; violations: number }, seen: ConstraintSeen = {}): CheckResult {
  let ratio: number;
  let ok: boolean;
  let thresholds: Record<string, number>;
  if (p.constraint === 'max_null_ratio') {
    const maxRatio = Number(p.spec.max_null_ratio);
    ratio = c.rows === 0 ? 0 : c.violations / c.rows;
    ok = ratio <= maxRatio;
    thresholds = { max_null_ratio: maxRatio };
  } else if (p.constraint === 'not_null') {
    ratio = c.rows === 0 ? 1 : (c.rows - c.violations) / c.rows;
    ok = ratio >= p.mostly;
    thresholds = { mostly: p.mostly };
  } else {
    // GE: the share of non-null values that satisfy the expectation; no values → vacuously true.
    ratio = c.values === 0 ? 1 : (c.values - c.violations) / c.values;
    ok = ratio >= p.mostly;
    thresholds = { mostly: p.mostly };
  }
  return result(ctx, {
    check: 'schema', method: p.constraint, feature: p.column, status: ok ? 'pass' : 'fail', value: ratio, thresholds,
    metrics: { violations: c.violations, non_null: c.nonNull, values: c.values, rows: c.rows },
    message: constraintMessage(p, c, ratio, ok, seen),
    details: {
      constraint: p.spec,
      ...(seen.examples?.length ? { examples: seen.examples } : {}),
      ...(seen.min !== undefined || seen.max !== undefined ? { observed: { min: seen.min ?? null, max: seen.max ?? null } } : {}),
    },
  });
}

function constraintMessage(p: ConstraintPlan, c: { rows: number; nonNull: number; values: number; violations: number }, ratio: number, ok: boolean, seen: ConstraintSeen): string {
  const col = p.column;
  if (p.constraint === 'max_null_ratio') {
    const max = Number(p.spec.max_null_ratio);
    return ok ? `${col} null ratio ${round(ratio)} <= max_null_ratio ${max} (${c.violations} of ${c.rows} rows null)` : `${col} is null in ${c.violations} of ${c.rows} rows: null ratio ${round(ratio)} > max_null_ratio ${max}`;
  }
  // GE's mostly: a share of rows may break the bound; the ratio is stated when it is what decided.
  const mostly = p.mostly < 1 ? `pass ratio ${round(ratio)} ${ok ? '>=' : '<'} mostly ${p.mostly}` : '';
  if (p.constraint === 'not_null') {
    if (c.violations === 0) return `${col} has no nulls (nullable: false)`;
    return `${col} is null in ${c.violations} of ${c.rows} rows (nullable: false${mostly ? `; ${mostly}` : ''})`;
  }
  const bound = boundText(p);
  if (c.violations === 0) return `${col} ${bound.held} (pass ratio ${round(ratio)})`;
  const of = c.values === c.rows ? `${c.values} rows` : c.values === c.nonNull ? `${c.values} non-null values` : `${c.values} non-null finite values`;
  const what = seen.min !== undefined || seen.max !== undefined
    ? `min ${String(seen.min ?? null)}, max ${String(seen.max ?? null)}`
    : seen.examples?.length ? `seen: ${seen.examples.slice(0, 3).map((e) => `${shown(e.value)} ×${e.rows}`).join(', ')}${seen.examples.length > 3 ? ', …' : ''}` : '';
  const notes = [what, mostly].filter(Boolean).join('; ');
  return `${col} ${bound.violated} in ${c.violations} of ${of}${notes ? ` (${notes})` : ''}`;
}

/**
 * What was seen of a broken constraint, read only when rows break it: the most frequent violating values (one
 * query over the violating rows), and for a range the column's min and max from its profile. A column holding
 * personal data (`pii: true`, or masked as such) shows hashes of the values and no min or max; a value that looks
 * like personal data (an email) is shown masked.
 */
export async function constraintSeen(ctx: CheckContext, p: ConstraintPlan, violations: number): Promise<ConstraintSeen> {
  if (violations === 0 || p.constraint === 'not_null' || p.constraint === 'max_null_ratio') return {};
  const prof = ctx.profiles.get(p.column);
  const personal = prof?.masked === true || ctx.features.some((f) => f.column === p.column && f.def.pii === true);
  const x = ident(p.column);
  const rows = await queryRows(ctx, `SELECT ${x} AS value, count(*) AS n FROM ${ident(ctx.table)} WHERE ${p.violationSql} GROUP BY 1 ORDER BY n DESC, 1 LIMIT ${CONSTRAINT_EXAMPLES}`);
  const examples = rows.map((r) => ({ value: exampleValue(r.value, personal), rows: Number(r.n) }));
  if (p.constraint !== 'range' || personal) return { examples };
  return { examples, min: prof?.min ?? null, max: prof?.max ?? null };
}

function exampleValue(v: unknown, personal: boolean): unknown {
  if (typeof v === 'string') {
    if (personal) return maskValue(v);
    // An integer column's values come back as text: a safe integer is a number again.
    if (/^-?\d+$/.test(v) && Number.isSafeInteger(Number(v))) return Number(v);
    return detectPii(v).length > 0 ? maskExample(v) : v;
  }
  return personal ? null : v;
}

function round(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}
