/**
 * Pending drops of online values (`online_drops_pending` in the state database):
 * a view removed or changed in a breaking way by an apply, whose online values
 * must go. The registry and the online store cannot change in one transaction,
 * so a drop is recorded first and removed from here only once the values are
 * gone (`dropPendingView`).
 *
 * A drop takes the view's materialization lease, so it never runs beside a
 * materialization's write. When a materialization holds the lease, the drop is
 * deferred to it: that run writes nothing if the drop was requested before its
 * write, and drops what it wrote if the request came during the write (its run
 * then fails, saying why). A pending drop left from before a materialization
 * started is done when it starts, before it reads anything. And when a run
 * has given its lease back, it drops what is still pending for its view: an
 * apply that found the lease held after the run's last check is covered too.
 */
import { randomUUID } from 'node:crypto';
import { ConflictError } from '../errors.js';
import { allDefinitions } from '../definitions/definition-set.js';
import type { Definition, DefinitionSet } from '../definitions/types.js';
import { forgetIntervals } from '../materialize/intervals.js';
import { acquireLeases } from '../materialize/lease.js';
import type { Project } from '../project.js';
import { ensureTables, type StateDb } from '../state/state-db.js';
import { computePlan } from './plan.js';
import type { Plan } from './types.js';

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

/**
 * Whether `view` lost its online values between the definitions `before` and
 * the registry's current ones (removed, or changed in a breaking way): a writer
 * that validated rows against `before` must not leave them online.
 */
export function droppedSince(project: Project, before: DefinitionSet, view: string): boolean {
  const now = project.registry.current();
  if (now === before) return false;
  const desired = allDefinitions(now);
  return viewsToDrop(computePlan(allDefinitions(before), desired), desired).includes(view);
}

/** Record that the online values of `views` must be dropped (kept until they are). */
export function requestDrops(db: StateDb, views: readonly string[]): void {
  if (views.length === 0) return;
  ensureTables(db, 'online_drops_pending', DDL);
  const record = db.prepare('INSERT INTO online_drops_pending (view, requested_at) VALUES (?, ?) ON CONFLICT (view) DO NOTHING');
  const now = new Date().toISOString();
  db.transaction(() => views.forEach((v) => record.run(v, now)))();
}

/** Views whose drop is still pending, sorted. */
export function pendingDrops(db: StateDb): string[] {
  ensureTables(db, 'online_drops_pending', DDL);
  return db.prepare('SELECT view FROM online_drops_pending ORDER BY view').pluck().all() as string[];
}

export function isDropPending(db: StateDb, view: string): boolean {
  ensureTables(db, 'online_drops_pending', DDL);
  return db.prepare('SELECT 1 FROM online_drops_pending WHERE view = ?').get(view) !== undefined;
}

/** Note why a pending drop could not be done (shown by the next apply's error). */
export function noteDropFailure(db: StateDb, view: string, error: string): void {
  ensureTables(db, 'online_drops_pending', DDL);
  db.prepare('UPDATE online_drops_pending SET last_error = ? WHERE view = ?').run(error, view);
}

/**
 * Drop a view's online values and forget its materialized windows, then clear
 * its pending drop. The caller holds the view's lease. Throws (and leaves the
 * drop pending) when the store fails.
 */
export async function dropPendingView(project: Project, view: string): Promise<void> {
  const store = await project.onlineStore();
  await store.dropView(view);
  const db = project.state;
  db.transaction(() => {
    forgetIntervals(db, view);
    db.prepare('DELETE FROM online_drops_pending WHERE view = ?').run(view);
  })();
}

/**
 * Drop a pending view's values under its lease, or return `deferred` when a
 * materialization holds the lease (that run drops them). Throws when the store
 * fails; the drop then stays pending.
 */
export async function dropUnlessMaterializing(project: Project, view: string): Promise<'dropped' | 'deferred'> {
  let lease;
  try {
    [lease] = acquireLeases(project.state, [view], `drop-${process.pid}-${randomUUID().slice(0, 8)}`);
  } catch (e) {
    if (e instanceof ConflictError && e.code === 'materialization_running') return 'deferred';
    throw e;
  }
  try {
    await dropPendingView(project, view);
    return 'dropped';
  } finally {
    lease.release();
  }
}
