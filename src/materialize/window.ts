/** Resolving the time window of a materialization (explicit or incremental). */
import type { FeatureViewDef } from '../definitions/types.js';
import { parseDuration } from '../definitions/ttl.js';
import { InputError } from '../errors.js';

/** A Date from a Date or an ISO 8601 text; text without a zone means UTC. */
export function parseInstant(value: Date | string, what: string): Date {
  if (value instanceof Date) {
    if (Number.isNaN(value.getTime())) throw new InputError(`invalid ${what}: not a valid date`);
    return value;
  }
  const text = value.trim();
  const zoned = /(Z|[+-]\d\d:?\d\d)$/i.test(text) || /^\d{4}-\d\d-\d\d$/.test(text) ? text : `${text}Z`;
  const d = new Date(zoned.replace(' ', 'T'));
  if (Number.isNaN(d.getTime())) throw new InputError(`invalid ${what} '${value}': use an ISO 8601 date or time, e.g. 2001-01-31 or 2001-01-31T12:00:00Z`);
  return d;
}

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
  if (input.incremental) {
    if (input.lastEnd) return { start: input.lastEnd, end };
    const ttl = parseDuration(input.view.ttl);
    if (ttl > 0) return { start: new Date(end.getTime() - ttl), end };
    return { start: (await input.earliest()) ?? end, end };
  }
  if (input.start === undefined) throw new InputError('materialize needs a window start (--start), or --incremental');
  const start = parseInstant(input.start, 'start');
  if (start.getTime() >= end.getTime()) throw new InputError(`window start ${start.toISOString()} is not before its end ${end.toISOString()}`);
  return { start, end };
}
