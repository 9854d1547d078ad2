/**
 * The SDK's request and option objects are checked as the HTTP API checks its bodies: an unknown or misspelt
 * key is an `unknown_option` error naming the likely intended one (the camelCase name for the HTTP body's
 * snake_case spelling), and a missing request object is an `InputError`, not a TypeError. (A review's findings.)
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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

const refusal = async (work: () => unknown): Promise<InputError> => {
  try {
    await work();
  } catch (e) {
    expect(e).toBeInstanceOf(InputError);
    return e as InputError;
  }
  throw new Error('not refused');
};

describe('unknown option keys', () => {
  it('are refused with a suggestion, even when TypeScript lets them through (a variable, not a literal)', async () => {
    const opts = { incremental: true, view: ['delays'] };
    expect(await refusal(() => store.materialize(opts))).toMatchObject({ code: 'unknown_option', message: expect.stringContaining("unknown option 'view' in materialize options (did you mean 'views'?)") });
    const req = { features: ['delays:delay'], entities: [{ airport: 'SEA', event_timestamp: new Date() }], test_fraction: 0.5 };
    expect(await refusal(() => store.getHistoricalFeatures(req))).toMatchObject({ code: 'unknown_option', message: expect.stringContaining("'test_fraction'"), details: { option: 'test_fraction' } });
    expect((await refusal(() => store.getHistoricalFeatures(req))).message).toContain("did you mean 'testFraction'?");
  });

  it('snake_case keys get their camelCase name in every request and options object', async () => {
    const bad = { full_feature_names: true };
    const online = await refusal(() => store.getOnlineFeatures({ features: ['delays:delay'], entities: { airport: ['SEA'] }, ...bad }));
    expect(online.message).toContain("unknown option 'full_feature_names' in the online features request (did you mean 'fullFeatureNames'?)");
    const read = await refusal(() => store.getOnlineFeatures({ features: ['delays:delay'], entities: { airport: ['SEA'] } }, { max_entities: 5 } as never));
    expect(read.message).toContain("did you mean 'maxEntities'?");
    const push = await refusal(() => store.push({ view: 'delays', rows: [], ignore_unknown_columns: true } as never));
    expect(push.message).toContain("did you mean 'ignoreUnknownColumns'?");
    expect((await refusal(() => store.pruneRuns({ before: '90d', dry_run: true } as never))).message).toContain("did you mean 'dryRun'?");
    expect((await refusal(() => store.apply(undefined, { allow_breaking: true } as never))).message).toContain("did you mean 'allowBreaking'?");
    expect((await refusal(() => store.redeliverAlerts({ run_id: 'x' } as never))).message).toContain("did you mean 'runId'?");
    expect((await refusal(() => store.runs.list({ views: 'delays' } as never))).message).toContain("did you mean 'view'?");
  });

  it('a key far from every known one is refused without a guess', async () => {
    const e = await refusal(() => store.materialize({ incremental: true, zzzzzz: 1 } as never));
    expect(e.message).toBe("unknown option 'zzzzzz' in materialize options");
  });
});

describe('materialize test hooks', () => {
  it('are not SDK options: the types leave them out and store.materialize refuses them (guardStage skipped the guards with a run that looked checked)', async () => {
    const guardStage = async () => ({ verdict: 'pass' as const, results: [], blockedReason: null, counts: { pass: 0, warn: 0, fail: 0, error: 0, skipped: 0 } });
    const hooks: [string, unknown][] = [['guardStage', guardStage], ['batchSize', 1], ['onRunStarted', () => {}], ['alertSignal', new AbortController().signal], ['deliverAlerts', async () => {}]];
    for (const [hook, value] of hooks) {
      const e = await refusal(() => store.materialize({ start: '2024-01-01', end: '2024-01-02', [hook]: value }));
      expect(e, hook).toMatchObject({ code: 'unknown_option', details: { option: hook } });
    }
    expect(store.runs.list({ kind: 'materialize' }).total).toBe(0);
    // @ts-expect-error not a public option
    const typed = () => store.materialize({ incremental: true, guardStage });
    expect(typed).toBeTypeOf('function');
  });
});

describe('boolean options', () => {
  it('a value that is not true or false is refused, naming the option (dryRun: \'yes\' removed nothing yet answered dryRun: false)', async () => {
    const online = { features: ['delays:delay'], entities: { airport: ['SEA'] } };
    const entities = [{ airport: 'SEA', event_timestamp: new Date('2024-01-10T00:00:00Z') }];
    const cases: [string, () => unknown, string][] = [
      ['dryRun', () => store.pruneRuns({ before: new Date(0), dryRun: 'yes' as never }), 'pruneRuns options'],
      ['dryRun', () => store.pruneRuns({ before: new Date(0), dryRun: 1 as never }), 'pruneRuns options'],
      ['allowBreaking', () => store.apply('not a list' as never, { allowBreaking: 'yes' as never }), 'apply options'],
      ['incremental', () => store.materialize({ start: '2024-01-01', incremental: 'yes' as never }), 'materialize options'],
      ['guards', () => store.materialize({ incremental: true, guards: 'no' as never }), 'materialize options'],
      ['fullFeatureNames', () => store.getOnlineFeatures({ ...online, fullFeatureNames: 'yes' as never }), 'the online features request'],
      ['feastKeys', () => store.getOnlineFeatures(online, { feastKeys: 1 as never }), 'online read options'],
      ['fullFeatureNames', () => store.getHistoricalFeatures({ features: ['delays:delay'], entities, fullFeatureNames: 'true' as never }), 'the historical features request'],
      ['allowFailedChecks', () => store.getHistoricalFeatures({ features: ['delays:delay'], entities, allowFailedChecks: 'yes' as never }), 'the historical features request'],
      ['disableGuards', () => store.getHistoricalFeatures({ features: ['delays:delay'], entities, disableGuards: null as never }), 'the historical features request'],
      ['ignoreUnknownColumns', () => store.push({ view: 'delays', rows: [], ignoreUnknownColumns: 'yes' as never }), 'the push request'],
      ['all', () => store.redeliverAlerts({ all: 'yes' as never }), 'redeliverAlerts options'],
    ];
    for (const [option, work, what] of cases) {
      const e = await refusal(work);
      expect(e, option).toMatchObject({ code: 'bad_request', message: expect.stringMatching(new RegExp(`^invalid ${option} in ${what}: true or false \\(got (a string|a number|null)\\)$`)), details: { option } });
    }
    expect(store.pruneRuns({ before: new Date(0), dryRun: false })).toMatchObject({ dryRun: false });
  });
});

describe('getHistoricalFeatures format', () => {
  const request = { features: ['delays:delay'], entities: [{ airport: 'SEA', event_timestamp: new Date('2024-01-10T00:00:00Z') }] };

  it('without out is refused (it was ignored: an Arrow table came back), and an unknown one is refused either way', async () => {
    expect(await refusal(() => store.getHistoricalFeatures({ ...request, format: 'csv' }))).toMatchObject({
      code: 'bad_request',
      message: "format 'csv' applies to the files written with out; without out the result is an Arrow table (give out, e.g. out: 'train.csv')",
    });
    expect(await refusal(() => store.getHistoricalFeatures({ ...request, format: 'xlsx' as never }))).toMatchObject({ code: 'bad_format', message: "unknown format 'xlsx': use parquet, arrow, csv, json" });
    expect(await refusal(() => store.getHistoricalFeatures({ ...request, format: 'xlsx' as never, out: 'x.parquet' }))).toMatchObject({ code: 'bad_format', message: "unknown format 'xlsx': use parquet, arrow, csv, json" });
    const res = await store.getHistoricalFeatures(request);
    expect(res.outputs[0].format).toBe('memory');
  });
});

describe('getHistoricalFeatures entity rows', () => {
  it('take a Date and a bigint as push does, but not a typed array (push only, as the README says)', async () => {
    const at = new Date('2024-01-10T00:00:00Z');
    const res = await store.getHistoricalFeatures({ features: ['delays:delay'], entities: [{ airport: 'SEA', event_timestamp: at, id: 9007199254740993n }] });
    expect(res.table!.getChild('id')!.get(0)).toBe(9007199254740993n);
    const e = await store.getHistoricalFeatures({ features: ['delays:delay'], entities: [{ airport: 'SEA', event_timestamp: at, emb: Float32Array.from([1, 2]) }] }).catch((x: unknown) => x);
    expect(e).toMatchObject({ code: 'bad_entity_value', message: expect.stringContaining("entity column 'emb' holds an object in row 0 (counting from 0)") });
  });
});

describe('missing request objects', () => {
  it('are an InputError naming the shape, not a TypeError', async () => {
    for (const work of [
      () => store.getOnlineFeatures(null as never),
      () => store.getHistoricalFeatures(null as never),
      () => store.materialize(null as never),
      () => store.materialize(undefined as never),
      () => store.push(null as never),
      () => store.apply(undefined, null as never),
      () => store.getOnlineFeatures({ features: ['delays:delay'], entities: { airport: ['SEA'] } }, null as never),
    ]) {
      expect(await refusal(work)).toMatchObject({ code: 'invalid_request', message: expect.stringMatching(/must be an object \{.*\}, not (null|undefined)$/) });
    }
  });
});

describe('store.runs arguments', () => {
  it('recent takes a whole number from 1 and a list of statuses', async () => {
    expect(store.runs.recent('delays', ['success'], 3)).toEqual([]);
    for (const n of [1.5, -1, 0, Number.NaN]) {
      expect(await refusal(() => store.runs.recent('delays', ['success'], n))).toMatchObject({ code: 'bad_request', message: `invalid n ${String(n)}: a whole number from 1` });
    }
    expect((await refusal(() => store.runs.recent('delays', 'success' as never, 3))).message).toMatch(/^statuses must be a list of run statuses/);
    expect((await refusal(() => store.runs.recent('delays', ['bogus' as never], 3))).message).toMatch(/^statuses must be a list of run statuses/);
  });

  it('list refuses a status or kind no run has, as it refuses a bad limit', async () => {
    expect(await refusal(() => store.runs.list({ status: 'bogus' as never }))).toMatchObject({ code: 'bad_request', message: "invalid status 'bogus': queued, running, success, warned, blocked, failed" });
    expect(await refusal(() => store.runs.list({ kind: 'bogus' as never }))).toMatchObject({ code: 'bad_request', message: "invalid kind 'bogus': materialize, dataset, push, check, compact" });
    expect(store.runs.list({ status: 'failed', kind: 'push' }).total).toBe(0);
  });
});

describe('messages that name the argument', () => {
  it('a single feature reference given as a string: features must be a list', async () => {
    const e = await refusal(() => store.getHistoricalFeatures({ features: 'delays:delay' as never, entities: [{ airport: 'SEA', event_timestamp: new Date('2024-02-01T00:00:00Z') }] }));
    expect(e).toMatchObject({ code: 'invalid_request', message: "features must be a list of feature references (view, view:* or view:feature), e.g. ['delays:delay']" });
  });

  it('an invalid Date in pushed rows is called that', async () => {
    const e = await refusal(() => store.push({ view: 'delays', rows: [{ airport: 'SEA', event_timestamp: new Date('2024-02-01T00:00:00Z') }, { airport: 'SEA', event_timestamp: new Date('x') }] }));
    // Worded as the push's own refusal of invalid rows (serving/push-problems.ts), with its totals.
    expect(e).toMatchObject({
      code: 'invalid_rows',
      message: "1 problem in 1 of 2 pushed rows for view 'delays'; first: row 1 (counting from 0) at /1/event_timestamp: an invalid Date",
      details: { problems: [{ row: 1, path: '/1/event_timestamp', message: 'an invalid Date' }], invalid_rows: 1, problem_count: 1 },
    });
  });

  it('invalid Dates in many pushed rows are all counted, the first 20 listed, as a push counts its problems', async () => {
    const bad = () => new Date('x');
    // 25 rows with an invalid event time, 3 of them with an invalid created time too, and one valid row last.
    const rows = [...Array.from({ length: 25 }, (_, i) => ({ airport: 'SEA', event_timestamp: bad(), ...(i < 3 ? { created_timestamp: bad() } : {}) })), { airport: 'SEA', event_timestamp: new Date('2024-02-01T00:00:00Z') }];
    const e = await refusal(() => store.push({ view: 'delays', rows }));
    const listed = [0, 1, 2].flatMap((i) => [`/${i}/event_timestamp`, `/${i}/created_timestamp`]).concat(Array.from({ length: 14 }, (_, i) => `/${i + 3}/event_timestamp`));
    expect(e).toMatchObject({
      code: 'invalid_rows',
      message: "28 problems in 25 of 26 pushed rows for view 'delays' (first 20 listed); first: row 0 (counting from 0) at /0/event_timestamp: an invalid Date",
      details: { invalid_rows: 25, problem_count: 28 },
    });
    expect((e.details as { problems: { path: string }[] }).problems.map((p) => p.path)).toEqual(listed);
  });

  it('a dataset build cancelled by its signal says so (not that a client went away)', async () => {
    const e = await store.getHistoricalFeatures({ features: ['delays:delay'], entities: [{ airport: 'SEA', event_timestamp: new Date('2024-02-01T00:00:00Z') }], signal: AbortSignal.abort() }).catch((x: unknown) => x);
    expect(e).toMatchObject({ code: 'cancelled', status: 499, message: 'the dataset build was cancelled (its signal was aborted)' });
  });

  it('now that is no valid Date is refused (an invalid one turned ttl off: every value was served PRESENT; a string was a TypeError)', async () => {
    const req = { features: ['delays:delay'], entities: { airport: ['SEA'] } };
    for (const [now, got] of [[new Date('not a date'), 'an invalid Date'], ['2030-01-01', 'a string'], [Date.now(), 'a number'], [null, 'null']] as const) {
      const e = await refusal(() => store.getOnlineFeatures(req, { now: now as never }));
      expect(e).toMatchObject({ code: 'bad_request', message: `invalid now: a valid Date (got ${got})` });
    }
    expect((await store.getOnlineFeatures(req, { now: new Date('2030-01-01T00:00:00Z') })).results).toHaveLength(2);
  });

  it("name the SDK's keys, service and format, not the HTTP body's feature_service or the CLI's --format", async () => {
    const entities = { airport: ['SEA'] };
    expect(await refusal(() => store.getOnlineFeatures({ entities }))).toMatchObject({ code: 'bad_request', message: 'give either features (view:feature references) or service (a feature service)' });
    expect(await refusal(() => store.getOnlineFeatures({ features: ['delays:delay'], service: 'delay_model', entities }))).toMatchObject({ code: 'invalid_request', message: 'give either features or service, not both' });
    expect(await refusal(() => store.getOnlineFeatures({ service: 5 as never, entities }))).toMatchObject({ code: 'invalid_request', message: 'service must be the name of a feature service' });
    const out = await refusal(() => store.getHistoricalFeatures({ features: ['delays:delay'], entities: [{ airport: 'SEA', event_timestamp: new Date('2024-01-10T00:00:00Z') }], out: 'x.txt' }));
    expect(out).toMatchObject({ code: 'bad_format', message: "cannot tell the output format from 'x.txt': use a .parquet, .arrow, .csv or .json file (CSV and JSON also .gz or .zst) or pass format" });
  });

  it('maxEntities below 1 is blamed on the argument, not on server.max_entities', async () => {
    for (const max of [0, -5, 1.5]) {
      const e = await refusal(() => store.getOnlineFeatures({ features: ['delays:delay'], entities: { airport: ['SEA'] } }, { maxEntities: max }));
      expect(e).toMatchObject({ code: 'bad_request', message: `invalid maxEntities ${max}: a whole number from 1` });
    }
  });
});
