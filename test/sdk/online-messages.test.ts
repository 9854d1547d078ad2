/**
 * `getOnlineFeatures`' refusals and its `now` (a review's findings): a feature name two views share names the
 * option that avoids it as the dataset build's message does (`fullFeatureNames`, …); a mistyped feature service
 * gets a "did you mean" as a mistyped view does; and `{ now }` moves only the instant the ttl is measured from
 * (the online store keeps one value per entity, the latest), so a value stamped after `now` is still served.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defineFeatureView, InputError, openFeatureStore, type FeatureStore } from '../../src/sdk/index.js';
import { guardBench, DEFAULT_FEATURES, type GuardBench } from '../guards/helpers.js';

let bench: GuardBench;
let store: FeatureStore;
beforeAll(async () => {
  bench = await guardBench({ services: [{ kind: 'feature_service', name: 'delay_model', features: ['delays'] }] });
  store = await openFeatureStore(bench.dir);
  await store.apply([defineFeatureView({ name: 'delays2', entities: ['airport'], source: 'rows', ttl: '1h', online: true, features: DEFAULT_FEATURES })]);
});
afterAll(async () => {
  await store?.close();
  await bench?.close();
});

const refusal = async (work: () => Promise<unknown>): Promise<InputError> => {
  const e = await work().then(() => null, (error: unknown) => error);
  expect(e).toBeInstanceOf(InputError);
  return e as InputError;
};

describe('getOnlineFeatures refusals', () => {
  it("a feature name from two views names every spelling of the full feature names option, as the dataset build's message does", async () => {
    const e = await refusal(() => store.getOnlineFeatures({ features: ['delays:delay', 'delays2:delay'], entities: { airport: ['SEA'] } }));
    expect(e.code).toBe('feature_name_collision');
    expect(e.message).toBe("feature name 'delay' comes from both 'delays' and 'delays2'; use full feature names (CLI --full-feature-names, SDK fullFeatureNames, API full_feature_names)");
    const data = await refusal(() => store.getHistoricalFeatures({ features: ['delays:delay', 'delays2:delay'], entities: [{ airport: 'SEA', event_timestamp: new Date('2024-01-02T00:00:00Z') }] }));
    expect(e.message).toContain(/\(CLI [^)]*\)/.exec(data.message)![0]);
  });

  it('a mistyped feature service gets a did-you-mean, as a mistyped view does', async () => {
    const e = await refusal(() => store.getOnlineFeatures({ service: 'delay_modl', entities: { airport: ['SEA'] } }));
    expect(e).toMatchObject({ code: 'unknown_service', message: "unknown feature service 'delay_modl' (did you mean 'delay_model'?)", details: { known: ['delay_model'] } });
  });
});

describe('getOnlineFeatures { now }', () => {
  it('moves only the ttl instant: a value stamped after now is served PRESENT (the store keeps only the latest value)', async () => {
    const stamped = new Date('2024-03-01T12:00:00Z');
    const push = await store.push({ view: 'delays2', rows: [{ airport: 'ZZZ', ts: stamped, created: stamped, delay: 2.5, carrier: 'AA' }] });
    expect(push.status).toBe('success');
    const week = 7 * 24 * 3600_000;
    const before = await store.getOnlineFeatures({ features: ['delays2:delay'], entities: { airport: ['ZZZ'] } }, { now: new Date(stamped.getTime() - week) });
    expect(before.results[1]).toMatchObject({ values: [2.5], statuses: ['PRESENT'], event_timestamps: ['2024-03-01T12:00:00Z'] });
    // The ttl (1 h) is measured from `now`: two hours after the value, it is too old.
    const after = await store.getOnlineFeatures({ features: ['delays2:delay'], entities: { airport: ['ZZZ'] } }, { now: new Date(stamped.getTime() + 2 * 3600_000) });
    expect(after.results[1].statuses).toEqual(['OUTSIDE_MAX_AGE']);
  });
});
