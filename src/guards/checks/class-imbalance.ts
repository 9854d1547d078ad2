/**
 * The class imbalance check (label views and dataset builds; default policy warn):
 * per label column, class shares, minority share, IR = max/min count and
 * normalised entropy; warn when IR > `max_imbalance_ratio` (10); fail when a
 * class of the reference vanished, the minority class has fewer than
 * `min_class_count` (30) rows (a single class present warns, with no IR or
 * minority share or minority count: there is no minority; normalised entropy 1). Numeric labels are skipped unless
 * `bins` are configured (then the bins are the classes). A dataset build's label
 * also gets its coverage, per part (`labelled_rows`, see label-coverage.ts).
 *
 * The class reference is drift's, except that with `previous` a run whose class
 * check failed for the label is passed over (see `classReference`).
 */
import { ident } from '../../offline/engine.js';
import type { CheckResult } from '../../runs/types.js';
import { queryRows, result, skipped, type Check, type CheckContext } from '../check.js';
import type { ReferenceProfiles } from '../profile-types.js';
import { failedIn, findReference } from '../reference.js';
import { referenceDetails } from './reference-label.js';
import { binLabel, classBalance } from './class-imbalance-metrics.js';
import { labelCoverage } from './label-coverage.js';
import { classExpr, columnType, isNestedType, isNumberType, labelColumns, labelPresent, labelType } from './label-columns.js';
import { maskProfile, maskValue } from '../profile-mask.js';

const FAMILY = 'class_imbalance' as const;

function binCaseSql(column: string, edges: readonly number[]): string {
  const c = `CAST(${ident(column)} AS DOUBLE)`;
  // left-closed bins: values below edge e fall in the bin that ends at e
  const parts = edges.map((e, i) => `WHEN ${c} < ${e} THEN '${binLabel(i === 0 ? -Infinity : edges[i - 1], edges)}'`);
  return `CASE ${parts.join(' ')} ELSE '${binLabel(Infinity, edges)}' END`;
}

/**
 * What the label's classes are compared with: the drift reference, except that `previous` (or `previous:<n>`) passes
 * over runs whose class check failed for this label. Such a run ends `warned` under the default warn policy, so it
 * is drift's reference; as the class reference it would make the lost class the norm, and the next run that lost it
 * too would pass the comparison (the spec fails a run on a class of the reference that vanished: a reference that
 * failed that test is no reference). A pinned baseline is taken as it is: pinning a run is how a class dropped on
 * purpose stops failing.
 */
function classReference(ctx: CheckContext, column: string): ReferenceProfiles | null {
  const reference = ctx.reference;
  // A unit test's context has no state database.
  if (!reference || reference.description.startsWith('baseline:') || !ctx.project?.state) return reference;
  // Looked up again (reading older runs' profiles) only when a run of the reference failed the check.
  const ids = reference.runIds ?? (reference.runId ? [reference.runId] : []);
  if (!failedIn(ctx.project.state, ids, FAMILY, column)) return reference;
  return findReference(ctx.project, {
    definitions: ctx.definitions, view: ctx.view?.name, service: ctx.service?.name, kind: ctx.kind, runId: ctx.run.id,
    setting: ctx.quality.drift.reference, minRows: ctx.quality.drift.min_rows, notFailed: { check: FAMILY, feature: column },
  }).reference;
}

/** Classes the reference profile knows for this label (top values, else distinct sample values). */
function referenceClasses(classRef: ReferenceProfiles | null, column: string, bins: readonly number[] | null, masked: boolean): string[] {
  const reference = classRef?.profiles.get(column);
  if (!reference) return [];
  const ref = masked ? maskProfile(reference) : reference;
  if (bins) return [...new Set(ref.sample.filter((v): v is number => typeof v === 'number').map((v) => binLabel(v, bins)))];
  if (ref.top && ref.top.length) return ref.top.map((t) => t.value);
  return [...new Set(ref.sample.map((v) => String(v)))];
}

