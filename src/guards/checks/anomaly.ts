/**
 * Anomaly checks (default policy warn): volume (robust z-score of log row count
 * against the last successful runs, its spread at least 2% and one row; an empty
 * window fails unless `allow_empty`), freshness (now − max(event_ts) >
 * `max_staleness` fails), outlier rate against the reference's median/MAD (mean
 * absolute deviation when the MAD is 0), and null-rate jumps; those two rates
 * not on fewer rows (values) than drift's `min_rows`.
 */
import type { CheckResult } from '../../runs/types.js';
import { judgedProfile, queryRows, result, type Check, type CheckContext } from '../check.js';
import { poolDetails, poolNote } from '../push-pool.js';
import { durationMs } from '../config.js';
import { medianOf, referenceScale, robustScale, robustStats } from '../profile.js';
import { volumeHistory } from '../run-stats.js';
import { timestampTextMs } from '../timestamp-text.js';
import { missingRate, valueCount } from '../profile-types.js';
import { named, referenceDetails, referenceName } from './reference-label.js';

function fmt(x: number): string {
  return Number(x.toPrecision(3)).toString();
}

/**
 * Robust z-score of `x` against `history`: distance from the median in robustScale units (1.4826·MAD, else
 * 1.2533·mean absolute deviation), the scale taken as at least `minScale`; null when the scale is still 0 and x
 * is not the median.
 */
export function robustZ(x: number, history: readonly number[], minScale = 0): number | null {
  const med = medianOf(history);
  const scale = Math.max(robustScale(history, med), minScale);
  if (scale === 0) return x === med ? 0 : null;
  return (x - med) / scale;
}

/**
 * The least spread of log(row count) the volume check assumes: 2% (log 1.02) and one row of the median window.
 * Row counts that rarely change (one row per entity per window) leave the MAD, often the mean deviation too, at
 * or near 0, and then any change (an entity more) was infinitely unusual; with this floor a change of a few
 * percent, or of a row or two, never warns, while one of about 7% or more (×2, ×0.5) still does at volume_z 3.5.
 */
export function volumeMinScale(medianRows: number): number {
  return Math.max(Math.log(1.02), Math.log1p(1 / Math.max(medianRows, 1)));
}

/**
 * Where the source's rows lie, for the message of an empty window: a window outside them (2001 dates on data
 * shifted to end now, a typo in a year) reads nothing, and "0 rows" alone did not say why. Empty when the source
 * cannot be read here (the tamper check reports that) or the run has no window.
 */
async function sourceSpan(ctx: CheckContext): Promise<string> {
  if (!ctx.sourceRelation || !ctx.window) return '';
  try {
    const [row] = await queryRows(ctx, `SELECT count(event_timestamp) AS n, strftime(min(event_timestamp), '%Y-%m-%dT%H:%M:%S.%gZ') AS lo, strftime(max(event_timestamp), '%Y-%m-%dT%H:%M:%S.%gZ') AS hi FROM (${ctx.sourceRelation})`);
    const n = Number(row?.n ?? 0);
    return n === 0 ? '; the source has no rows' : `; the source's ${n} row(s) span ${String(row!.lo)} to ${String(row!.hi)}`;
  } catch {
    return '';
  }
}

/** What an empty run's volume check says: a dataset's rows come from its entity input, a window's from its source. */
async function emptyMessage(ctx: CheckContext, allowed: boolean): Promise<string> {
  if (ctx.kind === 'dataset') return allowed ? 'empty dataset (allowed: allow_empty)' : 'the dataset has 0 rows (the entity input has none)';
  if (ctx.kind === 'push') return allowed ? 'empty push (allowed: allow_empty)' : 'the push has 0 rows';
  if (allowed) return 'empty window (allowed: allow_empty)';
  return `the window has 0 rows${ctx.window ? ` (${ctx.window.start.toISOString()} to ${ctx.window.end.toISOString()})${await sourceSpan(ctx)}` : ''}`;
}

