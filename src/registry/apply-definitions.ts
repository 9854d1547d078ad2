/**
 * Applying definitions, with what that means for the online store. After the
 * registry commits, the online values of every feature view the plan lists in
 * `drops` (removed, no longer online, or changed in a breaking way: see `computePlan`) are dropped
 * (`OnlineStore.dropView`) and its materialized windows forgotten: a view added
 * again later under the same name never serves the old values, and its next
 * `--incremental` run starts afresh. The CLI `apply`, the SDK's `apply` and
 * `POST /v1/registry/apply` all call `applyDefinitions`.
 *
 * The registry and the online store cannot change in one transaction, so a view
 * to drop is first recorded in the state database (`online_drops_pending`) and
 * only removed from there once its values are gone. When the store cannot be
 * reached the apply stays committed, the error says so (503
 * `online_drop_failed`), and the next apply — even one with nothing to change —
 * drops what is still pending. A view being materialized or pushed to is
 * `deferred`: that writer drops the values instead (`online-drops.ts`,
 * `online-writes.ts`).
 */
import type { AppliedBy } from './applied-by.js';
import type { Definition, FeatureViewDef } from '../definitions/types.js';
import { alertReferenceProblems } from '../definitions/cross-references.js';
import { checkSources } from '../definitions/source-check.js';
import { duckdbPatternProblems } from '../definitions/pattern-check.js';
import { ConflictError, DefinitionError, FeatureguardError, type DefinitionProblem } from '../errors.js';
import { ensureIntervalTable, forgetStoredFeatures } from '../materialize/intervals.js';
import { openOfflineEngine } from '../offline/engine.js';
import type { Project } from '../project.js';
import { dropPendingViews, ensureDropTable, noteDropFailure, requestDrops } from './online-drops.js';
import type { ApplyDefinitionsResult } from './apply-definitions-types.js';
import type { Plan } from './types.js';

export interface ApplyDefinitionsOptions {
  /** Who applies, recorded with the versions (`ApplyOptions.appliedBy`). */
  readonly appliedBy?: AppliedBy;
  /** Apply breaking changes too (removed features in use, changed types, join keys). */
  readonly allowBreaking?: boolean;
  /**
   * Remove the applied objects `defs` leaves out (`defs` is the complete desired set: the CLI's project directory,
   * the SDK's). Without it, a plan that removes anything is refused, 409 `removals_not_allowed`, checked on the
   * plan inside the apply's transaction, so a concurrent apply cannot slip a removal past it.
   */
  readonly allowRemovals?: boolean;
  /** Apply only onto this registry generation (a plan's `generation`), else 409 `registry_changed`: see `ApplyOptions.expectedGeneration`. */
  readonly expectedGeneration?: number;
  /** Runs in the registry's transaction once the change is planned, before the breaking-change check: throwing rolls it back (the SDK's merged apply). */
  readonly checkPlan?: (plan: Plan) => void;
}

/**
 * Apply definitions to the registry in one transaction (a removal without
 * `allowRemovals` or a breaking change without `allowBreaking` is a
 * `ConflictError` and changes nothing), then drop
 * the online values the change invalidates (see the module comment).
 *
 * @example
 * const { applied, dropped } = await applyDefinitions(project, loadDefinitions(project.root, project.config), { allowRemovals: true });
 * if (dropped.length) console.log(`materialize again: ${dropped.join(', ')}`);
 */
