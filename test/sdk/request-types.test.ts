/**
 * The SDK's request types say what the run-time checks say: an online read or a dataset names `features` or
 * `service` (not both, not neither), a dataset splits by `splitAt` or `testFraction` (not both) and takes a
 * `format` only with `out`. Each refused shape is a compile error (`// @ts-expect-error`, checked by
 * `npm run typecheck`, which covers test/) and still a run-time error (JavaScript callers, HTTP bodies), asserted by
 * calling it through `openFeatureStore`. (A review's finding: those shapes type-checked and failed only when called.)
 */
import { afterAll, beforeAll, describe, expect, expectTypeOf, it } from 'vitest';
import {
  InputError, openFeatureStore,
  type FeatureStore, type HistoricalFeaturesRequest, type OnlineFeaturesRequest, type PushRequest,
} from '../../src/sdk/index.js';
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

/** The `InputError` a call is refused with. */
const refusal = async (work: () => Promise<unknown>): Promise<InputError> => {
  try {
    await work();
  } catch (e) {
    expect(e).toBeInstanceOf(InputError);
    return e as InputError;
  }
  throw new Error('not refused');
};

const entities = { airport: ['SEA'] };
const rows = [{ airport: 'SEA', event_timestamp: new Date('2024-01-10T00:00:00Z') }];

describe('OnlineFeaturesRequest', () => {
  it('takes features or service, one of them', async () => {
    const accepted: OnlineFeaturesRequest[] = [
      { features: ['delays:delay'], entities },
      { service: 'delay_model', entities },
      { features: ['delays:delay'], service: undefined, entities, fullFeatureNames: false },
    ];
    // Columns typed by an interface (no index signature) still infer `E`.
    interface AirportRows { airport: string[] }
    const typed: OnlineFeaturesRequest<AirportRows> = { service: 'delay_model', entities: { airport: ['SEA'] } };
    expectTypeOf<OnlineFeaturesRequest['features']>().toEqualTypeOf<readonly string[] | undefined>();
    expectTypeOf<{ features: string[]; service: string; entities: typeof entities }>().not.toExtend<OnlineFeaturesRequest>();
    expectTypeOf<{ entities: typeof entities }>().not.toExtend<OnlineFeaturesRequest>();
    for (const request of accepted) expect((await store.getOnlineFeatures(request)).metadata.feature_names).toEqual(['airport', 'delay']);
    expect((await store.getOnlineFeatures(typed)).results[1].statuses).toEqual(['NOT_FOUND']);
  });

  it('refuses neither, by type and at run time', async () => {
    // @ts-expect-error neither features nor service
    const e = await refusal(() => store.getOnlineFeatures({ entities }));
    expect(e).toMatchObject({ code: 'bad_request', message: 'give either features (view:feature references) or service (a feature service)' });
  });

  it('refuses both, by type and at run time', async () => {
    // @ts-expect-error both features and service
    const e = await refusal(() => store.getOnlineFeatures({ features: ['delays:delay'], service: 'delay_model', entities }));
    expect(e).toMatchObject({ code: 'invalid_request', message: 'give either features or service, not both' });
  });
});

describe('HistoricalFeaturesRequest', () => {
  it('takes features or service, splitAt or testFraction or neither, format only with out', () => {
    const accepted: HistoricalFeaturesRequest[] = [
      { features: ['delays:delay'], entities: rows },
      { service: 'delay_model', entities: rows },
      { features: ['delays:delay'], entities: rows, splitAt: '2024-01-05T00:00:00Z' },
      { features: ['delays:delay'], entities: rows, splitAt: new Date('2024-01-05T00:00:00Z'), testFraction: undefined },
      { features: ['delays:delay'], entities: rows, testFraction: 0.2 },
      { features: ['delays:delay'], entities: rows, out: 'train.parquet' },
      { features: ['delays:delay'], entities: rows, out: 'train.data', format: 'csv' },
      { service: 'delay_model', entities: 'entities.parquet', out: 'train.parquet', testFraction: 0.2, allowFailedChecks: true },
    ];
    expect(accepted).toHaveLength(8);
    expectTypeOf<HistoricalFeaturesRequest['service']>().toEqualTypeOf<string | undefined>();
    expectTypeOf<{ features: string[]; entities: string; format: 'csv' }>().not.toExtend<HistoricalFeaturesRequest>();
    expectTypeOf<{ features: string[]; entities: string; splitAt: string; testFraction: number }>().not.toExtend<HistoricalFeaturesRequest>();
  });

  it('refuses neither features nor service, by type and at run time', async () => {
    // @ts-expect-error neither features nor service
    const e = await refusal(() => store.getHistoricalFeatures({ entities: rows }));
    expect(e).toMatchObject({ code: 'bad_request', message: 'give features (e.g. airport_hourly:mean_delay) or a service' });
  });

  it('refuses both features and service, by type and at run time', async () => {
    // @ts-expect-error both features and service
    const e = await refusal(() => store.getHistoricalFeatures({ features: ['delays:delay'], service: 'delay_model', entities: rows }));
    expect(e).toMatchObject({ code: 'bad_request', message: 'give features or a service, not both' });
  });

  it('refuses both splitAt and testFraction, by type and at run time', async () => {
    // @ts-expect-error both splitAt and testFraction
    const e = await refusal(() => store.getHistoricalFeatures({ features: ['delays:delay'], entities: rows, splitAt: '2024-01-05T00:00:00Z', testFraction: 0.2 }));
    expect(e).toMatchObject({ code: 'bad_request', message: 'give splitAt or testFraction, not both' });
  });

  it('refuses format without out, by type and at run time', async () => {
    // @ts-expect-error format without out (the result is an Arrow table)
    const e = await refusal(() => store.getHistoricalFeatures({ features: ['delays:delay'], entities: rows, format: 'csv' }));
    expect(e).toMatchObject({ code: 'bad_request', message: expect.stringContaining("format 'csv' applies to the files written with out") });
  });
});

describe('PushRequest', () => {
  it('says what a type can: a target of online, offline or both, rows as a list (an empty list is refused at run time only)', async () => {
    // A non-empty tuple type would refuse every `object[]` a caller builds, so `rows: []` type-checks.
    const accepted: PushRequest[] = [
      { view: 'delays', rows: [] as object[] },
      { view: 'delays', rows, to: 'online_and_offline' },
    ];
    expect(accepted).toHaveLength(2);
    // @ts-expect-error an unknown target
    const e = await refusal(() => store.push({ view: 'delays', rows, to: 'sideways' }));
    expect(e).toMatchObject({ code: 'bad_request', message: "'to' must be online, offline or both" });
  });
});
