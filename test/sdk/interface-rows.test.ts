/**
 * Rows and entities typed by an ordinary `interface` (the usual way to declare them) are accepted by the SDK's
 * types, as the runtime accepts them: `push({ rows })`, `getHistoricalFeatures({ entities })` and
 * `getOnlineFeatures({ entities })`. An interface has no index signature, so `Record<string, unknown>` refused it
 * (`Index signature for type 'string' is missing`) and only type aliases compiled. The compile check is the
 * suite's `tsc --noEmit` (test/ is in tsconfig.json); the calls also run. (A review's finding.)
 */
import { afterAll, beforeAll, expect, expectTypeOf, it } from 'vitest';
import type { EntityInput, EntitySpec, FeatureStore, PushRequest } from '../../src/sdk/index.js';
import { DAILY_DELAYS_YAML, openPushProject, type PushProject } from '../datasets/push-project.js';

interface DelayRow {
  origin: string;
  event_timestamp: Date;
  delay: number;
}
interface EntityRow {
  origin: string;
  event_timestamp: Date;
}
interface OriginKeys {
  origin: string[];
}

let project: PushProject;
let store: FeatureStore;
beforeAll(async () => {
  project = await openPushProject('interface_rows', DAILY_DELAYS_YAML, { parquet: { 'daily/part-0.parquet': `SELECT 'SEA' AS origin, TIMESTAMP '2024-01-01' AS day, 1.5::DOUBLE AS delay` } });
  store = project.fs;
});
afterAll(async () => {
  await project?.close();
});

it('push, getHistoricalFeatures and getOnlineFeatures take interface-typed rows and entities', async () => {
  const rows: DelayRow[] = [{ origin: 'NEW', event_timestamp: new Date(Date.now() - 60_000), delay: 4.5 }];
  expect((await store.push({ view: 'daily_delays', rows })).status).toBe('success');

  const entities: EntityRow[] = [{ origin: 'SEA', event_timestamp: new Date('2024-01-02T00:00:00Z') }];
  const ds = await store.getHistoricalFeatures({ entities, features: ['daily_delays:delay'] });
  expect(ds.table?.toArray().map((r) => r.toJSON())).toEqual([{ origin: 'SEA', event_timestamp: expect.anything(), delay: 1.5 }]);
  const fromRows: EntityInput = { kind: 'rows', rows: entities };
  expect((await store.getHistoricalFeatures({ entities: fromRows, features: ['daily_delays:delay'] })).table?.numRows).toBe(1);

  const keys: OriginKeys = { origin: ['NEW'] };
  const online = await store.getOnlineFeatures({ entities: keys, features: ['daily_delays:delay'] });
  expect(online.results[1]).toMatchObject({ values: [4.5], statuses: ['PRESENT'] });
});

it('still refuses what is no row or no column of entity values', () => {
  expectTypeOf<number>().not.toMatchTypeOf<PushRequest['rows'][number]>();
  expectTypeOf<string>().not.toMatchTypeOf<Exclude<EntitySpec, string>>();
  // Online entities are columns: a key holding one value instead of a list does not compile.
  const one = { origin: 'SEA' };
  // @ts-expect-error a column of values is a list
  const read = () => store.getOnlineFeatures({ entities: one, features: ['daily_delays:delay'] });
  expect(read).toBeTypeOf('function');
});
