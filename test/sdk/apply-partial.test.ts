/**
 * `store.apply(defs)` / `store.plan(defs)` with a list from code add or update those objects and remove nothing
 * (Feast's `apply(objects)`): a project keeping its views in YAML that applies one builder entity from code keeps
 * its YAML objects and their online values (a pushed value no materialization can restore). Removing takes
 * `{ remove: [...] }`, or `{ replace: true }` for a list that is the whole desired registry; `store.definitions()`
 * reads the project's files to build one. `store.apply()` without a list still applies the files as the CLI does.
 * (A review's finding: `apply([entity])` removed every file-defined object and dropped their online values.)
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DefinitionError, defineEntity, InputError, NotFoundError, type FeatureStore } from '../../src/sdk/index.js';
import { openProject } from '../../src/project.js';
import { DAILY_DELAYS_YAML, openPushProject, refusal, type PushProject } from '../datasets/push-project.js';

const YAML = DAILY_DELAYS_YAML;

const carrier = defineEntity({ name: 'carrier', join_keys: [{ name: 'carrier_id', type: 'string' }] });
const names = (store: FeatureStore) => {
  const set = store.project.registry.current();
  return [...set.entities.keys(), ...set.sources.keys(), ...set.views.keys(), ...set.services.keys()].sort();
};
const read = async (store: FeatureStore) => {
  const res = await store.getOnlineFeatures({ features: ['daily_delays:delay'], entities: { origin: ['NEW'] } });
  return { value: res.results[1].values[0], status: res.results[1].statuses[0] };
};

let project: PushProject;
let store: FeatureStore;
beforeAll(async () => {
  project = await openPushProject('partial_apply', YAML, { parquet: { 'daily/part-0.parquet': `SELECT 'SEA' AS origin, TIMESTAMP '2024-01-01' AS day, 1.5::DOUBLE AS delay` } });
  store = project.fs;
  const pushed = await store.push({ view: 'daily_delays', to: 'online', rows: [{ origin: 'NEW', event_timestamp: new Date(Date.now() - 60_000), delay: 4.5 }] });
  expect(pushed.status).toBe('success');
});
afterAll(async () => {
  await project?.close();
});

describe('apply(list) adds or updates the objects given, and removes nothing', () => {
  it('one builder entity applied from code keeps the YAML objects and their online values', async () => {
    const plan = await store.plan([carrier]);
    expect(plan.changes.filter((c) => c.action !== 'unchanged').map((c) => `${c.action} ${c.kind}:${c.name}`)).toEqual(['add entity:carrier']);
    expect(plan.drops).toEqual([]);
    const result = await store.apply([carrier]);
    expect(result.applied.map((a) => `${a.kind}:${a.name} ${a.definition === null ? 'removed' : `v${a.version}`}`)).toEqual(['entity:carrier v1']);
    expect(result.dropped).toEqual([]);
    expect(names(store)).toEqual(['airport', 'carrier', 'daily', 'daily_delays']);
    expect(await read(store)).toEqual({ value: 4.5, status: 'PRESENT' });
  });

  it('an object given again with a change is updated; the others stay as applied', async () => {
    const changed = defineEntity({ name: 'carrier', join_keys: [{ name: 'carrier_id', type: 'string' }], description: 'airline' });
    const result = await store.apply([changed]);
    expect(result.applied.map((a) => `${a.kind}:${a.name} v${a.version}`)).toEqual(['entity:carrier v2']);
    expect(names(store)).toEqual(['airport', 'carrier', 'daily', 'daily_delays']);
    expect(await read(store)).toEqual({ value: 4.5, status: 'PRESENT' });
  });

  it("definitions() reads the project's files, to merge with objects from code", async () => {
    const files = await store.definitions();
    expect(files.map((d) => `${d.kind}:${d.name}`).sort()).toEqual(['entity:airport', 'feature_view:daily_delays', 'source:daily']);
    const plan = await store.plan([...files, carrier], { replace: true });
    expect(plan.hasChanges).toBe(true); // carrier's description goes back to none
    expect(plan.changes.filter((c) => c.action === 'remove')).toEqual([]);
  });
});

describe('removing is explicit', () => {
  it("{ remove } takes the kind aliases the CLI's list and describe take (view, entities, feature-views, ...)", async () => {
    const removed = async (remove: never) => (await store.plan([], { remove })).changes.filter((c) => c.action === 'remove').map((c) => `${c.kind}:${c.name}`);
    expect(await removed(['view:daily_delays'] as never)).toEqual(['feature_view:daily_delays']);
    expect(await removed([{ kind: 'entities', name: 'carrier' }] as never)).toEqual(['entity:carrier']);
    expect(await removed(['Feature-Views:daily_delays'] as never)).toEqual(['feature_view:daily_delays']);
    // The same object under two spellings is one removal, not two.
    expect(await removed(['view:daily_delays', 'feature_view:daily_delays'] as never)).toEqual(['feature_view:daily_delays']);
  });

  it('{ remove } removes the objects named (kind:name or {kind, name}), and nothing else', async () => {
    const plan = await store.plan([], { remove: ['entity:carrier'] });
    expect(plan.changes.filter((c) => c.action !== 'unchanged').map((c) => `${c.action} ${c.kind}:${c.name}`)).toEqual(['remove entity:carrier']);
    const result = await store.apply([], { remove: [{ kind: 'entity', name: 'carrier' }] });
    expect(result.applied.map((a) => `${a.kind}:${a.name} ${a.definition === null ? 'removed' : 'kept'}`)).toEqual(['entity:carrier removed']);
    expect(names(store)).toEqual(['airport', 'daily', 'daily_delays']);
    expect(await read(store)).toEqual({ value: 4.5, status: 'PRESENT' });
  });

  it('refuses a removal of an object not applied, one also given, a malformed one, and remove with replace', async () => {
    expect((await refusal(() => store.apply([], { remove: ['entity:carier'] }), NotFoundError)).message).toContain("no entity 'carier' is applied");
    expect((await refusal(() => store.apply([carrier], { remove: ['entity:carrier'] }), InputError)).code).toBe('invalid_request');
    expect((await refusal(() => store.apply([], { remove: ['carrier'] as never }), InputError)).message).toContain("'kind:name'");
    expect((await refusal(() => store.apply([], { remove: [{ kind: 'entty', name: 'carrier' }] as never }), InputError)).message).toContain('entity, source, feature_view (view) or feature_service (service)');
    // The closest alias is suggested, as objectVersion suggests it (a typo of `view` had no hint).
    expect((await refusal(() => store.apply([], { remove: ['veiw:old'] as never }), InputError)).message).toMatch(/\(did you mean 'view'\?\)$/);
    expect((await refusal(() => store.plan([carrier], { remove: ['entity:airport'], replace: true }), InputError)).code).toBe('invalid_request');
    expect((await refusal(() => store.apply(undefined, { remove: ['entity:airport'] }), InputError)).message).toContain("the project's files");
    expect((await refusal(() => store.apply([], { replace: 'yes' as never }), InputError)).code).toBe('bad_request');
  });

  it('a removal that leaves a reference dangling is refused as a file removing it is', async () => {
    const e = await refusal(() => store.apply([], { remove: ['entity:airport'] }), DefinitionError);
    expect(e.message).toContain("unknown entity 'airport'");
    expect(names(store)).toEqual(['airport', 'daily', 'daily_delays']);
  });
});

describe('the files and replace: true are the complete registry', () => {
  it('apply() without a list applies the files, removals included, as the CLI does', async () => {
    await store.apply([carrier]);
    expect(names(store)).toContain('carrier');
    const result = await store.apply();
    expect(result.applied.map((a) => `${a.kind}:${a.name} ${a.definition === null ? 'removed' : 'kept'}`)).toEqual(['entity:carrier removed']);
    expect(await read(store)).toEqual({ value: 4.5, status: 'PRESENT' });
  });

  it('{ replace: true } takes the list as the whole desired registry (what apply(list) did before)', async () => {
    writeFileSync(join(project.dir, 'features', 'more.yaml'), 'kind: entity\nname: carrier\njoin_keys: [{name: carrier_id, type: string}]\n');
    await store.apply([...(await store.definitions())]);
    expect(names(store)).toContain('carrier');
    const result = await store.apply([carrier], { replace: true });
    expect(result.dropped).toEqual(['daily_delays']);
    expect(names(store)).toEqual(['carrier']);
  });

  it('an object applied by another process while this apply waits for the lock is kept, not reverted', async () => {
    // The merge with the applied registry is checked inside the registry's transaction: a change this apply did not
    // ask for (another process's apply in between) makes it merge again, rather than remove or revert that object.
    const other = openProject(project.dir);
    try {
      const late = defineEntity({ name: 'late', join_keys: [{ name: 'late_id', type: 'string' }] });
      const mine = defineEntity({ name: 'mine', join_keys: [{ name: 'mine_id', type: 'string' }] });
      other.state.exec('BEGIN IMMEDIATE');
      const applying = store.apply([mine]);
      await new Promise((r) => setTimeout(r, 50));
      const current = other.registry.current();
      other.registry.apply([...current.entities.values(), ...current.sources.values(), ...current.views.values(), ...current.services.values(), late]);
      other.state.exec('COMMIT');
      const result = await applying;
      expect(result.applied.map((a) => `${a.kind}:${a.name} ${a.definition === null ? 'removed' : 'kept'}`)).toEqual(['entity:mine kept']);
      expect(names(store)).toEqual(['carrier', 'late', 'mine']);
    } finally {
      if (other.state.inTransaction) other.state.exec('ROLLBACK');
      await other.close();
    }
  });
});
