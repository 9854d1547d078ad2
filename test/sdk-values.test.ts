/**
 * The SDK takes JavaScript's own values wherever it takes rows: `push` accepts a
 * `Date` timestamp, a `bigint` id and a `Float32Array` embedding as
 * `getOnlineFeatures`/`getHistoricalFeatures` do; the quality log is read-only
 * and parses `since`/`until` as the CLI and the API do. (A review's findings.)
 */
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FeatureguardError, openFeatureStore, type FeatureStore } from '../src/sdk/index.js';
import { guardBench, type GuardBench } from './guards/helpers.js';

let bench: GuardBench;
let store: FeatureStore;
beforeAll(async () => {
  bench = await guardBench({ features: [{ name: 'n', type: 'int64' }, { name: 'seen', type: 'timestamp' }, { name: 'emb', type: 'float32[]' }, { name: 'x', type: 'float64' }] });
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

  it('takes a bigint beyond 2^53 in a float feature or list as the nearest double, as HTTP takes the bare number', async () => {
    const at = new Date('2024-02-01T10:00:00Z');
    const res = await store.push({ view: 'delays', rows: [{ airport: 'SFO', event_timestamp: at, x: 9007199254740993n, emb: BigInt64Array.from([1n, 9007199254740993n]) }] });
    expect([res.status, res.written]).toEqual(['success', 1]);
    const online = await store.getOnlineFeatures({ features: ['delays:x', 'delays:emb'], entities: { airport: ['SFO'] } });
    expect(online.results.slice(1).map((r) => r.values[0])).toEqual([9007199254740992, [1, 9007199254740992]]);
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

  it('refuses a limit or offset that is no whole number from 0 as an InputError (a fraction was SQLITE_MISMATCH)', () => {
    for (const filter of [{ limit: 2.5 }, { limit: -1 }, { offset: 1.5 }, { limit: '5' as unknown as number }]) {
      expect(() => store.runs.list(filter), JSON.stringify(filter)).toThrow(expect.objectContaining({ code: 'bad_request', message: expect.stringMatching(/^invalid (limit|offset) .*: a whole number from 0$/) }));
    }
    expect(store.runs.list({ limit: 0 }).runs).toEqual([]);
  });

  it('is read-only: no way to rewrite a run through the SDK', () => {
    const runs = store.runs as unknown as Record<string, unknown>;
    expect(['create', 'update', 'addResults', 'addProfiles', 'db'].filter((m) => m in runs)).toEqual([]);
  });
});

describe('store.pruneRuns', () => {
  const refusal = (options: unknown) => {
    try {
      store.pruneRuns({ dryRun: true, ...(options as object) } as Parameters<FeatureStore['pruneRuns']>[0]);
    } catch (e) {
      return e instanceof FeatureguardError ? `${e.code}: ${e.message}` : `${(e as Error).constructor.name}: ${(e as Error).message}`;
    }
    return 'accepted';
  };

  it('takes an age or an ISO instant as well as a Date, as runs.list takes since', () => {
    const all = store.runs.list().total;
    expect(store.pruneRuns({ before: '90d', dryRun: true })).toMatchObject({ deleted: 0, dryRun: true });
    expect(Date.parse(store.pruneRuns({ before: '90d', dryRun: true }).before)).toBeLessThan(Date.now() - 89 * 86_400_000);
    expect(store.pruneRuns({ before: '2001-01-01T02:00:00+02:00', dryRun: true }).before).toBe('2001-01-01T00:00:00.000Z');
    expect(store.runs.list().total).toBe(all);
  });

  it('refuses what is no cutoff, a bad keep and a future cutoff as InputErrors (TypeError, RangeError and a future cutoff accepted before)', () => {
    expect(refusal({ before: new Date('2026-13-01') })).toBe('bad_request: invalid before: not a valid date');
    expect(refusal({ before: 'yesterday' })).toMatch(/^bad_request: invalid before 'yesterday'/);
    expect(refusal({ before: 5 })).toMatch(/^bad_request: invalid before: give a Date, an ISO 8601 instant or an age such as 90d \(got number\)$/);
    expect(refusal({})).toMatch(/^bad_request: invalid before: .*\(got undefined\)$/);
    expect(refusal({ before: new Date(0), keep: -1 })).toBe('bad_request: invalid keep -1: a whole number from 0');
    expect(refusal({ before: new Date(0), keep: 2.5 })).toBe('bad_request: invalid keep 2.5: a whole number from 0');
    const tomorrow = new Date(Date.now() + 86_400_000);
    expect(refusal({ before: tomorrow })).toBe(`future_cutoff: before ${tomorrow.toISOString()} is in the future: it would remove every run not protected; give an age (90d) or a past date`);
    expect(refusal({ before: '2999-01-01' })).toMatch(/^future_cutoff: before 2999-01-01 is in the future/);
    expect(refusal({ before: new Date() })).toBe('accepted');
  });
});

describe('a store after close()', () => {
  it('refuses calls through a quality log taken before close() with store_closed (a raw TypeError before)', async () => {
    const other = await openFeatureStore(bench.dir);
    const log = other.runs;
    const run = log.list({ limit: 1 }).runs[0];
    // store.projectInfo: where the project is, what the published types offer instead of the internal project.
    expect(other.projectInfo).toEqual({ root: resolve(bench.dir), stateDir: join(resolve(bench.dir), '.featureguard'), config: other.project.config });
    await other.close();
    const calls: [string, () => unknown][] = [
      ['get', () => log.get(run.id)], ['list', () => log.list()], ['recent', () => log.recent('delays', ['success'], 1)],
      ['results', () => log.results(run.id)], ['profiles', () => log.profiles(run.id)], ['profile', () => log.profile(run.id, 'n')],
      ['runs', () => other.runs], ['pruneRuns', () => other.pruneRuns({ before: new Date(0) })],
      // The escape hatch too: its closed database answered "The database connection is not open" (a review's note).
      ['project', () => other.project.registry.current()], ['projectInfo', () => other.projectInfo],
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
      body: JSON.stringify({ feature_view_name: 'delays', df: { airport: ['JFK'], ts: ['2024-02-01T11:00:00'], n: [1], seen: [1706785200.25], emb: [[1.5]], x: [null] } }),
    });
    expect(res.status, await res.clone().text()).toBe(200);
    const online = await store.getOnlineFeatures({ features: ['delays:seen'], entities: { airport: ['JFK'] } });
    expect(online.results[1].values[0]).toBe('2024-02-01T11:00:00.250000Z');
  });
});