async function checkLabel(ctx: CheckContext, column: string): Promise<CheckResult> {
  const q = (ctx.features.find((f) => f.column === column)?.quality ?? ctx.quality).class_imbalance;
  const type = columnType(ctx, column);
  if (type && isNestedType(type)) {
    return skipped(ctx, FAMILY, `${column} (${type}) holds lists or structs, not classes: its class balance is not checked`, { feature: column, method: 'imbalance' });
  }
  const kind = await labelType(ctx, column);
  const bins = q.bins && q.bins.length ? [...q.bins].sort((a, b) => a - b) : null;
  if (kind === 'numeric' && !bins) {
    return skipped(ctx, FAMILY, `${column} is a numeric label: set class_imbalance.bins to check its balance`, { feature: column, method: 'imbalance' });
  }
  const expr = kind === 'numeric' && bins ? binCaseSql(column, bins) : classExpr(ctx, column);
  const rows = await queryRows(
    ctx,
    `SELECT ${expr} AS v, count(*) AS n FROM ${ident(ctx.table)} WHERE ${labelPresent(ctx, column)} GROUP BY 1`,
  );
  // Personal data (a masked profile on either side) is counted by the hash of each class, as profiles keep it.
  const classRef = classReference(ctx, column);
  const masked = Boolean(ctx.profiles.get(column)?.masked || classRef?.profiles.get(column)?.masked) && !bins;
  // A numeric label's reference classes come from its profile's sample, which holds JavaScript numbers: classes are
  // compared as those numbers print (an int64 class beyond ±2^53 as the double it is nearest), or a class present
  // on both sides would read as vanished.
  const numeric = isNumberType(columnType(ctx, column));
  const className = (v: unknown) => (numeric && !bins ? String(Number(v)) : String(v));
  const counts = new Map<string, number>();
  for (const r of rows) {
    const name = masked ? maskValue(className(r.v)) : className(r.v);
    counts.set(name, (counts.get(name) ?? 0) + Number(r.n));
  }
  const refClasses = referenceClasses(classRef, column, kind === 'numeric' ? bins : null, masked);
  const b = classBalance(counts, refClasses);
  if (b.total === 0) {
    return skipped(ctx, FAMILY, `${column} has no labelled rows`, { feature: column, method: 'imbalance' });
  }
  const failures: string[] = [];
  const warnings: string[] = [];
  if (b.vanished.length) failures.push(`class${b.vanished.length > 1 ? 'es' : ''} ${b.vanished.map((v) => `'${v}'`).join(', ')} of the reference vanished`);
  // One class has no minority: its imbalance ratio (1) and minority share (100%) would read as perfectly balanced,
  // its minority count as a minority of all the rows. (Normalised entropy 1 − H/ln K stays 1: a single class.)
  const one = b.classes.length === 1;
  if (b.minorityCount < q.min_class_count) failures.push(`${one ? 'the only' : 'minority'} class '${b.minorityClass}' has ${b.minorityCount} rows < ${q.min_class_count}`);
  if (one) warnings.push(`only one class ('${b.classes[0].value}') is present`);
  else if (b.imbalanceRatio > q.max_imbalance_ratio) warnings.push(`imbalance ratio ${b.imbalanceRatio.toFixed(2)} > ${q.max_imbalance_ratio}`);
  const status = failures.length ? 'fail' : warnings.length ? 'warn' : 'pass';
  const problems = [...failures, ...warnings];
  const summary = one
    ? `1 class, ${b.minorityCount} rows: no imbalance ratio or minority share`
    : `${b.classes.length} classes, minority '${b.minorityClass}' ${(100 * b.minorityShare).toPrecision(3)}% (${b.minorityCount} rows), IR ${b.imbalanceRatio.toFixed(2)}`;
  return result(ctx, {
    check: FAMILY,
    method: 'imbalance',
    feature: column,
    status,
    value: one ? null : b.imbalanceRatio,
    thresholds: { warn: q.max_imbalance_ratio, min_class_count: q.min_class_count },
    metrics: {
      classes: b.classes.length,
      minority_share: one ? null : b.minorityShare,
      minority_count: one ? null : b.minorityCount,
      imbalance_ratio: one ? null : b.imbalanceRatio,
      normalized_entropy: b.normalizedEntropy,
      vanished_classes: b.vanished.length,
    },
    message: problems.length ? `${column}: ${problems.join('; ')} (${summary})` : `${column}: ${summary}`,
    details: {
      shares: Object.fromEntries(b.classes.slice(0, 50).map((c) => [c.value, c.share])),
      counts: Object.fromEntries(b.classes.slice(0, 50).map((c) => [c.value, c.count])),
      vanished: b.vanished,
      ...(classRef ? referenceDetails(ctx, classRef) : { reference: null }),
      ...(bins ? { bins } : {}),
      ...(masked ? { masked: true } : {}),
    },
  });
}

/**
 * Class balance of every label column (dataset label, or the features of a label view); for a dataset build's
 * label, its coverage too (`labelled_rows`, one result a part: the class balance counts labelled rows only).
 */
export const classImbalanceCheck: Check = async (ctx) => {
  const labels = labelColumns(ctx);
  if (!labels.length) return [skipped(ctx, FAMILY, 'no label column: class imbalance applies to dataset builds with a label and to label views', { method: 'imbalance' })];
  const out: CheckResult[] = [];
  for (const column of labels) {
    out.push(await checkLabel(ctx, column));
    if (ctx.dataset?.labelColumn === column) out.push(...(await labelCoverage(ctx, column)));
  }
  return out;
};
