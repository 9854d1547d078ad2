/**
 * A Feast frame whose feature values are all null is not written online (Feast skips it), but it is still checked
 * as any frame is: a view that is not online is a 400 `view_not_online` for `to: online`, and rows without a join
 * key or with a timestamp that is no time are a 400 `invalid_rows` (with the blocked run recorded), as the same frame
 * with one value answers. Before, the all-null shortcut answered 200 "skipped" for each of them.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadDefinitions } from '../../src/definitions/loader.js';
import { json, post, useAppFixture } from './fixture.js';

const t = useAppFixture();

beforeAll(() => {
  // A view that is not online over the fixture's source.
  writeFileSync(join(t.fx.dir, 'features', 'archive.yaml'), `kind: feature_view
name: origin_archive
entities: [airport]
source: delays_source
online: false
features:
  - {name: flights, type: int64}
`);
  t.fx.project.registry.apply(loadDefinitions(t.fx.project.root, t.fx.project.config));
});

/** The answer's status and error code (null for a success). */
async function outcome(path: string, body: unknown): Promise<[number, string | null]> {
  const res = await t.app.request(path, post(body));
  const answer = await json(res);
  return [res.status, answer.error?.code ?? null];
}

/** `df` with its feature columns all null, and the same frame with one value (the reference). */
function frames(df: Record<string, unknown[]>, features: readonly string[], withValue: Record<string, unknown[]>): [Record<string, unknown[]>, Record<string, unknown[]>] {
  const n = Object.values(df)[0].length;
  const nulls = Object.fromEntries(features.map((f) => [f, Array(n).fill(null)]));
  return [{ ...df, ...nulls }, { ...df, ...nulls, ...withValue }];
}

describe('a Feast frame whose feature values are all null is checked as any frame', () => {
  it('to a view that is not online: 400 view_not_online for to: online, as with a value', async () => {
    const [allNull, oneValue] = frames({ origin: ['SEA'], event_timestamp: ['2001-01-10 08:00:00'] }, ['flights'], { flights: [4] });
    for (const [path, body] of [
      ['/push', (df: unknown) => ({ push_source_name: 'origin_archive', df, to: 'online' })],
      ['/push', (df: unknown) => ({ push_source_name: 'origin_archive', df, to: 'online_and_offline' })],
      ['/write-to-online-store', (df: unknown) => ({ feature_view_name: 'origin_archive', df })],
    ] as const) {
      const reference = await outcome(path, body(oneValue));
      expect(reference, path).toEqual([400, 'view_not_online']);
      expect(await outcome(path, body(allNull)), path).toEqual(reference);
    }
  });

  it('without a join key, or with an event_timestamp that is no time: 400 invalid_rows, as with a value', async () => {
    const features = ['dep_delay', 'flights', 'carrier'];
    for (const df of [{ event_timestamp: ['2001-01-10 08:00:00'] }, { origin: ['SEA'], event_timestamp: ['garbage'] }] as Record<string, unknown[]>[]) {
      const [allNull, oneValue] = frames(df, features, { flights: [4] });
      for (const [path, body] of [
        ['/push', (d: unknown) => ({ push_source_name: 'origin_delays', df: d, to: 'online' })],
        ['/push', (d: unknown) => ({ push_source_name: 'origin_delays', df: d, to: 'online_and_offline' })],
        ['/write-to-online-store', (d: unknown) => ({ feature_view_name: 'origin_delays', df: d })],
      ] as const) {
        const reference = await outcome(path, body(oneValue));
        expect(reference, `${path} ${JSON.stringify(df)}`).toEqual([400, 'invalid_rows']);
        const runs = t.fx.project.runs.list({ view: 'origin_delays', status: 'blocked' }).total;
        expect(await outcome(path, body(allNull)), `${path} ${JSON.stringify(df)}`).toEqual(reference);
        // The refusal is recorded as the blocked push run a frame with a value records.
        expect(t.fx.project.runs.list({ view: 'origin_delays', status: 'blocked' }).total).toBe(runs + 1);
      }
    }
  });

  it('to a source several views read: the skipped views are checked too', async () => {
    const [allNull, oneValue] = frames({ origin: ['SEA'], event_timestamp: ['garbage'] }, ['dep_delay', 'flights', 'carrier'], { flights: [4] });
    const reference = await outcome('/push', { push_source_name: 'delays_source', df: oneValue, to: 'online' });
    expect(reference).toEqual([400, 'invalid_rows']);
    expect(await outcome('/push', { push_source_name: 'delays_source', df: allNull, to: 'online' })).toEqual(reference);
  });

  it('a valid all-null frame is still skipped online with no run', async () => {
    const runs = t.fx.project.runs.list({ limit: 1000 }).total;
    const [allNull] = frames({ origin: ['SEA'], event_timestamp: ['2001-01-10 08:00:00'] }, ['dep_delay', 'flights', 'carrier'], {});
    const res = await t.app.request('/push', post({ push_source_name: 'origin_delays', df: allNull, to: 'online' }));
    const answer = await json(res);
    expect(res.status, JSON.stringify(answer)).toBe(200);
    expect(answer).toMatchObject({ rows: 0, run_id: null, skipped_reason: expect.stringContaining('every feature value is null') });
    expect(t.fx.project.runs.list({ limit: 1000 }).total).toBe(runs);
  });
});
