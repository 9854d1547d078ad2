/**
 * Label coverage of a dataset build (`class_imbalance.labelled_rows`, the class imbalance check's policy): per
 * output part (the whole set, or train and test when the build splits), the rows with a label (NULL, and a float
 * label's NaN or ±Infinity, are none) out of the rows. Fails a part with no labelled row, or whose labelled share is
 * below `min_labelled_share` (0.5; equal passes); passes otherwise. The label's type does not matter: a numeric
 * label whose class balance is skipped is covered all the same.
 *
 * A point-in-time join leaves the label NULL on every entity row dated before the label row (or beyond the label
 * view's ttl): entity rows sampled now, labels stamped yesterday, give a train part without a single label, which
 * the class balance (counting labelled rows only) cannot see.
 */
import { storedDuration } from '../../definitions/ttl.js';
import { ident } from '../../offline/engine.js';
import type { CheckResult } from '../../runs/types.js';
import { queryRows, result, skipped, type CheckContext } from '../check.js';
import { labelPresent } from './label-columns.js';

const FAMILY = 'class_imbalance' as const;

/** The parts of the dataset as tables: `all`, or the split's `train` and `test`. */
function parts(ctx: CheckContext): { part: 'all' | 'train' | 'test'; table: string }[] {
  const split = ctx.dataset?.split;
  return split ? [{ part: 'train', table: split.trainTable }, { part: 'test', table: split.testTable }] : [{ part: 'all', table: ctx.table }];
}

const partName = (part: string) => (part === 'all' ? 'the dataset' : `the ${part} part`);

/** Why rows may lack their label: the label view's join (later labels, its ttl, keys without labels), or the entity rows' own column. */
function likelyCause(ctx: CheckContext, column: string): string {
  const labelView = ctx.service?.label?.split(':')[0];
  const joined = labelView !== undefined && (ctx.dataset?.viewTimestamps ?? []).some((v) => v.view === labelView);
  if (!joined) return `the rows' own ${column} values are missing`;
  const ttl = ctx.definitions.views.get(labelView)?.ttl;
  const ttlText = ttl !== undefined && storedDuration(ttl) > 0 ? `, is ${labelView}'s ttl (${ttl}) shorter than the gap` : '';
  return `a label joins an entity row only when dated at or before its timestamp: do the labels arrive later than the entity rows${ttlText}, or have the rows' keys no label rows?`;
}

const percent = (share: number) => `${(100 * share).toPrecision(3).replace(/\.0+$/, '')}%`;

/** One `labelled_rows` result per part of a dataset build with a label. */
export async function labelCoverage(ctx: CheckContext, column: string): Promise<CheckResult[]> {
  const q = (ctx.features.find((f) => f.column === column)?.quality ?? ctx.quality).class_imbalance;
  const min = q.min_labelled_share;
  const out: CheckResult[] = [];
  for (const { part, table } of parts(ctx)) {
    const [row] = await queryRows(ctx, `SELECT count(*) AS n, count(*) FILTER (WHERE ${labelPresent(ctx, column)}) AS labelled FROM ${ident(table)}`);
    const rows = Number(row.n);
    const labelled = Number(row.labelled);
    const name = partName(part);
    if (rows === 0) {
      out.push(skipped(ctx, FAMILY, `${column}: ${name} has no rows: no label to count`, { feature: column, method: 'labelled_rows', details: { part } }));
      continue;
    }
    const share = labelled / rows;
    const status = labelled === 0 || share < min ? 'fail' : 'pass';
    const counted = labelled === 0
      ? `${name} has no labelled row (0 of ${rows} rows)`
      : `${name} has ${labelled} labelled row${labelled === 1 ? '' : 's'} of ${rows} (${percent(share)})`;
    const message = status === 'pass' ? `${column}: ${counted}` : `${column}: ${counted}${labelled === 0 ? '' : ` < min_labelled_share ${min}`}: ${likelyCause(ctx, column)}`;
    out.push(result(ctx, {
      check: FAMILY, method: 'labelled_rows', feature: column, status, value: share, message,
      thresholds: { min_labelled_share: min },
      metrics: { rows, labelled_rows: labelled, labelled_share: share },
      details: { part },
    }));
  }
  return out;
}
