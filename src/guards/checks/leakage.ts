/**
 * The leakage check on dataset builds (point-in-time-joined rows):
 * - target leakage per feature against the label (`target-leakage.ts`); on a
 *   feature view's own runs, against the labels services pair it with
 *   (`linked-label.ts`);
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
import { linkedLabelLeakage } from './linked-label.js';
import { targetLeakage } from './target-leakage.js';

const FAMILY = 'leakage' as const;

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

/**
 * One sub-check that records `error` under its own policy when it breaks (QUALITY-CHECKS.md §1: the verdict is the
 * worst status under each check's policy): a broken target-leakage score warns under target's `warn` instead of
 * blocking through temporal's `block`, and a broken temporal check still blocks.
 */
async function subCheck(ctx: CheckContext, method: 'target' | 'temporal' | 'overlap', run: () => Promise<CheckResult[]>): Promise<CheckResult[]> {
  try {
    return await run();
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    return [result(ctx, {
      check: FAMILY, method, status: 'error', message: `leakage.${method} check broke: ${message.split('\n')[0]}`, details: { error: message },
      ...(method === 'temporal' ? { sub: 'temporal' } : {}),
    })];
  }
}

/** Target leakage, temporal leakage and train/test overlap on a dataset build's joined rows; target leakage on label-linked views. */
export const leakageCheck: Check = async (ctx) => {
  const ds = ctx.dataset;
  // A feature view's own rows: target leakage against the labels feature services pair it with.
  if (!ds && ctx.view && ctx.view.role !== 'label') return subCheck(ctx, 'target', () => linkedLabelLeakage(ctx, ctx.view!));
  if (!ds) return [skipped(ctx, FAMILY, 'target/temporal leakage and overlap apply to dataset builds and label-linked views', { method: 'target' })];
  return [
    ...(await subCheck(ctx, 'target', () => targetLeakage(ctx, ds))),
    ...(await subCheck(ctx, 'temporal', () => temporalLeakage(ctx, ds))),
    ...(await subCheck(ctx, 'overlap', () => trainTestOverlap(ctx, ds))),
  ];
};
