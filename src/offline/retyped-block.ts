/**
 * A dataset build whose sources hold a join key or feature retyped upstream after `apply` (an int64 column
 * rewritten as DOUBLE 2.6; `RetypedColumn`, found as the build runs its sources' setup): the build is blocked
 * before a row is joined, with one failed `schema.type` result per column — the check, message and details a
 * materialization of the source records — stored with its run. Read as declared, such a column's values would
 * change (2.6 becomes 3; a key, another entity's), so the block holds whatever the schema policy and
 * `allowFailedChecks` say.
 *
 * @example
 * const guard = await recordRetypedBlock(project, run, plan, retyped);
 * guard.blockedReason; // "schema.type: qty is DOUBLE but declared int64 (accepted: …) (feature view 'cust', …)"
 */
import { ACCEPTED_COLUMN_TYPES } from '../definitions/type-compat.js';
import type { FeatureType, JoinKeyType } from '../definitions/types.js';
import { result, type ResultInit } from '../guards/check.js';
import { featureTypeResult } from '../guards/checks/schema.js';
import { keyTypeResult } from '../guards/checks/schema-source.js';
import { resolveQuality } from '../guards/config.js';
import type { GuardStageResult } from '../guards/stage.js';
import { applyPolicies } from '../guards/verdict.js';
import type { Project } from '../project.js';
import type { CheckResult, Run } from '../runs/types.js';
import type { DatasetPlan } from './dataset-plan.js';
import type { RetypedColumn } from './key-types.js';

/** The failed `schema.type` results of the retyped columns, one per column of a source (policy `block`). */
export function retypedResults(project: Project, run: Run, plan: DatasetPlan, retyped: readonly RetypedColumn[]): CheckResult[] {
  const ctx = { run, features: [], quality: resolveQuality(project.config.quality, plan.service?.quality) };
  const seen = new Set<string>();
  const out: CheckResult[] = [];
  for (const c of retyped) {
    const id = `${c.source}\0${c.joinKey}\0${c.name}`;
    if (seen.has(id)) continue;
    seen.add(id);
    const views = plan.views.filter((v) => v.source.name === c.source);
    const init = c.joinKey ? keyTypeResult(views[0].source, { name: c.name, type: c.declared as JoinKeyType }, c.actual) : featureResult(plan, c);
    if (!init) continue;
    const where = ` (feature view${views.length === 1 ? '' : 's'} ${views.map((v) => `'${v.view.name}'`).join(', ')}, source '${c.source}': the dataset build read none of its rows; read as declared, its values would change, so neither --allow-failed-checks nor the SDK's allowFailedChecks waives it)`;
    out.push(result(ctx, { ...init, message: `${init.message}${where}`, policy: 'block' }));
  }
  return out;
}

/** A feature's result, under its column in the dataset (`view__feature` with full feature names) when it is one. */
function featureResult(plan: DatasetPlan, c: RetypedColumn): ResultInit {
  const column = plan.views.filter((v) => v.source.name === c.source).flatMap((v) => v.features).find((f) => f.feature === c.name)?.column ?? c.name;
  const declared = c.declared as FeatureType;
  return featureTypeResult(column, declared, c.actual, false, ACCEPTED_COLUMN_TYPES[declared].join(', '));
}

/** Store the results of the retyped columns with the run (and its counts): the verdict of a build blocked by them. */
export async function recordRetypedBlock(project: Project, run: Run, plan: DatasetPlan, retyped: readonly RetypedColumn[]): Promise<GuardStageResult> {
  const { results, verdict, blockedReason, counts } = applyPolicies(retypedResults(project, run, plan, retyped));
  // Waiting for another process's write lock on a timer, as the guard stage's records do (a server goes on answering).
  await project.runs.addResults(results);
  await project.runs.updateWhenFree(run.id, { counts });
  return { verdict, results, blockedReason, counts };
}
