/**
 * Facts about a run in words, shared by its page (`/ui/runs/:id`) and `featureguard runs show`, so the two say the
 * same: what a push did with its rows, and what a blocked materialization left in the online store and how to
 * re-run its window.
 *
 * @example
 * pushFacts(run); // 'to online: 1 row, 0 written online, 1 skipped (not newer than the stored value)'
 * blockedNextStep(run, lastWriterBefore(project.runs, run))?.command; // 'featureguard materialize --views …'
 */
import type { RunStore } from './run-store.js';
import type { Run } from './types.js';

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
  const unwritten = o.written === undefined && typeof o.file !== 'string';
  if (unwritten && run.status === 'blocked') parts[0] += ' (not written: blocked)';
  else if (unwritten && run.status === 'failed') parts[0] += ' (none recorded as written: failed)';
  return parts.join(', ');
}

/** The window as the pages print it: dates alone when both ends are midnights. */
function shortWindow(start: string | null, end: string | null): string {
  const f = (s: string | null) => {
    if (!s) return '…';
    const iso = new Date(Date.parse(s)).toISOString();
    return iso.endsWith('T00:00:00.000Z') ? iso.slice(0, 10) : `${iso.slice(0, 19).replace('T', ' ')}Z`;
  };
  return `${f(start)} → ${f(end)}`;
}

/**
 * The newest run of `run`'s view that wrote to the online store before it started (a materialization or a push that
 * succeeded or warned): the values a blocked run left in place. Null for a run of no view, or when none did.
 */
export function lastWriterBefore(runs: Pick<RunStore, 'list'>, run: Run): Run | null {
  if (!run.view) return null;
  let newest: Run | null = null;
  for (const kind of ['materialize', 'push'] as const) {
    for (const status of ['success', 'warned'] as const) {
      const [r] = runs.list({ view: run.view, kind, status, until: run.started_at, limit: 1 }).runs;
      if (r && r.id !== run.id && (r.rows_out ?? 1) > 0 && (!newest || r.started_at > newest.started_at)) newest = r;
    }
  }
  return newest;
}

/**
 * What a blocked materialization left behind and how to go on: nothing was written, so the online store keeps the
 * values it had, last written by `kept` (`lastWriterBefore`; each entity keeps its newest value, from whichever run
 * wrote it); once the source is fixed, the command re-runs the same window. Null for any other run.
 */
export function blockedNextStep(run: Run, kept: Run | null): { written: string; command: string } | null {
  if (run.kind !== 'materialize' || run.status !== 'blocked' || !run.view) return null;
  const written = kept
    ? `nothing was written: the online store keeps the values it had (last written by ${kept.kind} run ${kept.id.slice(0, 8)}${kept.window_start || kept.window_end ? `, window ${shortWindow(kept.window_start, kept.window_end)}` : ''})`
    : 'nothing was written: the online store keeps the values it had';
  const window = `${run.window_start ? ` --start ${run.window_start}` : ''}${run.window_end ? ` --end ${run.window_end}` : ''}`;
  return { written, command: `featureguard materialize --views ${run.view}${window}` };
}
