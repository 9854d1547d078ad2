/**
 * Applying definitions drops the online values of removed views and of views
 * changed in a breaking way (sqlite online store), and forgets their
 * materialized windows: a view added again under the same name never serves the
 * old values. Through the SDK, over HTTP and from the CLI, which all call
 * `applyDefinitions`. A store that cannot be reached leaves the drop pending
 * for the next apply.
 */
import { readdirSync, writeFileSync } from 'node:fs';
import { processHost } from '../../src/state/process-host.js';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import type { Definition } from '../../src/definitions/types.js';
import { FeatureguardError } from '../../src/errors.js';
import { lastMaterializedEnd, listIntervals } from '../../src/materialize/intervals.js';
import { materialize } from '../../src/materialize/materialize.js';
import { acquireLeases, listLeases } from '../../src/materialize/lease.js';
import type { Project } from '../../src/project.js';
import { applyDefinitions } from '../../src/registry/apply-definitions.js';
import { dropPendingView, dropPendingViews, dropUnlessMaterializing, requestDrops } from '../../src/registry/online-drops.js';
import { beginOnlineWrite } from '../../src/registry/online-writes.js';
import { openFeatureStore, type FeatureStore } from '../../src/sdk/index.js';
import { createApp } from '../../src/server/app.js';
import { startServer } from '../../src/server/serve.js';
import { pino } from 'pino';
import { appliedDefinitions, createFixture, ENTITY_AND_SOURCE_DEFS, json, post, READ_SEA, type Fixture } from './fixture.js';

let fx: Fixture;
let store: FeatureStore;
beforeEach(async () => {
  fx = await createFixture();
  store = await openFeatureStore(fx.dir);
});
afterEach(async () => {
  await store?.close();
  await fx?.close();
});

const allDefs = appliedDefinitions;
const withoutView = (defs: readonly Definition[]) => defs.filter((d) => d.kind !== 'feature_view' && d.kind !== 'feature_service');

async function materializeDay(): Promise<void> {
  const [r] = await store.materialize({ views: ['origin_delays'], start: '2001-01-01', end: '2001-01-02' });
  expect(r.status).toBe('success');
}

async function sqliteValues(view: string) {
  return (await store.project.onlineStore()).readMany(view, ['dep_delay'], [['SEA'], ['SFO'], ['JFK']]);
}

