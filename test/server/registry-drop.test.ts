/**
 * Applying definitions drops the online values of removed views and of views
 * changed in a breaking way (sqlite online store), and forgets their
 * materialized windows: a view added again under the same name never serves the
 * old values. Through the SDK, over HTTP and from the CLI, which all call
 * `applyDefinitions`. A store that cannot be reached leaves the drop pending
 * for the next apply.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import type { Definition } from '../../src/definitions/types.js';
import { FeatureguardError } from '../../src/errors.js';
import { lastMaterializedEnd, listIntervals } from '../../src/materialize/intervals.js';
import type { Project } from '../../src/project.js';
import { applyDefinitions } from '../../src/registry/apply-definitions.js';
import { openFeatureStore, type FeatureStore } from '../../src/sdk/index.js';
import { createApp } from '../../src/server/app.js';
import { createFixture, ENTITY_AND_SOURCE_DEFS, json, post, READ_SEA, type Fixture } from './fixture.js';

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

const allDefs = (project: Project): Definition[] => {
  const s = project.registry.current();
  return [...s.entities.values(), ...s.sources.values(), ...s.views.values(), ...s.services.values()];
};
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
    const noService = await store.apply(defs.filter((d) => d.kind !== 'feature_service'));
    expect(noService.dropped).toEqual([]);
    expect((await sqliteValues('origin_delays'))[0]).toBeDefined();
    const removed = await store.apply(withoutView(defs));
    expect(removed.plan.breaking).toBe(false);
    expect(removed.applied.map((a) => `${a.kind}/${a.name}`)).toEqual(['feature_view/origin_delays']);
    expect(removed.dropped).toEqual(['origin_delays']);
    expect(await sqliteValues('origin_delays')).toEqual([undefined, undefined, undefined]);
    expect(listIntervals(fx.project.state, 'origin_delays')).toEqual([]);

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
    const e = await applyDefinitions(down, withoutView(defs), { allowBreaking: true }).catch((x: unknown) => x);
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

describe('over HTTP and from the CLI', () => {
  it('POST /v1/registry/apply lists and drops the values of a removed view', async () => {
    const app = createApp(fx.project);
    const defs = allDefs(fx.project);
    await materializeDay();
    expect((await json(await app.request('/v1/online-features', post(READ_SEA)))).results[1].values).toEqual([23]);

    // The view and the service using it: a breaking change.
    expect((await app.request('/v1/registry/apply', post({ definitions: withoutView(defs) }))).status).toBe(409);
    const res = await app.request('/v1/registry/apply', post({ definitions: withoutView(defs), allow_breaking: true }));
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
    const code = await main(['--project', fx.dir, 'apply', '--allow-breaking'], { out: (t) => (out += `${t}\n`), err: (t) => (err += `${t}\n`), isTty: false });
    expect(code, err).toBe(0);
    expect(out).toContain('Applied 2 changes');
    expect(out).toMatch(/Dropped the online values of origin_delays/);
    expect(await sqliteValues('origin_delays')).toEqual([undefined, undefined, undefined]);

    const again = await main(['--project', fx.dir, '--json', 'apply'], { out: (t) => (out = t), err: () => undefined, isTty: false });
    expect(again).toBe(0);
    expect(JSON.parse(out)).toMatchObject({ applied: [], dropped: [] });
  });
});
