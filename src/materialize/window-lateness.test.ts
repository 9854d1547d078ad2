/**
 * `allowed_lateness`: an incremental window starts that long before the last window's end (re-reading rows that
 * landed late), never before where a first incremental run would start (now − ttl, or the source's earliest row),
 * and a gap in the view's history that starts earlier still wins.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { FeatureViewDef } from '../definitions/types.js';
import { resolveWindow, type WindowInput } from './window.js';

const view = (ttl: string, allowed_lateness?: string): FeatureViewDef => ({
  kind: 'feature_view', name: 'v', entities: ['e'], source: 's', ttl, ...(allowed_lateness === undefined ? {} : { allowed_lateness }), features: [],
});
const now = new Date('2001-02-01T00:00:00Z');
const at = (iso: string) => new Date(iso);
const never = async () => {
  throw new Error('not asked');
};
const incremental = (v: FeatureViewDef, lastEnd: Date, more: Partial<WindowInput> = {}) =>
  resolveWindow({ view: v, incremental: true, lastEnd, earliest: never, now, ...more });

describe('incremental windows with allowed_lateness', () => {
  it('start allowed_lateness before the last end; the end stays now', async () => {
    const last = at('2001-01-31T23:00:00Z');
    expect(await incremental(view('6h', '2h'), last)).toEqual({ start: at('2001-01-31T21:00:00Z'), end: now });
    expect(await incremental(view('0', '30m'), last, { earliest: async () => at('2001-01-01T00:00:00Z') })).toEqual({ start: at('2001-01-31T22:30:00Z'), end: now });
    // 0 and none: where the last window ended, as before.
    expect(await incremental(view('6h', '0'), last)).toEqual({ start: last, end: now });
    expect(await incremental(view('6h'), last)).toEqual({ start: last, end: now });
  });

  it('re-read the lateness window on a run right after another', async () => {
    const last = at('2001-01-31T23:59:59Z');
    expect(await incremental(view('6h', '1h'), last)).toEqual({ start: at('2001-01-31T22:59:59Z'), end: now });
  });

  it('never start before now − ttl, nor before the source earliest row for a ttl of 0', async () => {
    const last = at('2001-01-31T20:00:00Z');
    expect(await incremental(view('6h', '4h'), last)).toEqual({ start: at('2001-01-31T18:00:00Z'), end: now });
    const earliest = at('2001-01-25T00:00:00Z');
    expect(await incremental(view('0', '30d'), last, { earliest: async () => earliest })).toEqual({ start: earliest, end: now });
    // Never later than the last end either (a ttl bound after it does not skip the history up to it).
    const old = at('2001-01-20T00:00:00Z');
    expect(await incremental(view('6h', '1h'), old)).toEqual({ start: old, end: now });
  });

  it('keep the gap handling: a gap before the late start wins, one after it does not', async () => {
    const last = at('2001-01-31T20:00:00Z');
    const gap = at('2001-01-31T19:00:00Z');
    expect(await incremental(view('6h', '30m'), last, { firstUncovered: () => gap })).toEqual({ start: gap, end: now });
    // Covered up to the last end: the late start.
    expect(await incremental(view('6h', '2h'), last, { firstUncovered: () => last })).toEqual({ start: at('2001-01-31T18:00:00Z'), end: now });
    // The gap is looked for from where a first run would start, as before.
    const asked: (Date | null)[] = [];
    await incremental(view('6h', '2h'), last, { firstUncovered: (from) => (asked.push(from), last) });
    expect(asked).toEqual([at('2001-01-31T18:00:00Z')]);
  });

  it('say nothing to do when the end is not after the late start', async () => {
    const last = at('2001-01-20T00:00:00Z');
    expect(await incremental(view('6h', '1d'), last, { end: '2001-01-19T00:00:00Z' }))
      .toEqual({ start: at('2001-01-19T00:00:00Z'), end: at('2001-01-19T00:00:00Z'), nothingToDo: 'already materialized up to 2001-01-20T00:00:00.000Z' });
    // An end between the late start and the last end re-reads that much.
    expect(await incremental(view('0', '1d'), last, { end: '2001-01-19T12:00:00Z', earliest: async () => null }))
      .toEqual({ start: at('2001-01-19T00:00:00Z'), end: at('2001-01-19T12:00:00Z') });
  });

  it('start no later than without lateness, and at most allowed_lateness earlier unless a gap or ttl says so (property)', async () => {
    const H = 3_600_000;
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 72 }), // hours from the last end back to... the last end is now − this
        fc.integer({ min: 0, max: 48 }), // lateness, hours (0: none)
        fc.integer({ min: 0, max: 96 }), // ttl, hours (0: unlimited)
        fc.option(fc.integer({ min: 0, max: 200 }), { nil: undefined }), // gap: hours before now (undefined: no history helper)
        fc.integer({ min: 0, max: 300 }), // earliest row: hours before now
        async (lastAgo, lateH, ttlH, gapAgo, earliestAgo) => {
          const lastEnd = new Date(now.getTime() - lastAgo * H);
          const dur = (h: number) => (h === 0 ? '0' : `${h}h`);
          const firstUncovered = gapAgo === undefined ? undefined : () => new Date(now.getTime() - gapAgo * H);
          const common = { incremental: true, lastEnd, firstUncovered, earliest: async () => new Date(now.getTime() - earliestAgo * H), now };
          const without = await resolveWindow({ view: view(dur(ttlH)), ...common });
          const withLate = await resolveWindow({ view: view(dur(ttlH), dur(lateH)), ...common });
          const floor = ttlH > 0 ? now.getTime() - ttlH * H : now.getTime() - earliestAgo * H;
          const s = withLate.start.getTime();
          expect(withLate.end).toEqual(without.end);
          expect(s).toBeLessThanOrEqual(without.start.getTime());
          // Earlier than without lateness only by re-reading: never beyond lastEnd − lateness, nor before the floor.
          if (s < without.start.getTime()) {
            expect(s).toBeGreaterThanOrEqual(lastEnd.getTime() - lateH * H);
            expect(s).toBeGreaterThanOrEqual(floor);
          }
          // Late rows up to allowed_lateness old and after the floor are read.
          expect(s).toBeLessThanOrEqual(Math.min(lastEnd.getTime(), Math.max(lastEnd.getTime() - lateH * H, floor)));
        },
      ),
      { numRuns: 300 },
    );
  });
});
