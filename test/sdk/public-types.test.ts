/**
 * The types the public results use can be named from the package entry (README, "SDK": "the package exports
 * the types of every call's request and result"), and the quality log's profiles are `ColumnProfile`s.
 * Checked by the compiler (`tsc --noEmit` covers test/) and by running it. (A review's findings.)
 */
import { afterAll, beforeAll, expect, expectTypeOf, it } from 'vitest';
import {
  openFeatureStore,
  type ApplyDefinitionsResult, type ColumnProfile, type FeatureStore, type FeatureViewDef, type FieldChange, type GuardStageResult,
  type HistoricalFeaturesResult, type ManifestCheckResult, type MaterializeResult, type ObjectChange, type PushResult, type PushTarget,
  type QualityConfig, type VersionRecord, type DatasetManifest,
} from '../../src/sdk/index.js';
import { guardBench, type GuardBench } from '../guards/helpers.js';

let bench: GuardBench;
let store: FeatureStore;
beforeAll(async () => {
  bench = await guardBench();
  store = await openFeatureStore(bench.dir);
});
afterAll(async () => {
  await store?.close();
  await bench?.close();
});

it('names the types inside the public results', () => {
  expectTypeOf<HistoricalFeaturesResult['checks']>().toEqualTypeOf<GuardStageResult>();
  expectTypeOf<MaterializeResult['counts']>().toMatchTypeOf<GuardStageResult['counts']>();
  expectTypeOf<NonNullable<FeatureViewDef['quality']>>().toEqualTypeOf<QualityConfig>();
  expectTypeOf<ApplyDefinitionsResult['applied'][number]>().toEqualTypeOf<VersionRecord>();
  expectTypeOf<ObjectChange['changes']>().toMatchTypeOf<readonly FieldChange[] | undefined>();
  expectTypeOf<PushResult['to']>().toEqualTypeOf<PushTarget>();
  expectTypeOf<ManifestCheckResult>().not.toBeAny();
  expectTypeOf<DatasetManifest>().not.toBeAny();
});

it('types the quality log profiles as ColumnProfile, as the guards record them', async () => {
  expectTypeOf(store.runs.profile).returns.toEqualTypeOf<ColumnProfile | null>();
  expectTypeOf(store.runs.profiles).returns.toEqualTypeOf<{ column: string; slice: string | null; profile: ColumnProfile }[]>();
  const { runId } = await bench.runWindow('2024-02-01T00:00:00Z', '2024-02-02T00:00:00Z');
  const profiles = store.runs.profiles(runId);
  expect(profiles.length).toBeGreaterThan(0);
  const first = profiles[0];
  expect(store.runs.profile(runId, first.column, first.slice)).toEqual(first.profile);
  expect(first.profile).toMatchObject({ column: first.column, type: expect.any(String), count: expect.any(Number) });
});
