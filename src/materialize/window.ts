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
  /** Earliest event timestamp of the view's source (asked only when needed). */
  readonly earliest: () => Promise<Date | null>;
  readonly now: Date;
}

/**
 * The window `[start, end)` of one view. Incremental: start at the last successful
 * window's end; first run: now − ttl, or the source's earliest row when ttl is 0.
 */
export async function resolveWindow(input: WindowInput): Promise<{ start: Date; end: Date }> {
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
    if (input.lastEnd) return { start: input.lastEnd, end };
    const ttl = storedDuration(input.view.ttl);
    if (ttl > 0) return { start: new Date(end.getTime() - ttl), end };
    return { start: (await input.earliest()) ?? end, end };
  }
  if (input.start === undefined) throw new InputError('materialize needs a window start (--start), or --incremental');
  const start = parseInstant(input.start, 'start');
  if (start.getTime() >= end.getTime()) throw new InputError(`window start ${start.toISOString()} is not before its end ${end.toISOString()}`);
  return { start, end };
}