async function volume(ctx: CheckContext): Promise<CheckResult> {
  const a = ctx.quality.anomaly;
  if (ctx.rowCount === 0) {
    return result(ctx, {
      check: 'anomaly', method: 'volume', status: a.allow_empty ? 'pass' : 'fail', value: 0,
      message: await emptyMessage(ctx, a.allow_empty),
    });
  }
  if (!ctx.view || ctx.kind === 'push' || ctx.kind === 'dataset') {
    return result(ctx, { check: 'anomaly', method: 'volume', status: 'pass', value: ctx.rowCount, message: `${ctx.rowCount} rows`, metrics: { rows: ctx.rowCount } });
  }
  const hist = volumeHistory(ctx.project.state, ctx.view.name, a.volume_history, ctx.run.id);
  if (hist.length < 3) {
    return result(ctx, { check: 'anomaly', method: 'volume', status: 'pass', value: ctx.rowCount, metrics: { rows: ctx.rowCount, history: hist.length }, message: `${ctx.rowCount} rows (volume history too short: ${hist.length} run(s))` });
  }
  // Windows of different lengths (an incremental run catching up after a pause, a one-off day among weeks) are
  // compared by rows per hour of window: the same as row counts when every window is as long.
  const hours = ctx.window ? (ctx.window.end.getTime() - ctx.window.start.getTime()) / 3_600_000 : null;
  const perHour = hours !== null && hours > 0 && hist.every((h) => h.hours !== null && h.hours > 0) && hist.some((h) => Math.abs(h.hours! - hours) > 1e-9);
  const amount = (rows: number, h: number | null) => (perHour ? rows / h! : rows);
  const what = (v: number) => (perHour ? `${fmt(v)} rows per hour` : `${Math.round(v)}`);
  const current = amount(ctx.rowCount, hours);
  const logs = hist.map((h) => Math.log(amount(Math.max(h.rows, 1), h.hours)));
  const median = Math.exp(medianOf(logs));
  const medianRows = perHour ? median * hours! : median;
  // The floor keeps the scale above 0: z is always a number.
  const z = robustZ(Math.log(current), logs, volumeMinScale(medianRows))!;
  const bad = Math.abs(z) > a.volume_z;
  return result(ctx, {
    check: 'anomaly', method: 'volume', status: bad ? 'warn' : 'pass', value: z,
    thresholds: { z: a.volume_z },
    metrics: { rows: ctx.rowCount, median_rows: Math.round(medianRows), history: hist.length, ...(perHour ? { rows_per_hour: current, median_rows_per_hour: median } : {}) },
    message: bad
      ? `row count ${ctx.rowCount}${perHour ? ` (${what(current)})` : ''} is unusual vs the last ${hist.length} runs (median ${what(median)}, robust z ${fmt(z)})`
      : `row count ${ctx.rowCount}${perHour ? ` (${what(current)})` : ''} is normal (robust z ${fmt(z)})`,
  });
}

function freshness(ctx: CheckContext): CheckResult | null {
  const max = durationMs(ctx.quality.anomaly.max_staleness);
  if (max === null || max === 0 || !ctx.eventTimestampColumn) return null;
  const newest = ctx.profiles.get(ctx.eventTimestampColumn)?.max;
  if (typeof newest !== 'string') {
    return result(ctx, { check: 'anomaly', method: 'freshness', status: 'fail', message: `no event timestamps: staleness unknown (max_staleness ${ctx.quality.anomaly.max_staleness})` });
  }
  const age = ctx.now.getTime() - timestampTextMs(newest);
  // Text that is no time (a BC date) cannot be fresh: unknown staleness fails, as no timestamps do.
  const stale = !(age <= max);
  return result(ctx, {
    check: 'anomaly', method: 'freshness', status: stale ? 'fail' : 'pass', value: age / 1000,
    thresholds: { max_staleness_s: max / 1000 },
    message: stale ? `newest event is ${fmt(age / 3_600_000)} h old (> ${ctx.quality.anomaly.max_staleness})` : `newest event is ${fmt(age / 3_600_000)} h old`,
    details: { newest_event_timestamp: newest },
  });
}