export async function applyDefinitions(
  project: Project,
  defs: readonly Definition[],
  options: ApplyDefinitionsOptions = {},
): Promise<ApplyDefinitionsResult> {
  // A pattern DuckDB's RE2 cannot compile fails every run whatever the data: refused as validate refuses it,
  // not a source warning.
  // Only awaited when there are patterns: an apply without any commits synchronously, as before (a run that
  // checks the registry before its write sees an apply started just before it).
  const patterns = hasPatterns(defs) ? await uncompiledPatterns(defs) : [];
  if (patterns.length > 0) throw new DefinitionError(patterns);
  const db = project.state;
  ensureDropTable(db);
  ensureIntervalTable(db);
  // The drops are recorded in the registry's own transaction: a crash after the commit cannot lose them. The
  // write lock is waited for on a timer: a server applying goes on serving while another process writes. So is
  // what the windows of views whose stored features change did not store (`Plan.rereads`).
  const result = await project.registry.applyWhenFree(defs, {
    allowBreaking: options.allowBreaking === true,
    expectedGeneration: options.expectedGeneration,
    appliedBy: options.appliedBy,
    checkPlan: (plan) => {
      options.checkPlan?.(plan);
      if (options.allowRemovals !== true) refuseRemovals(plan, options.allowBreaking === true);
    },
    inTransaction: (r) => {
      requestDrops(db, r.plan.drops);
      forgetStoredFeatures(db, r.plan.rereads);
    },
  });
  // A view being materialized or pushed to is dropped by that writer (`deferred`, see online-drops.ts).
  const { dropped, deferred, pending, failed: broken } = await dropPendingViews(project);
  const failed = [
    ...broken.map(({ view, error }) => ({ view, error })),
    ...pending.map((view) => ({ view, error: 'another drop of the view held its lease for 30 s, or drop requests kept coming while it dropped' })),
  ];
  if (failed.length > 0) {
    for (const f of failed) noteDropFailure(db, f.view, f.error);
    const views = failed.map((f) => `'${f.view}'`).join(', ');
    throw new FeatureguardError(
      'online_drop_failed',
      `${result.applied.length > 0 ? `applied ${result.applied.length} change${result.applied.length > 1 ? 's' : ''} to the registry, but ` : ''}` +
        `could not drop the online values of ${views} (${failed[0].error}); they stay in the online store until dropped ` +
        `(reads answer NOT_FOUND meanwhile): ${broken.length === 0 ? 'a running serve retries every 15 s, and so does the next apply or materialization' : 'apply again once the store answers'}`,
      {
        status: 503,
        exitCode: 3,
        cause: broken[0]?.cause,
        details: { applied: result.applied.map((a) => `${a.kind}/${a.name} v${a.version}`), dropped, deferred, failed },
      },
    );
  }
  // What `validate` would say about the sources: warnings, since a push-fed source may have no file yet.
  const sourceProblems = await checkSources(project.sourceRoots, defs).catch((): DefinitionProblem[] => []);
  return { ...result, dropped, deferred, source_problems: sourceProblems, alert_problems: alertReferenceProblems(project.config.alerts ?? [], defs) };
}

/**
 * A plan removing applied objects, refused: `POST /v1/registry/apply` with a partial body (only the view it
 * changed) would otherwise remove every object left out and drop the online values of every view among them.
 */
function refuseRemovals(plan: Plan, allowBreaking: boolean): void {
  const removals = plan.changes.filter((c) => c.action === 'remove').map((c) => ({ kind: c.kind, name: c.name }));
  if (removals.length === 0) return;
  const shown = removals.slice(0, 5).map((r) => `${r.kind}/${r.name}`).join(', ');
  const more = removals.length > 5 ? ` and ${removals.length - 5} more` : '';
  const n = removals.length;
  // Said at once: a rename is a removal and, for a view in use, a breaking change; the caller should not learn of
  // the second refusal only after fixing the first.
  const breaking = plan.breaking && !allowBreaking ? plan.changes.flatMap((c) => c.breaking) : [];
  const alsoBreaking = breaking.length > 0
    ? `; the plan also has breaking changes, which need allow_breaking: true as well (${breaking.slice(0, 3).join('; ')}${breaking.length > 3 ? ` and ${breaking.length - 3} more` : ''})`
    : '';
  throw new ConflictError(
    `refusing to remove ${n} applied object${n > 1 ? 's' : ''} the definitions leave out (${shown}${more}): ` +
      `post the complete set of definitions with allow_removals: true to remove them, or include them to keep them${alsoBreaking}`,
    breaking.length > 0 ? { removals, breaking } : { removals },
    'removals_not_allowed',
    2,
  );
}

/** Whether a feature of `defs` has a `pattern`. */
function hasPatterns(defs: readonly Definition[]): boolean {
  return defs.some((d) => d.kind === 'feature_view' && d.features.some((f) => typeof f.pattern === 'string'));
}

/** The patterns of `defs` DuckDB cannot compile (`duckdbPatternProblems`). */
async function uncompiledPatterns(defs: readonly Definition[]): Promise<DefinitionProblem[]> {
  const views = defs.filter((d): d is FeatureViewDef => d.kind === 'feature_view');
  const conn = await (await openOfflineEngine()).connect();
  try {
    return await duckdbPatternProblems(conn, views);
  } finally {
    conn.closeSync();
  }
}
