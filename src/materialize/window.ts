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
  /** A run of the store's epoch covered the view's history from the source's earliest row (`historyCovered`): it is not asked again. */
  readonly historyStartKnown?: boolean;
  /** Earliest event timestamp of the view's source (asked only when needed). */
  readonly earliest: () => Promise<Date | null>;
  readonly now: Date;
}

/**
 * The window `[start, end)` of one view. Incremental: start at the last successful
 * window's end, or at the first gap before it in the view's history; first run: now − ttl, or the source's
 * earliest row when ttl is 0.
 */
export interface ResolvedWindow {
  readonly start: Date;
  readonly end: Date;
  /** Set when an incremental window is empty: why there is nothing to materialize. */
  readonly nothingToDo?: string;
  /**
   * An incremental window of a ttl-0 view that starts no later than the first gap after the source's earliest
   * row: once written, the view's history is covered from the start (later runs need not scan the source again).
   */
  readonly historyCovered?: boolean;
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
    // An empty window is never reversed: it ends where it starts, and says why nothing is left to do.
    const upTo = (start: Date, why: string): ResolvedWindow =>
      start.getTime() < end.getTime() ? { start, end } : { start, end: start, nothingToDo: why };
    const ttl = storedDuration(input.view.ttl);
    if (input.lastEnd) {
      let start = input.lastEnd;
      let historyCovered = false;
      if (input.firstUncovered) {
        // ttl 0: from the source's earliest row, unless a run already covered the history from there.
        const from = ttl > 0 ? new Date(end.getTime() - ttl) : input.historyStartKnown ? null : await input.earliest();
        historyCovered = ttl === 0;
        const gap = input.firstUncovered(from);
        if (gap !== null && gap.getTime() < start.getTime()) start = gap;
      }
      const w = upTo(start, `already materialized up to ${input.lastEnd.toISOString()}`);
      return historyCovered ? { ...w, historyCovered } : w;
    }
    if (ttl > 0) return { start: new Date(end.getTime() - ttl), end };
    const earliest = await input.earliest();
    if (earliest === null) return { start: end, end, nothingToDo: 'the source has no rows' };
    return { ...upTo(earliest, `the source's earliest row (${earliest.toISOString()}) is not before the window end ${end.toISOString()}`), historyCovered: true };
  }
  if (input.start === undefined) throw new InputError('materialize needs a window start (--start), or --incremental');
  const start = parseInstant(input.start, 'start');
  if (start.getTime() >= end.getTime()) throw new InputError(`window start ${start.toISOString()} is not before its end ${end.toISOString()}`);
  return { start, end };
}