describe('through the SDK', () => {
  it('removing a view drops its values and windows; adding it again does not serve stale values', async () => {
    const defs = allDefs(fx.project);
    await materializeDay();
    expect((await store.getOnlineFeatures(READ_SEA)).results[1]).toMatchObject({ values: [23], statuses: ['PRESENT'] });
    expect(lastMaterializedEnd(fx.project.state, 'origin_delays')).not.toBeNull();

    // First the service that uses the view, then the view: neither apply is breaking.
    // The list is the complete registry (`replace`): objects left out are removed.
    const noService = await store.apply(defs.filter((d) => d.kind !== 'feature_service'), { replace: true });
    expect(noService.dropped).toEqual([]);
    expect((await sqliteValues('origin_delays'))[0]).toBeDefined();
    const removed = await store.apply(withoutView(defs), { replace: true });
    expect(removed.plan.breaking).toBe(false);
    expect(removed.applied.map((a) => `${a.kind}/${a.name}`)).toEqual(['feature_view/origin_delays']);
    expect(removed.dropped).toEqual(['origin_delays']);
    expect(await sqliteValues('origin_delays')).toEqual([undefined, undefined, undefined]);
    expect(listIntervals(fx.project.state, 'origin_delays')).toEqual([]);
    // And the tamper check's day checksums: the view's history starts afresh.
    expect(fx.project.state.prepare("SELECT count(*) FROM guard_partitions WHERE view = 'origin_delays'").pluck().get()).toBe(0);

    const readded = await store.apply(defs);
    expect(readded.dropped).toEqual([]);
    expect((await store.getOnlineFeatures(READ_SEA)).results[1]).toMatchObject({ values: [null], statuses: ['NOT_FOUND'] });
    // The windows were forgotten too: an incremental run starts afresh (ttl 0: at the source's first row).
    const [inc] = await store.materialize({ views: ['origin_delays'], incremental: true, end: '2001-01-02' });
    expect(inc.window.start).toBe('2001-01-01T00:00:00.000Z');
    expect((await store.getOnlineFeatures(READ_SEA)).results[1]).toMatchObject({ values: [23], statuses: ['PRESENT'] });
  });

  it('a breaking change to features or join keys drops only with allowBreaking; other changes keep the values', async () => {
    const defs = allDefs(fx.project);
    await materializeDay();
    const view = defs.find((d) => d.kind === 'feature_view')!;
    if (view.kind !== 'feature_view') throw new Error('no view');

    // Not breaking: values stay.
    const described = defs.map((d) => (d === view ? { ...view, description: 'delays per origin' } : d));
    expect((await store.apply(described)).dropped).toEqual([]);
    expect((await store.getOnlineFeatures(READ_SEA)).results[1].values).toEqual([23]);

    // A feature's type changed: refused without allowBreaking, nothing dropped.
    const retyped = described.map((d) =>
      d.kind === 'feature_view' ? { ...d, features: d.features.map((f) => (f.name === 'flights' ? { ...f, type: 'float64' as const } : f)) } : d,
    );
    await expect(store.apply(retyped)).rejects.toMatchObject({ code: 'breaking_change' });
    expect((await store.getOnlineFeatures(READ_SEA)).results[1].values).toEqual([23]);
    const applied = await store.apply(retyped, { allowBreaking: true });
    expect(applied.dropped).toEqual(['origin_delays']);
    expect((await store.getOnlineFeatures(READ_SEA)).results[1].statuses).toEqual(['NOT_FOUND']);

    // An entity's join keys changed: every view keyed by it is dropped.
    await materializeDay();
    expect((await store.getOnlineFeatures(READ_SEA)).results[1].values).toEqual([23]);
    const rekeyed = retyped.map((d) => (d.kind === 'entity' ? { ...d, join_keys: [{ name: 'origin', type: 'int64' as const }] } : d));
    expect((await store.apply(rekeyed, { allowBreaking: true })).dropped).toEqual(['origin_delays']);
    expect(await sqliteValues('origin_delays')).toEqual([undefined, undefined, undefined]);
  });

  it('a store that cannot be reached fails loudly after the apply; the next apply drops what is pending', async () => {
    const defs = allDefs(fx.project);
    await materializeDay();
    const down: Project = {
      ...fx.project,
      onlineStore: () => Promise.reject(new FeatureguardError('store_unavailable', 'online store unavailable (redis://127.0.0.1:1)', { status: 503 })),
    };
    const e = await applyDefinitions(down, withoutView(defs), { allowBreaking: true, allowRemovals: true }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(FeatureguardError);
    expect(e).toMatchObject({
      code: 'online_drop_failed', status: 503,
      message: expect.stringMatching(/^applied 2 changes to the registry, but could not drop the online values of 'origin_delays' \(online store unavailable/),
      details: { dropped: [], failed: [{ view: 'origin_delays', error: expect.stringContaining('unavailable') }] },
    });
    // The registry change is committed; the values are still there until dropped.
    expect(fx.project.registry.current().views.has('origin_delays')).toBe(false);
    expect((await sqliteValues('origin_delays'))[0]).toBeDefined();

    // Nothing left to change, but the pending drop is done.
    const again = await applyDefinitions(fx.project, withoutView(defs));
    expect(again.applied).toEqual([]);
    expect(again.dropped).toEqual(['origin_delays']);
    expect(await sqliteValues('origin_delays')).toEqual([undefined, undefined, undefined]);
    expect((await applyDefinitions(fx.project, withoutView(defs))).dropped).toEqual([]);
  });
});

describe('an apply while the view is being materialized', () => {
  const retype = (defs: readonly Definition[]) =>
    defs.map((d) => (d.kind === 'feature_view' ? { ...d, features: d.features.map((f) => (f.name === 'flights' ? { ...f, type: 'float64' as const } : f)) } : d));

  // The apply runs from the materialization's progress callback: synchronously up to its first await, which
  // commits the registry, records the drop and finds the view's lease held (so the drop is deferred to the run).
  async function materializeWithApplyAt(when: (p: { entitiesWritten: number; entitiesTotal: number }) => boolean, defs: readonly Definition[]) {
    let applying: ReturnType<FeatureStore['apply']> | undefined;
    // The internal materialization: `batchSize` is a hook, not an SDK option.
    const [r] = await materialize(store.project, {
      views: ['origin_delays'], start: '2001-01-01', end: '2001-01-03', batchSize: 1,
      onProgress: (p) => {
        if (!applying && when(p)) applying = store.apply(defs, { allowBreaking: true });
      },
    });
    expect(applying).toBeDefined();
    return { run: r, apply: await applying! };
  }

  it('before the write: the run writes nothing, drops the old values and fails saying why', async () => {
    const defs = allDefs(fx.project);
    await materializeDay();
    const { run, apply } = await materializeWithApplyAt((p) => p.entitiesWritten === 0, retype(defs));
    expect(apply).toMatchObject({ dropped: [], deferred: ['origin_delays'] });
    expect(run.status).toBe('failed');
    expect(run.message).toBe("feature view 'origin_delays' was removed or changed in a breaking way by an apply while it was being materialized; nothing was written");
    expect(run.entitiesWritten).toBe(0);
    // The day materialized before the change is gone too, and so are the windows; nothing is pending.
    expect(await sqliteValues('origin_delays')).toEqual([undefined, undefined, undefined]);
    expect(listIntervals(fx.project.state, 'origin_delays')).toEqual([]);
    expect(fx.project.state.prepare('SELECT count(*) FROM online_drops_pending').pluck().get()).toBe(0);
  });

  it('during the write: the run drops the values it wrote and fails saying why', async () => {
    const defs = allDefs(fx.project);
    const { run, apply } = await materializeWithApplyAt((p) => p.entitiesWritten > 0, retype(defs));
    expect(apply.deferred).toEqual(['origin_delays']);
    expect(run.status).toBe('failed');
    expect(run.message).toMatch(/by an apply while it was being materialized; the values this run wrote were dropped$/);
    expect(await sqliteValues('origin_delays')).toEqual([undefined, undefined, undefined]);
    expect(listIntervals(fx.project.state, 'origin_delays')).toEqual([]);
    // The changed view materializes normally afterwards.
    const [again] = await store.materialize({ views: ['origin_delays'], start: '2001-01-01', end: '2001-01-02' });
    expect(again.status).toBe('success');
    expect((await store.getOnlineFeatures(READ_SEA)).results[1]).toMatchObject({ values: [23], statuses: ['PRESENT'] });
  });

  it('after the write: the run, once it gave its lease back, drops what the apply deferred to it', async () => {
    const defs = allDefs(fx.project);
    const runs = store.project.runs;
    const update = runs.updateWhenFree.bind(runs);
    let applying: ReturnType<FeatureStore['apply']> | undefined;
    // The run's final update comes after its last check for a pending drop, still under its lease.
    runs.updateWhenFree = (id, patch) => {
      if (patch.status === 'success' && !applying) applying = store.apply(retype(defs), { allowBreaking: true });
      return update(id, patch);
    };
    try {
      const [r] = await store.materialize({ views: ['origin_delays'], start: '2001-01-01', end: '2001-01-02' });
      expect(r.status).toBe('success');
    } finally {
      runs.updateWhenFree = update;
    }
    expect((await applying!).deferred).toEqual(['origin_delays']);
    expect(await sqliteValues('origin_delays')).toEqual([undefined, undefined, undefined]);
    expect(fx.project.state.prepare('SELECT count(*) FROM online_drops_pending').pluck().get()).toBe(0);
  });

  it('an apply between reading the definitions and taking the lease: the run goes by the new definitions', async () => {
    const defs = allDefs(store.project);
    await materializeDay();
    const registry = store.project.registry;
    const current = registry.current.bind(registry);
    const stale = current();
    // Removed and dropped by an apply that completes before the run takes the view's lease.
    const removed = await store.apply(withoutView(defs), { allowBreaking: true, replace: true });
    expect(removed.dropped).toEqual(['origin_delays']);
    let calls = 0;
    registry.current = () => (calls++ === 0 ? stale : current());
    try {
      await expect(store.materialize({ views: ['origin_delays'], start: '2001-01-01', end: '2001-01-02' })).rejects.toMatchObject({
        code: 'unknown_view', message: "feature view 'origin_delays' was removed by an apply before its materialization started",
      });
    } finally {
      registry.current = current;
    }
    expect(await sqliteValues('origin_delays')).toEqual([undefined, undefined, undefined]);
    expect(listLeases(store.project.state)).toEqual([]);
  });

  it('a run whose lease expired and was taken over writes nothing', async () => {
    const [r] = await store.materialize({
      views: ['origin_delays'], start: '2001-01-01', end: '2001-01-02',
      onProgress: (p) => {
        // Another process takes the lease over, as after this one paused longer than the lease ttl.
        if (p.entitiesWritten === 0) store.project.state.prepare("UPDATE materialization_leases SET owner = 'someone-else' WHERE view = 'origin_delays'").run();
      },
    });
    expect(r.status).toBe('failed');
    expect(r.message).toMatch(/^the materialization lease of 'origin_delays' expired and was taken over .*; nothing was written$/);
    expect(await sqliteValues('origin_delays')).toEqual([undefined, undefined, undefined]);
    store.project.state.prepare("DELETE FROM materialization_leases WHERE owner = 'someone-else'").run();
  });

  it('a drop left pending when the run started is done first, and the run serves the new values', async () => {
    const defs = allDefs(fx.project);
    await materializeDay();
    // Another process holds the view's lease during the apply: the drop stays pending.
    const [lease] = acquireLeases(fx.project.state, ['origin_delays'], 'another-process');
    const apply = await store.apply(retype(defs), { allowBreaking: true });
    lease.release();
    expect(apply).toMatchObject({ dropped: [], deferred: ['origin_delays'] });
    expect((await sqliteValues('origin_delays'))[0]).toBeDefined();
    // An incremental run starts afresh (the old windows are forgotten before its window is chosen).
    const [r] = await store.materialize({ views: ['origin_delays'], incremental: true, end: '2001-01-02' });
    expect(r.status).toBe('success');
    expect(r.window.start).toBe('2001-01-01T00:00:00.000Z');
    expect(fx.project.state.prepare('SELECT count(*) FROM online_drops_pending').pluck().get()).toBe(0);
    expect((await store.getOnlineFeatures(READ_SEA)).results[1]).toMatchObject({ values: [23], statuses: ['PRESENT'] });
  });
});

describe('pending drops', () => {
  const retype = (defs: readonly Definition[]) =>
    defs.map((d) => (d.kind === 'feature_view' ? { ...d, features: d.features.map((f) => (f.name === 'flights' ? { ...f, type: 'float64' as const } : f)) } : d));
  const pending = () => store.project.state.prepare('SELECT view FROM online_drops_pending').pluck().all();

  it('reads answer NOT_FOUND while a drop is deferred to a running materialization', async () => {
    const defs = allDefs(store.project);
    await materializeDay();
    const [lease] = acquireLeases(store.project.state, ['origin_delays'], 'materialize-elsewhere');
    try {
      expect((await store.apply(retype(defs), { allowBreaking: true })).deferred).toEqual(['origin_delays']);
      // The old values are still in the store, but not served.
      expect((await sqliteValues('origin_delays'))[0]).toBeDefined();
      expect((await store.getOnlineFeatures(READ_SEA)).results[1]).toMatchObject({ values: [null], statuses: ['NOT_FOUND'] });
    } finally {
      lease.release();
    }
    expect((await applyDefinitions(store.project, retype(defs))).dropped).toEqual(['origin_delays']);
    expect(pending()).toEqual([]);
  });

  it("an apply waits for another apply's drop instead of deferring to it", async () => {
    const defs = allDefs(store.project);
    await materializeDay();
    const [lease] = acquireLeases(store.project.state, ['origin_delays'], 'drop-elsewhere');
    setTimeout(() => lease.release(), 100);
    const applied = await store.apply(retype(defs), { allowBreaking: true });
    expect(applied).toMatchObject({ dropped: ['origin_delays'], deferred: [] });
    expect(await sqliteValues('origin_delays')).toEqual([undefined, undefined, undefined]);
  });

  /** Run `before` ahead of every drop of the online store, until the returned function is called. */
  async function beforeEachDrop(before: (view: string) => void): Promise<() => void> {
    const online = await store.project.onlineStore();
    const dropView = online.dropView.bind(online);
    online.dropView = async (view) => {
      before(view);
      return dropView(view);
    };
    return () => {
      online.dropView = dropView;
    };
  }

  it('a request that comes while the store drops keeps the row, and the drop runs again', async () => {
    await materializeDay();
    let during = 0;
    // A writer of the old definition asks for a drop while this one runs (its values may land after it).
    const restore = await beforeEachDrop((view) => {
      if (during++ === 0) requestDrops(store.project.state, [view]);
    });
    try {
      requestDrops(store.project.state, ['origin_delays']);
      await dropPendingView(store.project, 'origin_delays');
      expect(pending()).toEqual(['origin_delays']);
      expect(await dropUnlessMaterializing(store.project, 'origin_delays')).toBe('dropped');
      expect(pending()).toEqual([]);
      expect(during).toBe(2);
    } finally {
      restore();
    }
  });

  it('a drop that finds nothing pending (done meanwhile by another process) leaves the values written since', async () => {
    await materializeDay();
    let drops = 0;
    const restore = await beforeEachDrop(() => drops++);
    try {
      // A sweep or an apply that listed the view before another process dropped it, or waited for the lease meanwhile.
      expect(pending()).toEqual([]);
      await dropPendingView(store.project, 'origin_delays');
      expect(await dropUnlessMaterializing(store.project, 'origin_delays')).toBe('dropped');
    } finally {
      restore();
    }
    expect(drops).toBe(0);
    expect((await sqliteValues('origin_delays'))[0]).toBeDefined();
    expect(lastMaterializedEnd(store.project.state, 'origin_delays')).not.toBeNull();
  });

  it('serve retries a drop deferred to a run whose process died, once its lease expired', async () => {
    await materializeDay();
    const state = store.project.state;
    // A run on another host holds the lease; the drop is deferred to it. Then its process dies.
    const [dead] = acquireLeases(state, ['origin_delays'], 'materialize-dead');
    state.prepare("UPDATE materialization_leases SET pid = 999999, host = 'elsewhere' WHERE owner = 'materialize-dead'").run();
    requestDrops(state, ['origin_delays']);
    expect(await dropUnlessMaterializing(store.project, 'origin_delays')).toBe('deferred');
    expect(pending()).toEqual(['origin_delays']);
    // Its lease expires (nobody renews it).
    state.prepare("UPDATE materialization_leases SET expires_at = ? WHERE owner = 'materialize-dead'").run(Date.now() - 1);
    const server = await startServer(store.project, { port: 0, quiet: true, scheduler: false, logger: pino({ level: 'silent' }), dropSweepMs: 20 });
    try {
      for (let i = 0; i < 150 && pending().length > 0; i++) await new Promise((r) => setTimeout(r, 20));
    } finally {
      await server.close();
      dead.release();
    }
    expect(pending()).toEqual([]);
    expect(await sqliteValues('origin_delays')).toEqual([undefined, undefined, undefined]);
  });

  it('a drop held up by another drop past its wait stays pending; materializing meanwhile is refused, naming the drop', async () => {
    const defs = allDefs(store.project);
    await materializeDay();
    const [lease] = acquireLeases(store.project.state, ['origin_delays'], 'drop-elsewhere');
    try {
      requestDrops(store.project.state, ['origin_delays']);
      expect(await dropUnlessMaterializing(store.project, 'origin_delays', 120)).toBe('pending');
      // Materializing meanwhile is refused, naming the drop.
      await expect(store.materialize({ views: ['origin_delays'], start: '2001-01-01', end: '2001-01-02' })).rejects.toMatchObject({ code: 'online_drop_running', status: 409 });
    } finally {
      lease.release();
    }
    expect(pending()).toEqual(['origin_delays']);
    expect((await store.getOnlineFeatures(READ_SEA)).results[1].statuses).toEqual(['NOT_FOUND']);
    expect((await applyDefinitions(store.project, defs)).dropped).toEqual(['origin_delays']);
  });
});

describe('an apply while rows are pushed', () => {
  const retype = (defs: readonly Definition[]) =>
    defs.map((d) => (d.kind === 'feature_view' ? { ...d, features: d.features.map((f) => (f.name === 'flights' ? { ...f, type: 'float64' as const } : f)) } : d));
  const row = { origin: 'SEA', event_timestamp: '2001-01-05T00:00:00Z', dep_delay: 7, flights: 3, carrier: 'AA' };

  it('after validation, before the write: nothing is written; during the write: the values are dropped', async () => {
    const defs = allDefs(store.project);
    await materializeDay();
    const online = await store.project.onlineStore();
    const writeBatch = online.writeBatch.bind(online);
    const runs = store.project.runs;
    const addResults = runs.addResults.bind(runs);
    // The guard stage records its results after the rows were validated against the old definition.
    runs.addResults = (results) => {
      runs.addResults = addResults;
      store.project.registry.apply(retype(defs), { allowBreaking: true });
      return addResults(results);
    };
    await expect(store.push({ view: 'origin_delays', rows: [row] })).rejects.toMatchObject({
      code: 'view_changed', status: 409,
      message: "feature view 'origin_delays' was removed or changed in a breaking way by an apply while rows were pushed to it; nothing was written",
    });
    expect((await sqliteValues('origin_delays'))[0]?.values[0]).toBe(23);
    expect(store.project.runs.list({ kind: 'push' }).runs[0]).toMatchObject({ status: 'failed' });

    // Back to the old definition (itself a breaking change, its drop done by this apply), then an apply during the write.
    await store.apply(defs, { allowBreaking: true });
    online.writeBatch = async (...args) => {
      online.writeBatch = writeBatch;
      const [done] = await Promise.all([writeBatch(...args), Promise.resolve().then(() => store.project.registry.apply(retype(defs), { allowBreaking: true }))]);
      return done;
    };
    await expect(store.push({ view: 'origin_delays', rows: [row] })).rejects.toMatchObject({ code: 'view_changed', message: expect.stringMatching(/the view's online values, these rows among them, were dropped$/) });
    expect(await sqliteValues('origin_delays')).toEqual([undefined, undefined, undefined]);
    expect(store.project.state.prepare('SELECT count(*) FROM online_drops_pending').pluck().get()).toBe(0);

    // A push against the current definition is written.
    const ok = await store.push({ view: 'origin_delays', rows: [row] });
    expect(ok).toMatchObject({ status: expect.stringMatching(/success|warned/), written: 1 });
  });
});

describe('an apply while a push writes (the drop is deferred to the push)', () => {
  const retype = (defs: readonly Definition[]) =>
    defs.map((d) => (d.kind === 'feature_view' ? { ...d, features: d.features.map((f) => (f.name === 'flights' ? { ...f, type: 'float64' as const } : f)) } : d));
  const row = { origin: 'SEA', event_timestamp: '2001-01-05T00:00:00Z', dep_delay: 7, flights: 3, carrier: 'AA' };
  const pending = () => store.project.state.prepare('SELECT view FROM online_drops_pending').pluck().all();

  it('during the write: the apply defers, the push drops the values and says so', async () => {
    const defs = allDefs(store.project);
    await materializeDay();
    const online = await store.project.onlineStore();
    const writeBatch = online.writeBatch.bind(online);
    let applied: Awaited<ReturnType<typeof applyDefinitions>> | undefined;
    online.writeBatch = async (...args) => {
      online.writeBatch = writeBatch;
      const done = await writeBatch(...args);
      applied = await applyDefinitions(store.project, retype(defs), { allowBreaking: true });
      return done;
    };
    await expect(store.push({ view: 'origin_delays', rows: [row] })).rejects.toMatchObject({ code: 'view_changed', message: expect.stringMatching(/the view's online values, these rows among them, were dropped$/) });
    expect(applied).toMatchObject({ dropped: [], deferred: ['origin_delays'] });
    expect(await sqliteValues('origin_delays')).toEqual([undefined, undefined, undefined]);
    expect(pending()).toEqual([]);
  });

  it('a push whose process died after its write: reads answer NOT_FOUND and pushes wait until its registration is gone, then the drop is done', async () => {
    const defs = allDefs(store.project);
    await materializeDay();
    const state = store.project.state;
    // A push of the old definition (a process on another host) registered; an apply came; the push wrote a row and died.
    const dead = await beginOnlineWrite(state, 'origin_delays');
    try {
      state.prepare("UPDATE online_writes_in_flight SET pid = 999999, host = 'elsewhere'").run();
      expect(await store.apply(retype(defs), { allowBreaking: true })).toMatchObject({ dropped: [], deferred: ['origin_delays'] });
      await (await store.project.onlineStore()).writeBatch('origin_delays', ['dep_delay', 'flights', 'carrier'], [{ key: ['SEA'], values: [99, 1, 'old'], eventTs: Date.parse('2001-01-06T00:00:00Z') * 1000, createdTs: 0 }]);
      expect(pending()).toEqual(['origin_delays']);
      expect((await store.getOnlineFeatures(READ_SEA)).results[1].statuses).toEqual(['NOT_FOUND']);
      await expect(store.push({ view: 'origin_delays', rows: [row] })).rejects.toMatchObject({ code: 'online_drop_pending', status: 409 });
      // Still registered: a retry defers again.
      expect(await dropPendingViews(store.project, 0)).toMatchObject({ deferred: ['origin_delays'] });
      // Its registration expires (nobody renews it): the retry drops.
      state.prepare('UPDATE online_writes_in_flight SET expires_at = ?').run(Date.now() - 1);
      expect(await dropPendingViews(store.project, 0)).toMatchObject({ dropped: ['origin_delays'] });
    } finally {
      await dead.end();
    }
    expect(pending()).toEqual([]);
    expect(await sqliteValues('origin_delays')).toEqual([undefined, undefined, undefined]);
    expect(await store.push({ view: 'origin_delays', rows: [row] })).toMatchObject({ written: 1 });
    expect(state.prepare('SELECT count(*) FROM online_writes_in_flight').pluck().get()).toBe(0);
  });

  it('a registration of a dead process on this host does not hold a drop up, nor one of an earlier process with our pid', async () => {
    await materializeDay();
    const state = store.project.state;
    const dead = await beginOnlineWrite(state, 'origin_delays');
    try {
      state.prepare('UPDATE online_writes_in_flight SET pid = 999999').run();
      requestDrops(state, ['origin_delays']);
      expect(await dropUnlessMaterializing(store.project, 'origin_delays')).toBe('dropped');
      // A row with this pid and host that this process did not register (a restarted container reuses pids).
      state.prepare("INSERT INTO online_writes_in_flight (id, view, pid, host, expires_at) VALUES ('earlier', 'origin_delays', ?, ?, ?)").run(process.pid, processHost(), Date.now() + 60_000);
      requestDrops(state, ['origin_delays']);
      expect(await dropUnlessMaterializing(store.project, 'origin_delays')).toBe('dropped');
    } finally {
      await dead.end();
    }
  });

  it('an apply after the push checked the definitions for the last time: the push succeeded, the apply drops the values itself', async () => {
    const defs = allDefs(store.project);
    await materializeDay();
    const runs = store.project.runs;
    // A push records its run with updateWhenFree (it waits for another process's write lock on a timer).
    const update = runs.updateWhenFree.bind(runs);
    let applied: Awaited<ReturnType<typeof applyDefinitions>> | undefined;
    runs.updateWhenFree = (id, patch) => {
      // The push's final status: its last check and its registration are behind it.
      if (patch.status === 'success' || patch.status === 'warned') {
        runs.updateWhenFree = update;
        void applyDefinitions(store.project, retype(defs), { allowBreaking: true }).then((r) => (applied = r));
      }
      return update(id, patch);
    };
    try {
      expect(await store.push({ view: 'origin_delays', rows: [row] })).toMatchObject({ written: 1 });
    } finally {
      runs.updateWhenFree = update;
    }
    for (let i = 0; i < 100 && !applied; i++) await new Promise((r) => setTimeout(r, 10));
    expect(applied).toMatchObject({ dropped: ['origin_delays'], deferred: [] });
    expect(pending()).toEqual([]);
    expect(await sqliteValues('origin_delays')).toEqual([undefined, undefined, undefined]);
  });

  it('the view removed and added again unchanged during the write: the push says its rows were dropped with the old values', async () => {
    const defs = allDefs(store.project);
    await materializeDay();
    const online = await store.project.onlineStore();
    const writeBatch = online.writeBatch.bind(online);
    const applied: Awaited<ReturnType<typeof applyDefinitions>>[] = [];
    online.writeBatch = async (...args) => {
      online.writeBatch = writeBatch;
      const done = await writeBatch(...args);
      applied.push(await applyDefinitions(store.project, withoutView(defs), { allowBreaking: true, allowRemovals: true }));
      applied.push(await applyDefinitions(store.project, defs));
      return done;
    };
    await expect(store.push({ view: 'origin_delays', rows: [row] })).rejects.toMatchObject({
      code: 'view_changed', status: 409, message: expect.stringMatching(/these rows among them, were dropped$/),
    });
    expect(applied[0]).toMatchObject({ dropped: [], deferred: ['origin_delays'] });
    expect(await sqliteValues('origin_delays')).toEqual([undefined, undefined, undefined]);
    expect(pending()).toEqual([]);
    expect(store.project.runs.list({ kind: 'push' }).runs[0]).toMatchObject({ status: 'failed' });
    // Pushed again, the rows stay.
    expect(await store.push({ view: 'origin_delays', rows: [row] })).toMatchObject({ written: 1 });
    expect((await sqliteValues('origin_delays'))[0]?.values[0]).toBe(7);
  });

  it('a push to both stores that meets a breaking apply removes the file it appended to the offline source', async () => {
    const defs = allDefs(store.project);
    await materializeDay();
    const parts = () => readdirSync(join(fx.dir, 'data', 'delays')).sort();
    const before = parts();
    const online = await store.project.onlineStore();
    const writeBatch = online.writeBatch.bind(online);
    online.writeBatch = async (...args) => {
      online.writeBatch = writeBatch;
      const done = await writeBatch(...args);
      await applyDefinitions(store.project, retype(defs), { allowBreaking: true });
      return done;
    };
    await expect(store.push({ view: 'origin_delays', rows: [row], to: 'both' })).rejects.toMatchObject({
      code: 'view_changed', message: expect.stringMatching(/were dropped; the file written to the offline source was removed$/),
    });
    expect(parts()).toEqual(before);
    // Before the online write (the apply comes as the store is opened): nothing is written anywhere.
    const project = store.project;
    const onlineStore = project.onlineStore.bind(project);
    project.onlineStore = async () => {
      project.onlineStore = onlineStore;
      await applyDefinitions(project, defs, { allowBreaking: true });
      return onlineStore();
    };
    await expect(store.push({ view: 'origin_delays', rows: [{ ...row, flights: 4 }], to: 'both' })).rejects.toMatchObject({
      code: 'view_changed', message: expect.stringMatching(/nothing was written; the file written to the offline source was removed$/),
    });
    expect(parts()).toEqual(before);
    expect(store.project.runs.list({ kind: 'push' }).runs[0]).toMatchObject({
      status: 'failed', message: expect.stringMatching(/nothing was written; the file written to the offline source was removed$/),
    });
    // An offline-only push holds no registration: the apply comes while its file is written.
    const engine = await project.engine();
    const connect = engine.connect.bind(engine);
    engine.connect = async () => {
      engine.connect = connect;
      const conn = await connect();
      const run = conn.run.bind(conn);
      conn.run = async (...args: Parameters<typeof conn.run>) => {
        const done = await run(...args);
        if (String(args[0]).startsWith('COPY')) {
          conn.run = run;
          await applyDefinitions(project, retype(defs), { allowBreaking: true });
        }
        return done;
      };
      return conn;
    };
    await expect(store.push({ view: 'origin_delays', rows: [row], to: 'offline' })).rejects.toMatchObject({
      code: 'view_changed', message: expect.stringMatching(/nothing was written; the file written to the offline source was removed$/),
    });
    expect(parts()).toEqual(before);
    await applyDefinitions(project, defs, { allowBreaking: true });
    // A push that goes through keeps its file.
    expect(await store.push({ view: 'origin_delays', rows: [row], to: 'both' })).toMatchObject({ written: 1, file: expect.any(String) });
    expect(parts()).toHaveLength(before.length + 1);
  });

  it('an apply after the push registered, before it writes: nothing is written and the push does the deferred drop', async () => {
    const defs = allDefs(store.project);
    await materializeDay();
    const project = store.project;
    const onlineStore = project.onlineStore.bind(project);
    let applied: Awaited<ReturnType<typeof applyDefinitions>> | undefined;
    // The push opens the store after registering, just before its check and write.
    project.onlineStore = async () => {
      project.onlineStore = onlineStore;
      applied = await applyDefinitions(project, retype(defs), { allowBreaking: true });
      return onlineStore();
    };
    try {
      await expect(store.push({ view: 'origin_delays', rows: [row] })).rejects.toMatchObject({ code: 'view_changed', message: expect.stringMatching(/nothing was written$/) });
    } finally {
      project.onlineStore = onlineStore;
    }
    expect(applied).toMatchObject({ dropped: [], deferred: ['origin_delays'] });
    expect(pending()).toEqual([]);
    expect(await sqliteValues('origin_delays')).toEqual([undefined, undefined, undefined]);
  });

  it('a push that fails after writing its file says so in its own error, never in a shared one', async () => {
    const project = store.project;
    const parts = () => readdirSync(join(fx.dir, 'data', 'delays')).sort();
    const before = parts();
    const shared = new FeatureguardError('store_unavailable', 'the online store is unavailable', { status: 503 });
    const onlineStore = project.onlineStore.bind(project);
    project.onlineStore = () => Promise.reject(shared);
    try {
      const errors = await Promise.all([
        store.push({ view: 'origin_delays', rows: [row], to: 'both' }).catch((e: unknown) => e),
        store.push({ view: 'origin_delays', rows: [row], to: 'both' }).catch((e: unknown) => e),
        store.push({ view: 'origin_delays', rows: [row] }).catch((e: unknown) => e),
      ]);
      expect(shared.message).toBe('the online store is unavailable');
      for (const e of errors.slice(0, 2)) {
        expect(e).toMatchObject({ code: 'store_unavailable', status: 503, message: 'the online store is unavailable; the file written to the offline source was removed' });
      }
      expect(errors[2]).toBe(shared);
      const messages = project.runs.list({ kind: 'push' }).runs.map((r) => r.message).sort();
      expect(messages).toEqual([
        'the online store is unavailable',
        'the online store is unavailable; the file written to the offline source was removed',
        'the online store is unavailable; the file written to the offline source was removed',
      ]);
    } finally {
      project.onlineStore = onlineStore;
    }
    expect(parts()).toEqual(before);
  });

  it('a materialization drops under its lease but keeps the drop pending while a push writes, and refuses to write', async () => {
    await materializeDay();
    const state = store.project.state;
    const writing = await beginOnlineWrite(state, 'origin_delays');
    try {
      requestDrops(state, ['origin_delays']);
      await expect(store.materialize({ views: ['origin_delays'], start: '2001-01-01', end: '2001-01-02' })).rejects.toMatchObject({ code: 'online_drop_pending', status: 409 });
      expect(pending()).toEqual(['origin_delays']);
      expect(await sqliteValues('origin_delays')).toEqual([undefined, undefined, undefined]);
    } finally {
      await writing.end();
    }
    await materializeDay();
    expect(pending()).toEqual([]);
    expect((await sqliteValues('origin_delays'))[0]).toBeDefined();
  });
});

describe('over HTTP and from the CLI', () => {
  it('POST /v1/registry/apply lists and drops the values of a removed view', async () => {
    const app = createApp(fx.project);
    const defs = allDefs(fx.project);
    await materializeDay();
    expect((await json(await app.request('/v1/online-features', post(READ_SEA)))).results[1].values).toEqual([23]);

    // The view and the service using it: removals (`allow_removals`) and a breaking change.
    expect((await app.request('/v1/registry/apply', post({ definitions: withoutView(defs), allow_removals: true }))).status).toBe(409);
    const res = await app.request('/v1/registry/apply', post({ definitions: withoutView(defs), allow_breaking: true, allow_removals: true }));
    const body = await json(res);
    expect(res.status, JSON.stringify(body)).toBe(200);
    expect(body.dropped).toEqual(['origin_delays']);
    expect(body.applied).toHaveLength(2);

    const back = await json(await app.request('/v1/registry/apply', post({ definitions: defs })));
    expect(back.dropped).toEqual([]);
    const after = await json(await app.request('/v1/online-features', post(READ_SEA)));
    expect(after.results[1]).toMatchObject({ values: [null], statuses: ['NOT_FOUND'] });
  });

  it('featureguard apply prints what was dropped', async () => {
    await materializeDay();
    // Keep only the entity and the source in the definition files.
    writeFileSync(join(fx.dir, 'features', 'defs.yaml'), ENTITY_AND_SOURCE_DEFS);
    let out = '';
    let err = '';
    const code = await main(['--project', fx.dir, 'apply', '--allow-breaking', '--allow-removals'], { out: (t) => (out += `${t}\n`), err: (t) => (err += `${t}\n`), isTty: false });
    expect(code, err).toBe(0);
    expect(out).toContain('Applied 2 changes');
    expect(out).toContain('Dropped the online values of origin_delays (removed).');
    expect(out).not.toContain('until materialized again');
    expect(await sqliteValues('origin_delays')).toEqual([undefined, undefined, undefined]);

    const again = await main(['--project', fx.dir, '--json', 'apply'], { out: (t) => (out = t), err: () => undefined, isTty: false });
    expect(again).toBe(0);
    expect(JSON.parse(out)).toMatchObject({ applied: [], dropped: [] });
  });
});
