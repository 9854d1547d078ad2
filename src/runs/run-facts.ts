/**
 * Facts about a run in words, shared by its page (`/ui/runs/:id`) and `featureguard runs show`, so the two say the
 * same: what a push did with its rows, and what a blocked materialization left in the online store and how to
 * re-run its window.
 *
 * @example
 * pushFacts(run); // 'to online: 1 row, 0 written online, 1 skipped (not newer than the stored value)'
 * blockedNextStep(run, keptValues(project.runs, run))?.command; // 'featureguard materialize --views …'
 */
import type { RunStore } from './run-store.js';
import type { Run } from './types.js';
import { viewHistoryStart } from './view-history.js';

const count = (n: number) => n.toLocaleString('en-US');

/**
 * What a push did with its rows (its stored options): where to, how many it was given, how many the online store
 * took. A blocked or failed push records no writes: it says so, not only the rows it was given. Null for a run that
 * is no push (or recorded no `to`).
 */
export function pushFacts(run: Run): string | null {
  const o = run.options;
  if (run.kind !== 'push' || !o || typeof o.to !== 'string') return null;
  const num = (v: unknown) => (typeof v === 'number' ? v : null);
  const rows = num(o.rows);
  const parts = [`to ${o.to}${rows === null ? '' : `: ${count(rows)} row${rows === 1 ? '' : 's'}`}`];
  const written = num(o.written);
  const skipped = num(o.skipped);
  if (o.to !== 'offline' && written !== null) parts.push(`${count(written)} written online`);
  // Ties are skipped too (an equal event time keeps the stored value), as `push` and the README say.
  if (o.to !== 'offline' && skipped !== null) parts.push(`${count(skipped)} skipped (not newer than the stored value)`);
  // Recorded apart since it was counted in `skipped`: rows beaten within the push, never compared with the store.
  const superseded = num(o.superseded);
  if (o.to !== 'offline' && superseded !== null && superseded > 0) parts.push(`${count(superseded)} superseded (a newer row of the same entity in this push)`);
  const unwritten = o.written === undefined && typeof o.file !== 'string';
  if (unwritten && run.status === 'blocked') parts[0] += ' (not written: blocked)';
  else if (unwritten && run.status === 'failed') parts[0] += ' (none recorded as written: failed)';
  return parts.join(', ');
}

/** `2026-12-03 06:00:00Z` (UTC, seconds), as the pages print a time. */
function formatTime(iso: string): string {
  return `${new Date(Date.parse(iso)).toISOString().slice(0, 19).replace('T', ' ')}Z`;
}

/**
 * A window `[start, end)` as the run page, the runs list and `runs show`'s NEXT line print it: dates alone when both
 * ends are midnights (`2026-12-02 → 2026-12-03`), else both times (`2026-12-03 00:00:00Z → 2026-12-03 06:00:00Z`);
 * `…` for an open end, `—` when it has none.
 */
export function formatWindow(start: string | null, end: string | null): string {
  if (!start && !end) return '—';
  const midnight = (s: string | null) => s === null || new Date(Date.parse(s)).toISOString().endsWith('T00:00:00.000Z');
  const dates = midnight(start) && midnight(end);
  const f = (s: string | null) => (s === null ? '…' : dates ? new Date(Date.parse(s)).toISOString().slice(0, 10) : formatTime(s));
  return `${f(start)} → ${f(end)}`;
}

/** What the online store held for a blocked run's view when it started (`keptValues`). */
export interface KeptValues {
  /** The newest run that wrote the view's values since its history last started over; null when none did. */
  readonly writer: Run | null;
  /** When an apply last dropped the view's online values (its history started over, ISO 8601), or null when never. */
  readonly droppedAt: string | null;
}

/**
 * What the online store held for `run`'s view when it started: the newest run of the view that wrote to it before
 * (a materialization, or a push to `online` or `both`, that succeeded or warned and wrote a row), since the view's
 * history last started over (an apply that dropped its values, as the drift reference and the tamper check count it),
 * and when that was. Null for a run of no view.
 */
export function keptValues(runs: Pick<RunStore, 'db' | 'get'>, run: Run): KeptValues | null {
  if (!run.view) return null;
  const db = runs.db;
  // Read only (a page or `runs show` creates no table): the same bound as `inViewHistorySql`, for this one view.
  const droppedAt = viewHistoryStart(db, run.view);
  // The newest of each kind (by the index on view, kind and start: a view fed by a push a second has millions of runs),
  // each the newest that wrote, then the newer of the two.
  const newest = (kind: string, also = '') => `SELECT * FROM (SELECT id, started_at FROM runs WHERE view = @view AND kind = '${kind}'
    AND status IN ('success', 'warned') AND rows_out > 0 ${also} AND started_at < @before AND started_at >= @since AND id <> @id
    ORDER BY started_at DESC LIMIT 1)`;
  const id = db
    .prepare(`SELECT id FROM (${newest('materialize')} UNION ALL ${newest('push', "AND coalesce(json_extract(options, '$.to'), 'online') <> 'offline'")}) ORDER BY started_at DESC LIMIT 1`)
    .pluck()
    .get({ view: run.view, before: run.started_at, since: droppedAt ?? '', id: run.id }) as string | undefined;
  return { writer: id === undefined ? null : runs.get(id), droppedAt };
}

/**
 * What a blocked materialization left behind and how to go on: nothing was written, so the online store keeps the
 * values it had, last written by `kept.writer` (`keptValues`; each entity keeps its newest value, from whichever run
 * wrote it), or has none (an apply dropped them, or no run wrote the view yet: reads answer NOT_FOUND); once the source
 * is fixed, the command re-runs the same window. Null for any other run.
 */
export function blockedNextStep(run: Run, kept: KeptValues | null): { written: string; command: string } | null {
  if (run.kind !== 'materialize' || run.status !== 'blocked' || !run.view) return null;
  const writer = kept?.writer ?? null;
  const written = writer
    ? `nothing was written: the online store keeps the values it had (last written by ${writer.kind} run ${writer.id.slice(0, 8)}${writer.window_start || writer.window_end ? `, window ${formatWindow(writer.window_start, writer.window_end)}` : ''})`
    : kept?.droppedAt
      ? `nothing was written: the online store has no values of ${run.view} since an apply dropped them (${formatTime(kept.droppedAt)}); online reads answer NOT_FOUND until a run writes the view`
      : `nothing was written: no run has written ${run.view} yet; online reads answer NOT_FOUND until one does`;
  const window = `${run.window_start ? ` --start ${run.window_start}` : ''}${run.window_end ? ` --end ${run.window_end}` : ''}`;
  return { written, command: `featureguard materialize --views ${run.view}${window}` };
}
