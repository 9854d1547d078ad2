/**
 * Target leakage per feature against the label (QUALITY-CHECKS.md §3), on a
 * deterministic sample of up to `sample_rows` (50,000) rows of `ctx.table`: scores
 * in `leakage-scores.ts`, warn ≥ 0.9, fail ≥ 0.98; identifier-like categoricals
 * are reported as such instead. Used on dataset builds and label-linked views.
 */
import { ident } from '../../offline/engine.js';
import type { CheckResult } from '../../runs/types.js';
import type { DatasetGuardInfo } from '../stage.js';
import { policyOf, result, skipped, type CheckContext } from '../check.js';
import { hashBelow } from '../profile-sql.js';
import { classExpr, columnType, featureReadAs, isNestedType, labelPresent, labelType, readExpr } from './label-columns.js';
import {
  categoricalVsClasses,
  categoricalVsNumeric,
  constantOrSingleClass,
  distinctRatio,
  numericVsClasses,
  numericVsNumeric,
  type LeakageScore,
} from './leakage-scores.js';

const FAMILY = 'leakage' as const;

type Cell = string | number | null;

function toCells(values: readonly unknown[], as: 'numeric' | 'categorical'): Cell[] {
  return values.map((v) => (v === null || v === undefined ? null : as === 'numeric' ? Number(v) : String(v)));
}

export async function targetLeakage(ctx: CheckContext, ds: DatasetGuardInfo): Promise<CheckResult[]> {
  const label = ds.labelColumn;
  if (!label) return [skipped(ctx, FAMILY, 'no label column in this dataset: target leakage not checked', { method: 'target' })];
  if (policyOf(ctx, FAMILY) === 'off') return [];
  if (!ctx.columns.some((c) => c.name === label)) {
    return [result(ctx, { check: FAMILY, method: 'target', status: 'error', message: `label column ${label} is missing from the dataset rows` })];
  }
  const q = ctx.quality.leakage;
  const labelColumnType = columnType(ctx, label);
  if (labelColumnType && isNestedType(labelColumnType)) {
    return [skipped(ctx, FAMILY, `label ${label} (${labelColumnType}) holds lists or structs, neither classes nor numbers: target leakage not checked`, { method: 'target' })];
  }
  const labelKind = await labelType(ctx, label);
  const out: CheckResult[] = [];
  const cols: { column: string; as: 'numeric' | 'categorical'; read: 'numeric' | 'categorical' | 'timestamp' }[] = [];
  for (const f of ctx.features) {
    if (f.column === label) continue;
    const type = ctx.columns.find((c) => c.name === f.column)?.type;
    if (type === undefined) {
      out.push(skipped(ctx, FAMILY, `${f.column} is not a column of the dataset rows`, { method: 'target', feature: f.column }));
      continue;
    }
    const as = featureReadAs(type);
    if (as === 'unsupported') {
      out.push(skipped(ctx, FAMILY, `${f.column} (${type}) is not scored for target leakage`, { method: 'target', feature: f.column }));
      continue;
    }
    cols.push({ column: f.column, as: as === 'categorical' ? 'categorical' : 'numeric', read: as });
  }
  if (!cols.length) return out;
  const labelRead = labelKind === 'numeric' ? readExpr(label, 'numeric') : classExpr(ctx, label);
  const labelProfile = ctx.profiles.get(label);
  // No label to score against (a scoring set of rows whose outcome is not known yet, no entity rows): skipped,
  // not an error.
  const labelled = Number((await ctx.conn.runAndReadAll(`SELECT count(*) FROM ${ident(ctx.table)} WHERE ${labelPresent(ctx, label)}`)).getRowsJS()[0][0]);
  if (labelled < ctx.quality.drift.min_rows) {
    for (const c of cols) out.push(skipped(ctx, FAMILY, `only ${labelled} row(s) have a label ${label} (< min_rows ${ctx.quality.drift.min_rows}): too few to score target leakage`, { method: 'target', feature: c.column }));
    return out;
  }
  // Deterministic sample: hash order of the entity row, then the values themselves to break ties.
  const orderKeys = [...ds.joinKeyColumns, ds.entityTimestampColumn].map(ident).join(', ');
  const sample = (some: typeof cols) => {
    const select = [`${labelRead} AS "__label"`, ...some.map((c, i) => `${readExpr(c.column, c.read)} AS "f${i}"`)];
    return hashOrderedSample(ctx.conn, {
      select: `SELECT ${select.join(', ')} FROM ${ident(ctx.table)}`,
      where: labelPresent(ctx, label),
      hash: `hash(${orderKeys})`,
      tieBreak: select.map((_, i) => i + 1).join(', '),
      size: Math.max(1, Math.floor(q.sample_rows)),
      rows: labelProfile ? labelProfile.count - labelProfile.nulls : ctx.rowCount,
    });
  };
  const score = (c: (typeof cols)[number], data: unknown[][], i: number) => {
    const labelValues = toCells(data[0], labelKind === 'numeric' ? 'numeric' : 'categorical');
    try {
      return scoreFeature(ctx, c.column, c.as, toCells(data[i + 1], c.as), labelValues, labelKind, labelValues.length);
    } catch (e) {
      return broken(ctx, c.column, e);
    }
  };
  let all: unknown[][];
  try {
    all = await sample(cols);
  } catch (joint) {
    // A column that cannot be read as scored (a cast that breaks) fails the joint sample: each feature is then
    // sampled on its own, so one column's error does not cost the others their scores. When every one fails,
    // the cause is not a column's: the check broke.
    const each: CheckResult[] = [];
    for (const c of cols) {
      try {
        each.push(score(c, await sample([c]), 0));
      } catch (e) {
        each.push(broken(ctx, c.column, e));
      }
    }
    if (each.every((r) => r.status === 'error')) throw joint;
    return [...out, ...each];
  }
  cols.forEach((c, i) => out.push(score(c, all, i)));
  return out;
}

