/**
 * A push refused for its rows, recorded as a `blocked` push run before the refusal is thrown: rows that do not fit
 * the view (400 `invalid_rows`, `push.ts`) and a Feast frame that leaves out feature columns (400
 * `missing_feature_columns`) alike. The run holds one `schema` result (`fail`, policy `block`): its value the rows
 * refused, its metrics `{rows, invalid_rows, problems}`, its details the problems listed (`push-problems.ts`);
 * alerts fire for it. So a producer sending broken rows shows up in the quality log whichever way they are broken.
 *
 * @example
 * await refuseMissingColumnsRecorded(project, set, [view], rows, 'online', options); // throws 400 missing_feature_columns
 */
import { alertFinishedRun } from '../alerts/dispatch.js';
import type { DefinitionSet, FeatureViewDef } from '../definitions/types.js';
import type { Project } from '../project.js';
import { rowNumber } from '../row-number.js';
import type { RunTrigger } from '../runs/trigger.js';
import type { CheckResult } from '../runs/types.js';
import { lackingViews, missingColumnsError, missingColumnsMessage, rowsMissingFeatures } from './push-frame.js';
import { lineageOf } from './push-lineage.js';
import type { PushedRowProblem } from './push-problems.js';
import type { PushTarget } from './push-types.js';

export interface PushOptions {
  /**
   * Take over the delivery of the run's alerts instead of the push waiting for it
   * (a server answers at once; webhook retries can take seconds). Without it the
   * push resolves once every alert attempt is made and recorded. The push awaits
   * what it returns (a bounded queue returns the delivery itself when full).
   */
  readonly deliverAlerts?: (delivery: Promise<void>) => void | Promise<void>;
  /** What started the push, recorded with its run (an HTTP request's API key); default: the process's. */
  readonly trigger?: RunTrigger;
  /** Told the run once it is recorded, before the push can fail: a server names it in the log of a failed request. */
  readonly onRun?: (run: { readonly view: string; readonly run_id: string }) => void;
}

/** Deliver alerts as `options` says: handed over, or awaited. */
export async function sendAlerts(options: PushOptions, delivery: Promise<void>): Promise<void> {
  await (options.deliverAlerts ? options.deliverAlerts(delivery) : delivery);
}

/** What a refused push's `schema` result says: the refusal's message, the rows and problems counted, the details. */
export interface Refusal {
  readonly message: string;
  readonly invalidRows: number;
  readonly problems: number;
  readonly details: Record<string, unknown>;
}

/** Record the refusal of `rows` rows pushed to `view` as a blocked push run (see the module comment); its id. */
export async function recordRefusedPush(project: Project, set: DefinitionSet, view: FeatureViewDef, rows: number, to: PushTarget, options: PushOptions, refusal: Refusal): Promise<string> {
  const run = await project.runs.createWhenFree({ kind: 'push', view: view.name, options: { to, rows }, trigger: options.trigger });
  options.onRun?.({ view: view.name, run_id: run.id });
  const record: CheckResult = {
    run_id: run.id, check: 'schema', feature: null, slice: null, status: 'fail', policy: 'block', method: 'rows',
    value: refusal.invalidRows, thresholds: null, metrics: { rows, invalid_rows: refusal.invalidRows, problems: refusal.problems },
    message: refusal.message, details: refusal.details,
  };
  await project.runs.addResults([record]);
  await project.runs.updateWhenFree(run.id, {
    status: 'blocked', finished_at: new Date().toISOString(), rows_in: rows, rows_out: 0, message: refusal.message,
    counts: { pass: 0, warn: 0, fail: 1, error: 0, skipped: 0 }, lineage: lineageOf(project, set, view, rows, to, 0),
  });
  await sendAlerts(options, alertFinishedRun(project, run.id, { verdict: 'block', results: [record], blockedReason: refusal.message }));
  return run.id;
}

/**
 * The problems of rows that leave out feature columns of `view`: one per missing column, however many rows lack
 * it (`no row has the feature column 'f'`, or `2 of 4 rows lack the feature column 'f'; first: row 1 (counting from 0)`), at the
 * first row that lacks it; and the rows that lack any.
 */
export function missingColumnProblems(set: DefinitionSet, view: FeatureViewDef, rows: readonly object[]): { problems: PushedRowProblem[]; invalidRows: number } {
  const lacking = new Map<string, { first: number; count: number }>();
  let invalidRows = 0;
  rowsMissingFeatures(set, view, rows).forEach((missing, i) => {
    if (missing.length > 0) invalidRows++;
    for (const feature of missing) {
      const seen = lacking.get(feature);
      if (seen) seen.count++;
      else lacking.set(feature, { first: i, count: 1 });
    }
  });
  const problems = [...lacking.keys()].sort().map((feature) => {
    const { first, count } = lacking.get(feature) as { first: number; count: number };
    const message = count === rows.length
      ? `no row has the feature column '${feature}'`
      : `${count} of ${rows.length} rows ${count === 1 ? 'lacks' : 'lack'} the feature column '${feature}'; first: ${rowNumber(first)}`;
    return { row: first, path: `/${first}`, message };
  });
  return { problems, invalidRows };
}

/**
 * Refuse rows that leave out a feature column of any of `views` (rows pushed with `ignoreUnknownColumns`, as a Feast
 * frame is): each such view's refusal recorded as its blocked push run — one problem per feature column it lacks
 * (`missingColumnProblems`), the view's missing columns in the details' `missing_columns` — then thrown as 400
 * `missing_feature_columns`, each entry of `details.views` with its `run_id`. Views whose columns are all there get
 * no run (nothing is written for them either).
 */
export async function refuseMissingColumnsRecorded(project: Project, set: DefinitionSet, views: readonly FeatureViewDef[], rows: readonly object[], to: PushTarget, options: PushOptions): Promise<void> {
  const lacking = lackingViews(set, views, rows);
  if (lacking.length === 0) return;
  const recorded = [];
  for (const entry of lacking) {
    const view = views.find((v) => v.name === entry.view) as FeatureViewDef;
    const { problems, invalidRows } = missingColumnProblems(set, view, rows);
    const runId = await recordRefusedPush(project, set, view, rows.length, to, options, {
      message: missingColumnsMessage([entry]), invalidRows, problems: problems.length,
      details: { missing_columns: entry.missing, problems },
    });
    recorded.push({ ...entry, run_id: runId });
  }
  throw missingColumnsError(recorded);
}
