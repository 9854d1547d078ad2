/**
 * A feature service built with `defineFeatureService` whose references name something unknown: the did-you-mean
 * is drawn from the namespace the unknown part belongs to (view names for the part before `:`, that view's feature
 * names after it), never the other. Reproduction of a review note that said otherwise (not reproduced: the
 * suggestions were already right; this pins them).
 */
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { defineFeatureService, openFeatureStore, type FeatureStore } from '../../src/sdk/index.js';
import { makeTinyProject } from '../datasets/tiny-project.js';

let dir: string;
let store: FeatureStore;
beforeAll(async () => {
  const made = await makeTinyProject();
  dir = made.dir;
  await made.project.close();
  store = await openFeatureStore(dir);
});
afterAll(async () => {
  await store?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** The message of planning service `svc` with these references. */
async function refusal(features: string[], label?: string): Promise<string> {
  const e = await store.plan([defineFeatureService({ name: 'svc', features, ...(label ? { label } : {}) })]).then(() => undefined, (err: Error) => err);
  expect(e).toBeInstanceOf(Error);
  return e!.message;
}

it('a misspelt view is matched against view names, a misspelt feature against that view\'s features', async () => {
  expect(await refusal(['user_stat:txn_count'])).toMatch(/unknown feature view 'user_stat' \(did you mean 'user_stats'\?\)$/);
  expect(await refusal(['user_stats:txn_cont'])).toMatch(/feature view 'user_stats' has no feature 'txn_cont' \(did you mean 'txn_count'\?\)$/);
  // A view name misspelt like a feature name is not "corrected" to that feature, and the reverse.
  expect(await refusal(['txn_cont'])).toMatch(/unknown feature view 'txn_cont'$/);
  expect(await refusal(['user_stats:user_stat'])).toMatch(/feature view 'user_stats' has no feature 'user_stat'$/);
  // Another view's feature is not offered for this view.
  expect(await refusal(['merchant_stats:txn_coun'])).toMatch(/feature view 'merchant_stats' has no feature 'txn_coun'$/);
  expect(await refusal(['user_stats'], 'outcom:fraud')).toMatch(/at \/label: unknown feature view 'outcom' \(did you mean 'outcome'\?\)$/);
  expect(await refusal(['user_stats'], 'outcome:frud')).toMatch(/label view 'outcome' has no feature 'frud' \(did you mean 'fraud'\?\)$/);
});

it("a bare feature name (no 'view:') is offered as the reference to the view that has it, or to each of the views that do", async () => {
  // `features: ['txn_count']` was "unknown feature view 'txn_count'", with no hint that the view was missing.
  expect(await refusal(['txn_count'])).toMatch(/at \/features\/0: unknown feature view 'txn_count' \(did you mean 'user_stats:txn_count'\? a service names a feature as view:feature\)$/);
  // Two views have a feature 'risk': both are named.
  expect(await refusal(['user_stats', 'risk'])).toMatch(/at \/features\/1: unknown feature view 'risk' \(did you mean 'merchant_stats:risk' or 'user_risk:risk'\? a service names a feature as view:feature\)$/);
  // The label too: a bare label feature names its label view.
  expect(await refusal(['user_stats'], 'fraud')).toMatch(/at \/label: unknown feature view 'fraud' \(did you mean 'outcome:fraud'\? a service names a feature as view:feature\)$/);
  // A name that is neither a view nor a feature keeps the view suggestion (or none).
  expect(await refusal(['user_stat'])).toMatch(/unknown feature view 'user_stat' \(did you mean 'user_stats'\?\)$/);
});
