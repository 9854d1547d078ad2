/** Resolving the time window of a materialization (explicit or incremental). */
import type { FeatureViewDef } from '../definitions/types.js';
import { storedDuration } from '../definitions/ttl.js';
import { InputError } from '../errors.js';
import { parseInstant } from '../time/instant.js';

export interface WindowInput {
  readonly view: FeatureViewDef;
  readonly start?: Date | string;
  readonly end?: Date | string;
  readonly incremental?: boolean;
  /** End of the last successful window of the view. */
  readonly lastEnd: Date | null;
  /**
   * With `lastEnd`: the first instant at or after `from` (null: the earliest recorded window's start) that no
   * recorded window covers. An incremental run then starts at the first gap in the view's history (from now −
   * ttl, or the source's earliest row when ttl is 0) when there is one before `lastEnd`.
   */
  readonly firstUncovered?: (from: Date | null) => Date | null;
  /** Earliest event timestamp of the view's source (asked for ttl-0 views only). */
  readonly earliest: () => Promise<Date | null>;
  readonly now: Date;
}

/**
 * The window `[start, end)` of one view. Incremental: start at the last successful
 * window's end less the view's `allowed_lateness` (rows that landed after the run covering their event time are
 * read again; never before where a first run starts), or at the first gap before it in the view's history; first
 * run: now − ttl, or the source's earliest row when ttl is 0.
 */
export interface ResolvedWindow {
  readonly start: Date;
  readonly end: Date;
  /** Set when an incremental window is empty: why there is nothing to materialize. */
  readonly nothingToDo?: string;
}

export async function resolveWindow(input: WindowInput): Promise<ResolvedWindow> {
  const end = input.end === undefined ? input.now : parseInstant(input.end, 'end');
  // A window ending in the future would be recorded as materialized up to then: `--incremental` would
  // start there and skip every row that arrives until that time.
  if (end.getTime() > input.now.getTime()) {
    throw new InputError(
      `window end ${end.toISOString()} is later than now (${input.now.toISOString()}): a materialized window ends at or before now, or an incremental run would skip the rows arriving until then; leave the end out for now`,
      { end: end.toISOString(), now: input.now.toISOString() },
      'end_in_future',
    );
  }
  if (input.incremental) {
    // Refused, not ignored: the caller meant a window from that start, and would get one from the last end.
    if (input.start !== undefined) {
      throw new InputError('incremental computes the start itself (where the last window of each view ended): drop start, or drop incremental', { start: String(input.start) }, 'incremental_with_start');
    }
    // An empty window is never reversed: it ends where it starts, and says why nothing is left to do.
    const upTo = (start: Date, why: string): ResolvedWindow =>
      start.getTime() < end.getTime() ? { start, end } : { start, end: start, nothingToDo: why };
    const ttl = storedDuration(input.view.ttl);
    if (input.lastEnd) {
      const lateness = storedDuration(input.view.allowed_lateness);
      let start = input.lastEnd;
      if (input.firstUncovered || lateness > 0) {
        // Where a first run starts. ttl 0: the source's earliest row, asked on every run: rows backfilled before
        // the earliest one a run saw begin a gap there (trusting a history once covered skipped them for good). A
        // source that cannot be read now fails the run itself, recorded with its reason: its window starts as covered.
        const from = ttl > 0 ? new Date(end.getTime() - ttl) : await input.earliest().catch(() => null);
        // Rows that landed late are read again (online writes keep the newer value, so the overlap rewrites
        // nothing unchanged), back to where a first run would start: older rows are expired, or not in the source.
        if (lateness > 0) start = new Date(Math.min(start.getTime(), Math.max(start.getTime() - lateness, from?.getTime() ?? -Infinity)));
        const gap = input.firstUncovered?.(from) ?? null;
        if (gap !== null && gap.getTime() < start.getTime()) start = gap;
      }
      return upTo(start, `already materialized up to ${input.lastEnd.toISOString()}`);
    }
    if (ttl > 0) return { start: new Date(end.getTime() - ttl), end };
    const earliest = await input.earliest();
    if (earliest === null) return { start: end, end, nothingToDo: 'the source has no rows' };
    return upTo(earliest, `the source's earliest row (${earliest.toISOString()}) is not before the window end ${end.toISOString()}`);
  }
  // Said in the options' own names: the CLI and the HTTP API say it in theirs before calling here.
  if (input.start === undefined) throw new InputError('give a window (start, and optionally end) or incremental: true', undefined, 'window_required');
  const start = parseInstant(input.start, 'start');
  if (start.getTime() >= end.getTime()) throw new InputError(`window start ${start.toISOString()} is not before its end ${end.toISOString()}`);
  return { start, end };
}