function perFeature(ctx: CheckContext): CheckResult[] {
  const out: CheckResult[] = [];
  const ref = ctx.reference;
  if (!ref) return out;
  // Every rate names the reference it was compared with, as drift does.
  const refName = referenceName(ctx, ref);
  // A small push is judged on its pool (push-pool.ts), saying so.
  const details = { ...referenceDetails(ctx, ref), ...poolDetails(ctx.pool) };
  const pooled = poolNote(ctx.pool);
  for (const f of ctx.features) {
    const a = f.quality.anomaly;
    const cur = judgedProfile(ctx, f.column);
    const rp = ref.profiles.get(f.column);
    if (!cur || !rp || cur.count === 0 || rp.count === 0) continue;
    // A rate of a few rows says nothing (one null optional value in a 1-row push is a null rate of 1): below drift's
    // min_rows, as drift does, the rates are not judged.
    const min = f.quality.drift.min_rows;
    // Judged (or skipped, saying why) whenever both are numeric: never silently left out.
    const outliersApply = cur.kind === 'numeric' && rp.kind === 'numeric';
    if (cur.count < min) {
      const why = `${cur.count} row(s) < min_rows ${min}, too few to judge`;
      out.push(result(ctx, { check: 'anomaly', method: 'null_rate', feature: f.column, status: 'skipped', thresholds: { min_rows: min }, metrics: { rows: cur.count }, message: `${f.column} null rate not judged${pooled}: ${why}`, details }));
      if (outliersApply) out.push(result(ctx, { check: 'anomaly', method: 'outliers', feature: f.column, status: 'skipped', thresholds: { min_rows: min }, metrics: { rows: cur.count }, message: `${f.column} outlier rate not judged${pooled}: ${why}`, details }));
      continue;
    }
    // Missing: NULL, NaN or ±Inf (a float feature allowed NaN that turns all NaN has no values left either).
    const [now, before] = [missingRate(cur), missingRate(rp)];
    const jump = now - before;
    out.push(result(ctx, {
      check: 'anomaly', method: 'null_rate', feature: f.column, status: jump > a.null_rate_jump ? 'warn' : 'pass', value: jump,
      thresholds: { null_rate_jump: a.null_rate_jump },
      metrics: { null_rate: now, null_rate_ref: before },
      message: `${f.column} null rate (NULL, NaN, ±Inf)${pooled} ${fmt(now)} vs ${fmt(before)} in ${named(refName, jump > a.null_rate_jump ? `jump ${fmt(jump)} > ${a.null_rate_jump}` : undefined)}`,
      details,
    }));
    if (outliersApply && valueCount(cur) < min) {
      out.push(result(ctx, { check: 'anomaly', method: 'outliers', feature: f.column, status: 'skipped', thresholds: { min_rows: min }, metrics: { values: valueCount(cur) }, message: `${f.column} outlier rate not judged${pooled}: ${valueCount(cur)} value(s) < min_rows ${min}, too few to judge`, details }));
    } else if (outliersApply && cur.outlier_rate_vs_reference === null) {
      // No scale to measure by: the reference's values are all one value (its MAD and mean deviation are 0), or it keeps none.
      const p50 = rp.quantiles?.p50;
      const why = p50 !== undefined && p50 !== null && referenceScale(rp) === 0 ? `every value of ${named(refName)} is ${fmt(p50)}, no spread to measure outliers by` : `${named(refName)} keeps no values to measure outliers by`;
      out.push(result(ctx, { check: 'anomaly', method: 'outliers', feature: f.column, status: 'skipped', metrics: { values: valueCount(cur) }, message: `${f.column} outlier rate not judged${pooled}: ${why}`, details }));
    } else if (outliersApply && cur.outlier_rate_vs_reference !== null) {
      const rate = cur.outlier_rate_vs_reference;
      // References stored before the mean-deviation fallback have no rate of their own when their MAD is 0.
      const refRate = rp.outlier_rate ?? robustStats(rp.sample.filter((v): v is number => typeof v === 'number'), a.outlier_z).outlierRate ?? 0;
      const bad = rate > a.outlier_factor * refRate && rate > a.outlier_min_rate;
      out.push(result(ctx, {
        check: 'anomaly', method: 'outliers', feature: f.column, status: bad ? 'warn' : 'pass', value: rate,
        thresholds: { factor: a.outlier_factor, min_rate: a.outlier_min_rate, z: a.outlier_z },
        metrics: { outlier_rate: rate, outlier_rate_ref: refRate },
        message: `${f.column} outlier rate${pooled} ${fmt(rate)} vs ${fmt(refRate)} in ${named(refName, bad ? `more than ${fmt(a.outlier_factor)}x and above ${fmt(a.outlier_min_rate * 100)}%` : undefined)}`,
        details,
      }));
    }
  }
  return out;
}

export const anomalyCheck: Check = async (ctx) => {
  const out = [await volume(ctx)];
  const fresh = freshness(ctx);
  if (fresh) out.push(fresh);
  out.push(...perFeature(ctx));
  return out;
};
