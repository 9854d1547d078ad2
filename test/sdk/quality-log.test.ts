/**
 * `store.runs` answers as `runs list`/`runs show` and `GET /v1/runs` answer: a misspelt view or service is
 * refused (not a silent "no runs"), a run is named by its id or its first 8 characters, and a list pages by
 * `next_cursor`. (A review's findings.)
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InputError, openFeatureStore, type FeatureStore } from '../../src/sdk/index.js';
import { guardBench, type GuardBench } from '../guards/helpers.js';

let bench: GuardBench;
let store: FeatureStore;
beforeAll(async () => {
  bench = await guardBench({ services: [{ kind: 'feature_service', name: 'delay_model', features: ['delays:delay'] }] });
  store = await openFeatureStore(bench.dir);
});
afterAll(async () => {
  await store?.close();
  await bench?.close();
});

const refusal = (work: () => unknown): InputError => {
  try {
    work();
  } catch (e) {
    expect(e).toBeInstanceOf(InputError);
    return e as InputError;
  }
  throw new Error('not refused');
};

describe('a view or service that is neither defined nor named by a run', () => {
  it('list refuses it with a suggestion, as runs list and GET /v1/runs do', () => {
    expect(refusal(() => store.runs.list({ view: 'delay', status: 'blocked' }))).toMatchObject({
      code: 'unknown_view',
      message: "unknown feature view 'delay' (did you mean 'delays'?): it is not defined and no run was recorded for it",
    });
    expect(refusal(() => store.runs.list({ service: 'delay_mode' }))).toMatchObject({ code: 'unknown_service', message: expect.stringContaining("did you mean 'delay_model'?") });
    // Defined, without runs: an empty answer.
    expect(store.runs.list({ view: 'delays', status: 'blocked' })).toMatchObject({ runs: [], total: 0 });
    expect(store.runs.list({ service: 'delay_model' })).toMatchObject({ runs: [], total: 0 });
  });

  it('recent refuses it too; a defined view without such runs is []', () => {
    expect(refusal(() => store.runs.recent('delay', ['blocked', 'failed'], 5))).toMatchObject({ code: 'unknown_view', message: expect.stringContaining("did you mean 'delays'?") });
    expect(store.runs.recent('delays', ['blocked', 'failed'], 5)).toEqual([]);
  });

  it('a view no longer defined whose runs are kept is still a name to ask for', () => {
    const run = bench.project.runs.create({ kind: 'push', view: 'old_view' });
    bench.project.runs.update(run.id, { status: 'failed', finished_at: new Date().toISOString() });
    expect(store.runs.list({ view: 'old_view' }).total).toBe(1);
    expect(store.runs.list({ view: 'old_view', status: 'blocked' }).total).toBe(0);
    expect(store.runs.recent('old_view', ['blocked'], 5)).toEqual([]);
  });
});

describe('a run named by its id', () => {
  it('get, results, profiles and profile take the first 8 characters, as runs show and redeliverAlerts do', async () => {
    const { runId } = await bench.runWindow('2024-01-02', '2024-01-03');
    const short = runId.slice(0, 8);
    expect(store.runs.get(short).id).toBe(runId);
    expect(store.runs.results(runId).length).toBeGreaterThan(0);
    expect(store.runs.results(short)).toEqual(store.runs.results(runId));
    expect(store.runs.profiles(runId).length).toBeGreaterThan(0);
    expect(store.runs.profiles(short)).toEqual(store.runs.profiles(runId));
    expect(store.runs.profile(short, 'delay')).toEqual(store.runs.profile(runId, 'delay'));
    expect(store.runs.profile(short, 'delay')).not.toBeNull();
  });

  it('an id that names no run is not_found, not a run without results or profiles', () => {
    for (const read of [store.runs.get, store.runs.results, store.runs.profiles, (id: string) => store.runs.profile(id, 'delay')]) {
      for (const id of ['bogus', '00000000-0000-0000-0000-000000000000']) {
        expect(() => read(id), id).toThrow(expect.objectContaining({ code: 'not_found', status: 404 }));
      }
    }
  });
});

describe('paging', () => {
  it('list answers next_cursor, which cursor takes, as GET /v1/runs does (null on the last page)', () => {
    const made: string[] = [];
    for (let i = 0; i < 5; i++) {
      const r = bench.project.runs.create({ kind: 'check', view: 'delays' });
      // Two runs started in the same millisecond: the cursor tells them apart.
      bench.project.runs.update(r.id, { status: 'success', finished_at: new Date().toISOString(), started_at: `2003-01-0${i < 2 ? 1 : i}T00:00:00.000Z` });
      made.push(r.id);
    }
    const seen: string[] = [];
    let page = store.runs.list({ kind: 'check', limit: 2 });
    expect(page.next_cursor).toEqual(expect.any(String));
    for (;;) {
      seen.push(...page.runs.map((r) => r.id));
      expect(page.total).toBe(5);
      if (page.next_cursor === null) break;
      page = store.runs.list({ kind: 'check', limit: 2, cursor: page.next_cursor });
    }
    expect(seen).toHaveLength(5);
    expect(new Set(seen)).toEqual(new Set(made));
    expect(store.runs.list({ kind: 'check', limit: 5 }).next_cursor).toBeNull();
    expect(store.runs.list({ kind: 'check', limit: 0 })).toMatchObject({ runs: [], total: 5, next_cursor: null });
  });
});
