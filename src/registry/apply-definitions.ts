/**
 * Applying definitions, with what that means for the online store. After the
 * registry commits, the online values of every feature view that was removed,
 * or whose join keys or features changed in a breaking way, are dropped
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
 * drops what is still pending.
 */
import type { Definition } from '../definitions/types.js';
import { FeatureguardError } from '../errors.js';
import { forgetIntervals } from '../materialize/intervals.js';
import type { Project } from '../project.js';
import { ensureTables, type StateDb } from '../state/state-db.js';
import type { ApplyResult, Plan } from './types.js';

export interface ApplyDefinitionsOptions {
  /** Apply breaking changes too (removed features in use, changed types, join keys). */
  readonly allowBreaking?: boolean;
}

export interface ApplyDefinitionsResult extends ApplyResult {
  /** Views whose online values were dropped (and materialized windows forgotten), sorted. */
  readonly dropped: readonly string[];
}

const DDL = `
CREATE TABLE IF NOT EXISTS online_drops_pending (
  view TEXT PRIMARY KEY,
  requested_at TEXT NOT NULL,
  last_error TEXT
);
`;

/**
 * The views whose online values an applied plan invalidates: removed views,
 * views with a breaking change (join keys, a feature's type, a feature in use
 * removed), and views of `desired` keyed by an entity whose join keys changed.
 *
 * @example
 * viewsToDrop(computePlan(current, desired), desired); // ['origin_delays']
 */
export function viewsToDrop(plan: Plan, desired: readonly Definition[]): string[] {
  const out = new Set<string>();
  const rekeyed = new Set<string>();
  for (const c of plan.changes) {
    if (c.kind === 'entity' && c.action === 'change' && c.breaking.length > 0) rekeyed.add(c.name);
    if (c.kind === 'feature_view' && (c.action === 'remove' || (c.action === 'change' && c.breaking.length > 0))) out.add(c.name);
  }
  for (const d of desired) {
    if (d.kind === 'feature_view' && d.entities.some((e) => rekeyed.has(e))) out.add(d.name);
  }
  return [...out].sort();
}

function pendingDrops(db: StateDb): string[] {
  ensureTables(db, 'online_drops_pending', DDL);
  return db.prepare('SELECT view FROM online_drops_pending ORDER BY view').pluck().all() as string[];
}

/**
 * Apply definitions to the registry in one transaction (a breaking change
 * without `allowBreaking` is a `ConflictError` and changes nothing), then drop
 * the online values the change invalidates (see the module comment).
 *
 * @example
 * const { applied, dropped } = await applyDefinitions(project, loadDefinitions(project.root, project.config));
 * if (dropped.length) console.log(`materialize again: ${dropped.join(', ')}`);
 */
export async function applyDefinitions(
  project: Project,
  defs: readonly Definition[],
  options: ApplyDefinitionsOptions = {},
): Promise<ApplyDefinitionsResult> {
  const result = project.registry.apply(defs, { allowBreaking: options.allowBreaking === true });
  const db = project.state;
  const toDrop = viewsToDrop(result.plan, defs);
  if (toDrop.length > 0) {
    ensureTables(db, 'online_drops_pending', DDL);
    const record = db.prepare('INSERT INTO online_drops_pending (view, requested_at) VALUES (?, ?) ON CONFLICT (view) DO NOTHING');
    const now = new Date().toISOString();
    db.transaction(() => toDrop.forEach((v) => record.run(v, now)))();
  }
  const pending = pendingDrops(db);
  if (pending.length === 0) return { ...result, dropped: [] };

  const dropped: string[] = [];
  const failed: { view: string; error: string }[] = [];
  let cause: unknown;
  try {
    const store = await project.onlineStore();
    for (const view of pending) {
      try {
        await store.dropView(view);
        db.transaction(() => {
          forgetIntervals(db, view);
          db.prepare('DELETE FROM online_drops_pending WHERE view = ?').run(view);
        })();
        dropped.push(view);
      } catch (e) {
        cause ??= e;
        failed.push({ view, error: (e as Error).message });
      }
    }
  } catch (e) {
    // The store did not open (Redis down): nothing could be dropped.
    cause = e;
    failed.push(...pending.map((view) => ({ view, error: (e as Error).message })));
  }
  if (failed.length > 0) {
    const note = db.prepare('UPDATE online_drops_pending SET last_error = ? WHERE view = ?');
    for (const f of failed) note.run(f.error, f.view);
    const views = failed.map((f) => `'${f.view}'`).join(', ');
    throw new FeatureguardError(
      'online_drop_failed',
      `${result.applied.length > 0 ? `applied ${result.applied.length} change${result.applied.length > 1 ? 's' : ''} to the registry, but ` : ''}` +
        `could not drop the online values of ${views} (${failed[0].error}); they stay in the online store until dropped: ` +
        'apply again once the store answers',
      {
        status: 503,
        exitCode: 3,
        cause,
        details: { applied: result.applied.map((a) => `${a.kind}/${a.name} v${a.version}`), dropped, failed },
      },
    );
  }
  return { ...result, dropped };
}
