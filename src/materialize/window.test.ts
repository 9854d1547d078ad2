import { describe, expect, it } from 'vitest';
import type { FeatureViewDef } from '../definitions/types.js';
import { resolveWindow } from './window.js';

const view = (ttl?: string): FeatureViewDef => ({ kind: 'feature_view', name: 'v', entities: ['e'], source: 's', ttl, features: [] });
const now = new Date('2001-02-01T00:00:00Z');
const never = async () => {
  throw new Error('not asked');
};

describe('materialization windows', () => {
  it('resolves explicit and incremental windows', async () => {
    expect(await resolveWindow({ view: view(), start: '2001-01-01', lastEnd: null, earliest: never, now })).toEqual({ start: new Date('2001-01-01T00:00:00Z'), end: now });
    await expect(resolveWindow({ view: view(), start: '2001-03-01', lastEnd: null, earliest: never, now })).rejects.toThrow(/not before/);
    // Said in the options' names (the SDK's), not the CLI's flags.
    await expect(resolveWindow({ view: view(), lastEnd: null, earliest: never, now })).rejects.toMatchObject({
      code: 'window_required', message: 'give a window (start, and optionally end) or incremental: true',
    });
    const last = new Date('2001-01-20T00:00:00Z');
    expect(await resolveWindow({ view: view('6h'), incremental: true, lastEnd: last, earliest: never, now })).toEqual({ start: last, end: now });
    expect(await resolveWindow({ view: view('6h'), incremental: true, lastEnd: null, earliest: never, now })).toEqual({ start: new Date('2001-01-31T18:00:00Z'), end: now });
    const first = new Date('2000-12-31T00:00:00Z');
    // A first run from the source's earliest row covers the view's history from the start.
    expect(await resolveWindow({ view: view('0'), incremental: true, lastEnd: null, earliest: async () => first, now })).toEqual({ start: first, end: now });
  });

  it('refuses a start with incremental instead of ignoring it', async () => {
    const last = new Date('2001-01-20T00:00:00Z');
    await expect(resolveWindow({ view: view('6h'), incremental: true, start: '2001-01-01', lastEnd: last, earliest: never, now })).rejects.toMatchObject({
      code: 'incremental_with_start', message: expect.stringContaining('drop start, or drop incremental'),
    });
  });

  it('never reverses an empty incremental window, and says why it is empty', async () => {
    const last = new Date('2001-01-20T00:00:00Z');
    const end = '2001-01-10T00:00:00Z';
    expect(await resolveWindow({ view: view('6h'), incremental: true, end, lastEnd: last, earliest: never, now }))
      .toEqual({ start: last, end: last, nothingToDo: 'already materialized up to 2001-01-20T00:00:00.000Z' });
    expect(await resolveWindow({ view: view('0'), incremental: true, lastEnd: null, earliest: async () => null, now }))
      .toEqual({ start: now, end: now, nothingToDo: 'the source has no rows' });
    expect(await resolveWindow({ view: view('0'), incremental: true, end, lastEnd: null, earliest: async () => last, now }))
      .toEqual({ start: last, end: last, nothingToDo: "the source's earliest row (2001-01-20T00:00:00.000Z) is not before the window end 2001-01-10T00:00:00.000Z" });
  });
});
