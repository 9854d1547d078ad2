/**
 * The leakage check on dataset builds (point-in-time-joined rows):
 * - target leakage per feature against the label on a deterministic sample of up
 *   to `sample_rows` (50,000) rows (scores in `leakage-scores.ts`; warn ≥ 0.9,
 *   fail ≥ 0.98; identifier-like categoricals are reported as such instead);
 * - temporal leakage: a joined feature row whose event timestamp is after the
 *   entity row's timestamp fails (sub-policy `temporal`); with `availability:
 *   event`, rows whose created timestamp is after it are counted and warned;
 * - train/test overlap when the build splits: test rows dated before the last
 *   train timestamp, and test rows whose (keys, timestamp) also appear in train.
 * PII is a separate family entry point (`pii.ts`) reporting under `leakage` too.
 */
import { ident } from '../../offline/engine.js';
import type { CheckResult } from '../../runs/types.js';
import type { DatasetGuardInfo } from '../stage.js';
import { policyOf, queryRows, result, skipped, type Check, type CheckContext } from '../check.js';
import { featureReadAs, labelType, readExpr } from './label-columns.js';
import {
  categoricalVsClasses,
  categoricalVsNumeric,
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

async function targetLeakage(ctx: CheckContext, ds: DatasetGuardInfo): Promise<CheckResult[]> {
  const label = ds.labelColumn;
  if (!label) return [skipped(ctx, FAMILY, 'no label column in this dataset: target leakage not checked', { method: 'target' })];
  if (policyOf(ctx, FAMILY) === 'off') return [];
  if (!ctx.columns.some((c) => c.name === label)) {
    return [result(ctx, { check: FAMILY, method: 'target', status: 'error', message: `label column ${label} is missing from the dataset rows` })];
  }
  const q = ctx.quality.leakage;
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
  // Deterministic sample: hash order of the entity row, then the values themselves to break ties.
  const orderKeys = [...ds.joinKeyColumns, ds.entityTimestampColumn].map(ident).join(', ');
  const select = [
    `${readExpr(label, labelKind === 'numeric' ? 'numeric' : 'categorical')} AS "__label"`,
    ...cols.map((c, i) => `${readExpr(c.column, c.read)} AS "f${i}"`),
  ];
  const reader = await ctx.conn.runAndReadAll(
    `SELECT ${select.join(', ')} FROM ${ident(ctx.table)} WHERE ${ident(label)} IS NOT NULL ORDER BY hash(${orderKeys}), ${select.map((_, i) => i + 1).join(', ')} LIMIT ${Math.max(1, Math.floor(q.sample_rows))}`,
  );
  const data = reader.getColumnsJS();
  const labelValues = toCells(data[0], labelKind === 'numeric' ? 'numeric' : 'categorical');
  const sampled = labelValues.length;
  cols.forEach((c, i) => out.push(scoreFeature(ctx, c.column, c.as, toCells(data[i + 1], c.as), labelValues, labelKind, sampled)));
  return out;
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
    s = labelKind === 'numeric' ? numericVsNumeric(feature as (number | null)[], label as (number | null)[]) : numericVsClasses(feature as (number | null)[], label as (string | null)[]);
  } else {
    s = labelKind === 'numeric' ? categoricalVsNumeric(feature as (string | null)[], label as (number | null)[]) : categoricalVsClasses(feature as (string | null)[], label as (string | null)[]);
  }
  if (!Number.isFinite(s.score)) {
    return skipped(ctx, FAMILY, `${column}: target leakage not measurable (${s.rows} rows with feature and label; constant feature or a single class)`, {
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
    message: `${column}: ${verdict} (${s.method} score ${s.score.toFixed(4)}${status === 'pass' ? ` < ${q.target_warn}` : ` >= ${status === 'fail' ? q.target_fail : q.target_warn}`})`,
    details: { ...details, score_method: s.method },
  });
}

async function temporalLeakage(ctx: CheckContext, ds: DatasetGuardInfo): Promise<CheckResult[]> {
  if (!ds.viewTimestamps.length) return [];
  if (policyOf(ctx, FAMILY, 'temporal') === 'off') return [];
  const ets = ident(ds.entityTimestampColumn);
  const sel = ds.viewTimestamps.flatMap((v, i) => [
    `count(*) FILTER (WHERE ${ident(v.eventTsColumn)} > ${ets}) AS e${i}`,
    `count(${ident(v.eventTsColumn)}) AS j${i}`,
    v.createdTsColumn ? `count(*) FILTER (WHERE ${ident(v.createdTsColumn)} > ${ets}) AS c${i}` : `0 AS c${i}`,
  ]);
  const [row] = await queryRows(ctx, `SELECT ${sel.join(', ')} FROM ${ident(ctx.table)}`);
  const out: CheckResult[] = [];
  ds.viewTimestamps.forEach((v, i) => {
    const future = Number(row[`e${i}`]);
    const joined = Number(row[`j${i}`]);
    const late = Number(row[`c${i}`]);
    const metrics = { future_event_rows: future, late_created_rows: late, joined_rows: joined };
    const details = { view: v.view, event_ts_column: v.eventTsColumn, created_ts_column: v.createdTsColumn, availability: ds.availability };
    if (future > 0) {
      out.push(result(ctx, { check: FAMILY, method: 'temporal', sub: 'temporal', status: 'fail', value: future, metrics, details,
        message: `${v.view}: ${future} of ${joined} joined rows have a feature event timestamp after the entity timestamp (values from the future)` }));
    } else if (late > 0 && ds.availability === 'created') {
      out.push(result(ctx, { check: FAMILY, method: 'temporal', sub: 'temporal', status: 'fail', value: late, metrics, details,
        message: `${v.view}: ${late} of ${joined} joined rows were created after the entity timestamp although the build joins on availability 'created'` }));
    } else if (late > 0) {
      out.push(result(ctx, { check: FAMILY, method: 'temporal', sub: 'temporal', status: 'warn', value: late, metrics, details,
        message: `${v.view}: ${late} of ${joined} joined rows were created after the entity timestamp (value was not known yet at prediction time)` }));
    } else {
      out.push(result(ctx, { check: FAMILY, method: 'temporal', sub: 'temporal', status: 'pass', value: 0, metrics, details,
        message: `${v.view}: every joined row was known at the entity timestamp (${joined} rows)` }));
    }
  });
  return out;
}

async function trainTestOverlap(ctx: CheckContext, ds: DatasetGuardInfo): Promise<CheckResult[]> {
  if (!ds.split) return [skipped(ctx, FAMILY, 'no train/test split: overlap not checked', { method: 'overlap' })];
  if (policyOf(ctx, FAMILY) === 'off') return [];
  const ts = ident(ds.entityTimestampColumn);
  const train = ident(ds.split.trainTable);
  const test = ident(ds.split.testTable);
  const on = [...ds.joinKeyColumns, ds.entityTimestampColumn].map((k) => `t.${ident(k)} = r.${ident(k)}`).join(' AND ');
  const [row] = await queryRows(
    ctx,
    `WITH last AS (SELECT max(${ts}) AS m FROM ${train})
     SELECT (SELECT count(*) FROM ${test}) AS n_test,
            (SELECT count(*) FROM ${train}) AS n_train,
            (SELECT count(*) FROM ${test}, last WHERE ${ts} < last.m) AS before_last_train,
            (SELECT count(*) FROM ${test} t SEMI JOIN ${train} r ON ${on}) AS shared_rows,
            (SELECT m::VARCHAR FROM last) AS last_train_ts`,
  );
  const nTest = Number(row.n_test);
  const before = Number(row.before_last_train);
  const shared = Number(row.shared_rows);
  const beforeShare = nTest ? before / nTest : 0;
  const sharedShare = nTest ? shared / nTest : 0;
  const metrics = { test_rows: nTest, train_rows: Number(row.n_train), test_before_last_train_share: beforeShare, shared_rows_share: sharedShare };
  const problems: string[] = [];
  if (before) problems.push(`${before} test rows (${(100 * beforeShare).toPrecision(3)}%) are dated before the last train timestamp ${row.last_train_ts}`);
  if (shared) problems.push(`${shared} test rows (${(100 * sharedShare).toPrecision(3)}%) share their keys and timestamp with train rows`);
  return [
    result(ctx, {
      check: FAMILY,
      method: 'overlap',
      status: problems.length ? 'fail' : 'pass',
      value: Math.max(beforeShare, sharedShare),
      thresholds: { fail: 0 },
      metrics,
      message: problems.length ? `train/test overlap: ${problems.join('; ')}` : `train/test split is clean: every test row is dated at or after the last train row and none repeats a train row`,
      details: { last_train_timestamp: row.last_train_ts ?? null, train_table: ds.split.trainTable, test_table: ds.split.testTable },
    }),
  ];
}

/** Target leakage, temporal leakage and train/test overlap on a dataset build's joined rows. */
export const leakageCheck: Check = async (ctx) => {
  const ds = ctx.dataset;
  if (!ds) return [skipped(ctx, FAMILY, 'target/temporal leakage and overlap apply to dataset builds', { method: 'target' })];
  return [...(await targetLeakage(ctx, ds)), ...(await temporalLeakage(ctx, ds)), ...(await trainTestOverlap(ctx, ds))];
};
