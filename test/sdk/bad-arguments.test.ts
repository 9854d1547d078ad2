/**
 * Arguments of the wrong type are an `InputError` naming what was expected, refused before any run is recorded
 * (README, "SDK": an `InputError`, not a `TypeError`). A review's findings: `verifyDataset()` / `(null)` / `(123)`
 * were raw TypeErrors; `objectVersion('viewz', …)` was "no viewz named …" (a NotFoundError, no hint of the kinds; the
 * aliases `view`, `services`, … are kinds as `apply`'s `remove` takes them);
 * `onProgress: 5` failed getHistoricalFeatures with a TypeError after recording a failed run, and materialize only
 * after reading the whole window and running the guards; `signal: 5` was a TypeError.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { InputError, openFeatureStore, type FeatureStore } from '../../src/sdk/index.js';
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

const runCount = () => store.runs.list({ limit: 0 }).total;

/** `call` rejects (or throws) an InputError whose message matches `message`, and records no run. */
async function refused(call: () => unknown, message: RegExp, code = 'invalid_request'): Promise<void> {
  const before = runCount();
  const error = await (async () => call())().then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(InputError);
  expect(error).toMatchObject({ code, message: expect.stringMatching(message) });
  expect(runCount()).toBe(before);
}

const dataset = { entities: [{ airport: 'SEA', event_timestamp: new Date('2024-01-02T00:00:00Z') }], features: ['delays:delay'] };
const window = { views: ['delays'], start: '2024-01-01T00:00:00Z', end: '2024-01-03T00:00:00Z' };

it('verifyDataset refuses a missing or non-string path', async () => {
  const verify = store.verifyDataset as (path?: unknown) => Promise<unknown>;
  await refused(() => verify(), /verifyDataset takes the path of a dataset's manifest .*got undefined/);
  await refused(() => verify(null), /got null/);
  await refused(() => verify(123), /got a number/);
  await refused(() => verify(''), /got an empty string/);
});

it('objectVersion refuses an unknown kind with the kinds, their aliases and the closest of them, and a name that is not text', async () => {
  const version = store.objectVersion as (kind: unknown, name: unknown, v?: unknown) => unknown;
  const KINDS = "entity, source, feature_view \\(view\\) or feature_service \\(service\\), or their plurals \\(entities, views, …\\), in any case";
  await refused(() => version('feature_vew', 'delays'), new RegExp(`^unknown kind 'feature_vew': use ${KINDS} \\(did you mean 'feature_view'\\?\\)$`));
  // The aliases are suggested too: a typo of `view` was refused with no hint (only the four kinds were compared).
  await refused(() => version('veiw', 'delays'), new RegExp(`^unknown kind 'veiw': use ${KINDS} \\(did you mean 'view'\\?\\)$`));
  await refused(() => version('servces', 'x'), /\(did you mean 'services'\?\)$/);
  await refused(() => version('Entitys', 'x'), /\(did you mean 'entity'\?\)$/);
  await refused(() => version('featureService', 'x'), /did you mean 'feature_service'\?/);
  await refused(() => version('featureView', 'delays'), /did you mean 'feature_view'\?/);
  await refused(() => version('table', 'x'), new RegExp(`^unknown kind 'table': use ${KINDS}$`));
  await refused(() => version(null, null), new RegExp(`^unknown kind null: use ${KINDS}$`));
  await refused(() => version('feature_view', null), /a feature_view's name: a non-empty string \(got null\)/);
  // The check does not refuse what is there.
  expect(store.objectVersion('feature_view', 'delays').version.version).toBe(1);
});

it("objectVersion takes the kind aliases the CLI and apply's remove take", () => {
  const version = store.objectVersion as (kind: string, name: string, v?: unknown) => ReturnType<FeatureStore['objectVersion']>;
  for (const kind of ['view', 'views', 'feature_views', 'Feature-View', 'VIEW']) expect(version(kind, 'delays').version).toMatchObject({ kind: 'feature_view', name: 'delays', version: 1 });
  expect(version('entities', 'airport').version).toMatchObject({ kind: 'entity', name: 'airport' });
  expect(version('sources', 'rows').version).toMatchObject({ kind: 'source', name: 'rows' });
  // An alias names the kind: a view is not found as a service.
  expect(() => version('service', 'delays')).toThrow(/no feature_service named 'delays'/);
});

it('objectVersion suggests the closest name of that kind for a misspelt name, as a view typo elsewhere does', () => {
  const version = store.objectVersion as (kind: string, name: string, v?: unknown) => ReturnType<FeatureStore['objectVersion']>;
  // A wrong NAME (the kind is right) was "no feature_view named 'delay' in the registry", with no hint.
  expect(() => version('view', 'delay')).toThrow(/^no feature_view named 'delay' in the registry \(did you mean 'delays'\?\)$/);
  expect(() => version('entity', 'airprot')).toThrow(/^no entity named 'airprot' in the registry \(did you mean 'airport'\?\)$/);
  expect(() => version('source', 'rwos')).toThrow(/\(did you mean 'rows'\?\)$/);
  // Only names of that kind: the view 'delays' is no service, and nothing unlike any name is suggested.
  expect(() => version('service', 'delay')).toThrow(/^no feature_service named 'delay' in the registry$/);
  expect(() => version('view', 'zzzzzz')).toThrow(/^no feature_view named 'zzzzzz' in the registry$/);
});

it('getHistoricalFeatures refuses an onProgress or a signal of the wrong type before recording a run', async () => {
  const get = store.getHistoricalFeatures as (request: unknown) => Promise<unknown>;
  await refused(() => get({ ...dataset, onProgress: 5 }), /invalid onProgress in the historical features request: a function \(got a number\)/, 'bad_request');
  await refused(() => get({ ...dataset, signal: 5 }), /invalid signal in the historical features request: an AbortSignal, e\.g\. AbortSignal\.timeout\(60_000\) \(got a number\)/, 'bad_request');
  await refused(() => get({ ...dataset, signal: {} }), /an AbortSignal, .*\(got an object\)/, 'bad_request');
  // The same request with valid hooks builds, and records its run.
  const before = runCount();
  const steps: string[] = [];
  await store.getHistoricalFeatures({ ...dataset, onProgress: (p) => steps.push(p.phase), signal: new AbortController().signal });
  expect(steps).toContain('done');
  expect(runCount()).toBe(before + 1);
});

it('materialize refuses an onProgress that is not a function before reading anything', async () => {
  const materialize = store.materialize as (options: unknown) => Promise<unknown>;
  await refused(() => materialize({ ...window, onProgress: 5 }), /invalid onProgress in materialize options: a function \(got a number\)/, 'bad_request');
  await refused(() => materialize({ ...window, onProgress: null }), /\(got null\)/, 'bad_request');
});