/** The `error` record of a feature whose score could not be computed (under the feature's own policy). */
function broken(ctx: CheckContext, column: string, e: unknown): CheckResult {
  const message = e instanceof Error ? e.message : String(e);
  return result(ctx, { check: FAMILY, method: 'target', feature: column, status: 'error', message: `${column}: target leakage could not be computed: ${message.split('\n')[0]}`, details: { error: message } });
}

/**
 * The first `size` rows of `select` (a `SELECT … FROM …`) matching `where`, ordered by `hash` then `tieBreak`: the same
 * rows as that `ORDER BY … LIMIT size`, but when `rows` (about how many rows
 * match) is large, only the rows whose hash lies in the lowest 3·size/rows
 * of its range are sorted (every row outside has a greater hash than every row
 * inside). Falls back to the full sort when fewer than `size` rows are inside.
 * 0.45 s → 0.05 s for 50,000 of 3M rows.
 */
export async function hashOrderedSample(
  conn: CheckContext['conn'],
  q: { readonly select: string; readonly where: string; readonly hash: string; readonly tieBreak: string; readonly size: number; readonly rows: number },
): Promise<unknown[][]> {
  const tail = `ORDER BY ${q.hash}, ${q.tieBreak} LIMIT ${q.size}`;
  const share = (3 * q.size) / Math.max(q.rows, 1);
  if (share < 0.5) {
    const r = await conn.runAndReadAll(`${q.select} WHERE (${q.where}) AND ${q.hash} < ${hashBelow(share)} ${tail}`);
    if (r.currentRowCount >= q.size) return r.getColumnsJS();
  }
  const r = await conn.runAndReadAll(`${q.select} WHERE ${q.where} ${tail}`);
  // No row: one empty array per column (DuckDB gives no columns at all then).
  return r.currentRowCount === 0 ? Array.from({ length: r.columnCount }, () => []) : r.getColumnsJS();
}

