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
import { result, type CheckContext } from '../check.js';

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

/** Turn violation counts into a record (`values`: non-null rows that are not NaN or ±Inf). */
export function evaluateConstraint(ctx: CheckContext, p: ConstraintPlan, c: { rows: number; nonNull: number; values: number; violations: number }): CheckResult {
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
  const what = p.constraint === 'max_null_ratio' ? `null ratio ${round(ratio)}` : `pass ratio ${round(ratio)}`;
  return result(ctx, {
    check: 'schema', method: p.constraint, feature: p.column, status: ok ? 'pass' : 'fail', value: ratio, thresholds,
    metrics: { violations: c.violations, non_null: c.nonNull, values: c.values, rows: c.rows },
    message: ok
      ? `${p.column} satisfies ${p.constraint} (${what})`
      : `${p.column} violates ${p.constraint}: ${c.violations} row(s), ${what} ${p.constraint === 'max_null_ratio' ? '>' : '<'} ${p.constraint === 'max_null_ratio' ? thresholds.max_null_ratio : p.mostly}`,
    details: { constraint: p.spec },
  });
}

function round(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}
