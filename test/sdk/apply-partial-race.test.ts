/**
 * A merged `store.apply(list)` that waits for the lock while another process applies a breaking change to a view
 * the list does not name merges again and applies, keeping that change; it was refused as a breaking change the
 * caller never made, its message naming the other process's view (a regression review finding: the merge's
 * re-check ran after the breaking-change check).
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { defineEntity, type FeatureStore } from '../../src/sdk/index.js';
import { openProject } from '../../src/project.js';
import type { FeatureViewDef } from '../../src/definitions/types.js';
import { DAILY_DELAYS_YAML, openPushProject, type PushProject } from '../datasets/push-project.js';

const YAML = DAILY_DELAYS_YAML;

let project: PushProject;
let store: FeatureStore;
beforeAll(async () => {
  project = await openPushProject('partial_apply_race', YAML, { parquet: { 'daily/part-0.parquet': `SELECT 'SEA' AS origin, TIMESTAMP '2024-01-01' AS day, 1.5::DOUBLE AS delay` } });
  store = project.fs;
});
afterAll(async () => {
  await project?.close();
});

it("a breaking change another process applies meanwhile is merged, not refused as this apply's", async () => {
  const other = openProject(project.dir);
  try {
    const mine = defineEntity({ name: 'carrier', join_keys: [{ name: 'carrier_id', type: 'string' }] });
    other.state.exec('BEGIN IMMEDIATE');
    const applying = store.apply([mine]);
    await new Promise((r) => setTimeout(r, 50));
    other.state.exec('COMMIT');
    // Another process changes the view's feature type (breaking) before this apply's next try.
    const current = other.registry.current();
    const view = current.views.get('daily_delays') as FeatureViewDef;
    const retyped = { ...view, features: view.features.map((f) => ({ ...f, type: 'string' as const })) };
    other.registry.apply([...current.entities.values(), ...current.sources.values(), retyped], { allowBreaking: true });
    const result = await applying;
    expect(result.applied.map((a) => `${a.kind}:${a.name}`)).toEqual(['entity:carrier']);
    expect((store.project.registry.current().views.get('daily_delays') as FeatureViewDef).features[0].type).toBe('string');
  } finally {
    if (other.state.inTransaction) other.state.exec('ROLLBACK');
    await other.close();
  }
});
