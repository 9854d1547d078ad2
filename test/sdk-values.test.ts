/**
 * The SDK takes JavaScript's own values wherever it takes rows: `push` accepts a
 * `Date` timestamp, a `bigint` id and a `Float32Array` embedding as
 * `getOnlineFeatures`/`getHistoricalFeatures` do; the quality log is read-only
 * and parses `since`/`until` as the CLI and the API do. (A review's findings.)
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FeatureguardError, openFeatureStore, type FeatureStore } from '../src/sdk/index.js';
import { guardBench, type GuardBench } from './guards/helpers.js';

let bench: GuardBench;
let store: FeatureStore;
beforeAll(async () => {
  bench = await guardBench({ features: [{ name: 'n', type: 'int64' }, { name: 'seen', type: 'timestamp' }, { name: 'emb', type: 'float32[]' }] });
  store = await openFeatureStore(bench.dir);
});
afterAll(async () => {
  await store?.close();
  await bench?.close();
});

describe('store.push', () => {
  it('takes a Date, a bigint beyond 2^53 and a Float32Array, and stores what they hold', async () => {
    const at = new Date('2024-02-01T10:00:00.123Z');
    const res = await store.push({ view: 'delays', rows: [{ airport: 'SEA', event_timestamp: at, n: 9007199254740993n, seen: at, emb: Float32Array.from([0.5, 1.5]) }] });
    expect([res.status, res.written]).toEqual(['success', 1]);
    const online = await store.getOnlineFeatures({ features: ['delays:n', 'delays:seen', 'delays:emb'], entities: { airport: ['SEA'] } });
    expect(online.results.slice(1).map((r) => r.values[0])).toEqual(['9007199254740993', '2024-02-01T10:00:00.123000Z', [0.5, 1.5]]);
  });
});

describe('store.runs', () => {
  it('reads since/until as instants with offsets or ages, and refuses what is neither', () => {
    const all = store.runs.list().total;
    expect(all).toBeGreaterThan(0);
    const later = new Date(Date.now() + 3_600_000);
    // The same instant written two ways selects the same runs.
    const z = later.toISOString();
    // The wall-clock time two hours ahead of UTC, with its offset: the same instant.
    const plus2 = new Date(later.getTime() + 2 * 3_600_000).toISOString().replace('Z', '+02:00');
    expect(store.runs.list({ until: z }).total).toBe(all);
    expect(store.runs.list({ until: plus2 }).total).toBe(all);
    expect(store.runs.list({ since: plus2 }).total).toBe(0);
    expect(store.runs.list({ since: '7d' }).total).toBe(all);
    expect(store.runs.list({ since: later }).total).toBe(0);
    expect(() => store.runs.list({ since: 'yesterday' })).toThrow(/invalid since 'yesterday'/);
  });

  it('is read-only: no way to rewrite a run through the SDK', () => {
    const runs = store.runs as unknown as Record<string, unknown>;
    expect(['create', 'update', 'addResults', 'addProfiles', 'db'].filter((m) => m in runs)).toEqual([]);
  });
});

describe('a store after close()', () => {
  it('refuses calls through a quality log taken before close() with store_closed (a raw TypeError before)', async () => {
    const other = await openFeatureStore(bench.dir);
    const log = other.runs;
    const run = log.list({ limit: 1 }).runs[0];
    await other.close();
    const calls: [string, () => unknown][] = [
      ['get', () => log.get(run.id)], ['list', () => log.list()], ['recent', () => log.recent('delays', ['success'], 1)],
      ['results', () => log.results(run.id)], ['profiles', () => log.profiles(run.id)], ['profile', () => log.profile(run.id, 'n')],
      ['runs', () => other.runs], ['pruneRuns', () => other.pruneRuns({ before: new Date(0) })],
    ];
    for (const [name, call] of calls) expect(call, name).toThrow(expect.objectContaining({ code: 'store_closed' }));
  });
});

describe("a timestamp feature in Feast's writes", () => {
  it('takes epoch seconds, as Feast\'s remote online store sends its UnixTimestamp values (a review finding: a 400)', async () => {
    const { createApp } = await import('../src/server/app.js');
    const app = createApp(store.project, { ui: false });
    const res = await app.request('/write-to-online-store', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ feature_view_name: 'delays', df: { airport: ['JFK'], ts: ['2024-02-01T11:00:00'], n: [1], seen: [1706785200.25], emb: [[1.5]] } }),
    });
    expect(res.status, await res.clone().text()).toBe(200);
    const online = await store.getOnlineFeatures({ features: ['delays:seen'], entities: { airport: ['JFK'] } });
    expect(online.results[1].values[0]).toBe('2024-02-01T11:00:00.250000Z');
  });
});