function scoreFeature(
  ctx: CheckContext,
  column: string,
  as: 'numeric' | 'categorical',
  feature: Cell[],
  label: Cell[],
  labelKind: 'classes' | 'numeric',
  sampled: number,
): CheckResult {
  const q = (ctx.features.find((f) => f.column === column)?.quality ?? ctx.quality).leakage;
  const thresholds = { warn: q.target_warn, fail: q.target_fail };
  const details = { label: ctx.dataset?.labelColumn ?? null, sampled_rows: sampled, label_kind: labelKind };
  if (as === 'categorical') {
    const ratio = distinctRatio(feature as (string | null)[]);
    if (ratio > q.identifier_ratio) {
      return result(ctx, {
        check: FAMILY,
        method: 'target',
        feature: column,
        status: 'warn',
        value: ratio,
        thresholds: { identifier_ratio: q.identifier_ratio },
        metrics: { distinct_ratio: ratio },
        message: `${column} is identifier-like (distinct/rows ${ratio.toFixed(3)} > ${q.identifier_ratio}): not scored for target leakage; a model can memorize rows by it`,
        details: { ...details, identifier_like: true },
      });
    }
  }
  let s: LeakageScore;
  if (as === 'numeric') {
    const minClassRows = (ctx.features.find((f) => f.column === column)?.quality ?? ctx.quality).class_imbalance.min_class_count;
    s = labelKind === 'numeric' ? numericVsNumeric(feature as (number | null)[], label as (number | null)[]) : numericVsClasses(feature as (number | null)[], label as (string | null)[], { minClassRows });
  } else {
    s = labelKind === 'numeric' ? categoricalVsNumeric(feature as (string | null)[], label as (number | null)[]) : categoricalVsClasses(feature as (string | null)[], label as (string | null)[]);
  }
  if (!Number.isFinite(s.score) && !s.reason && !constantOrSingleClass(feature, label)) {
    // Not the data's doing: a skip saying "constant" would hide a feature that was never scored (one +Infinity
    // label did that to every categorical feature).
    return result(ctx, {
      check: FAMILY,
      method: 'target',
      feature: column,
      status: 'error',
      metrics: { rows: s.rows },
      message: `${column}: target leakage could not be computed: its ${s.method} score came out ${s.score} over ${s.rows} rows, although the feature takes more than one value there and so does the label ${details.label ?? ''}`.trimEnd(),
      details: { ...details, score_method: s.method },
    });
  }
  if (!Number.isFinite(s.score)) {
    return skipped(ctx, FAMILY, `${column}: target leakage not measurable (${s.rows} rows with a value and a label: ${s.reason ?? 'the feature is constant there or the label has a single class, and its missing values do not vary with the label'})`, {
      method: 'target',
      feature: column,
      metrics: { rows: s.rows },
    });
  }
  const status = s.score >= q.target_fail ? 'fail' : s.score >= q.target_warn ? 'warn' : 'pass';
  const verdict = status === 'pass' ? 'no sign of target leakage' : status === 'warn' ? 'suspiciously predictive of the label' : 'predicts the label almost perfectly: leaked label?';
  return result(ctx, {
    check: FAMILY,
    method: 'target',
    feature: column,
    status,
    value: s.score,
    thresholds,
    metrics: { score: s.score, rows: s.rows, ...s.metrics },
    message: `${column}${s.missingness ? ` (whether it is missing)` : ''}: ${verdict} (${s.method} score ${s.score.toFixed(4)}${s.missingness ? ' of its missingness' : ''}${status === 'pass' ? ` < ${q.target_warn}` : ` >= ${status === 'fail' ? q.target_fail : q.target_warn}`})`,
    details: { ...details, score_method: s.method, ...(s.missingness ? { scored: 'missingness' } : {}) },
  });
}

