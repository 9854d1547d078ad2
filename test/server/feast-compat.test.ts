/**
 * Bodies Feast's own code builds, which featureguard refused (review of stop 33, feast-dev/feast f0bc0700):
 * - push timestamps `pd.to_datetime` reads: a date alone (pandas' `astype(str)` of all-midnight datetimes) and
 *   `… UTC` (utils.py `_convert_arrow_fv_to_proto`);
 * - a `df` in pandas' default orient, `{column: {index: value}}` (`pd.DataFrame(request.df)`, feature_server.py);
 * - `view@latest:feature` and `view@vN:feature` references (utils.py `_parse_feature_ref`);
 * - an entity's name in place of its join key (utils.py `_prepare_entities_to_read_from_online_store`: deprecated,
 *   still accepted);
 * - `disable_event_timestamp` as pydantic's lax bool reads it (feature_server.py `MaterializeRequest`);
 * - `-0.0`, which Python's `json` writes with its sign.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadDefinitions } from '../../src/definitions/loader.js';
import { json, post, useAppFixture } from './fixture.js';

const t = useAppFixture();

const runCount = () => t.fx.project.runs.list({ limit: 1000 }).total;

/** A Feast `/push` to the fixture's view, `df` as given. */
const feastPush = (df: unknown, path = '/push') =>
  t.app.request(path, post(path === '/push' ? { push_source_name: 'origin_delays', df, to: 'online' } : { feature_view_name: 'origin_delays', df }));

/** dep_delay, flights, carrier of `origin` (value, status, event timestamp each), read on Feast's route. */
async function online(origin: string): Promise<{ values: unknown[]; statuses: string[]; ts: string[] }> {
  const res = await t.app.request('/get-online-features', post({
    features: ['origin_delays:dep_delay', 'origin_delays:flights', 'origin_delays:carrier'], entities: { origin: [origin] },
  }));
  const body = await json(res);
  expect(res.status, JSON.stringify(body)).toBe(200);
  const rs = body.results.slice(1) as { values: unknown[]; statuses: string[]; event_timestamps: string[] }[];
  return { values: rs.map((r) => r.values[0]), statuses: rs.map((r) => r.statuses[0]), ts: rs.map((r) => r.event_timestamps[0]) };
}

describe('Feast push timestamps pd.to_datetime reads', () => {
  it('takes a date alone as midnight UTC, on /push and /write-to-online-store', async () => {
    const res = await feastPush({ origin: ['SEA'], event_timestamp: ['2001-01-11'], dep_delay: [1.5], flights: [3], carrier: ['AA'] });
    expect(res.status, await res.clone().text()).toBe(200);
    expect(await online('SEA')).toMatchObject({ values: [1.5, 3, 'AA'], ts: ['2001-01-11T00:00:00Z', '2001-01-11T00:00:00Z', '2001-01-11T00:00:00Z'] });
    const write = await feastPush({ origin: ['SEA'], event_timestamp: ['2001-01-12'], dep_delay: [2.5], flights: [4], carrier: ['AB'] }, '/write-to-online-store');
    expect(write.status, await write.clone().text()).toBe(200);
    expect(await online('SEA')).toMatchObject({ values: [2.5, 4, 'AB'], ts: ['2001-01-12T00:00:00Z', '2001-01-12T00:00:00Z', '2001-01-12T00:00:00Z'] });
  });

  it("takes '… UTC' as UTC", async () => {
    const res = await feastPush({ origin: ['SFO'], event_timestamp: ['2001-01-12 10:59:42 UTC'], dep_delay: [1], flights: [1], carrier: ['UA'] });
    expect(res.status, await res.clone().text()).toBe(200);
    expect((await online('SFO')).ts[0]).toBe('2001-01-12T10:59:42Z');
  });

  it("leaves featureguard's own /v1/push as strict as it was (RFC 3339, or a naive date and time)", async () => {
    for (const at of ['2001-01-13', '2001-01-13 10:59:42 UTC']) {
      const res = await t.app.request('/v1/push', post({ view: 'origin_delays', rows: [{ origin: 'SEA', event_timestamp: at, dep_delay: 9, flights: 9, carrier: 'ZZ' }] }));
      const body = await json(res);
      expect([res.status, body.error?.code, body.error?.message], at).toEqual([400, 'invalid_rows', expect.stringContaining('event_timestamp')]);
    }
  });
});

describe("a Feast df in pandas' default orient ({column: {index: value}})", () => {
  it('is read as rows by index: one row', async () => {
    const runs = runCount();
    const res = await feastPush({ origin: { 0: 'JFK' }, event_timestamp: { 0: '2001-01-11T10:59:42.000' }, dep_delay: { 0: 1.25 }, flights: { 0: 2 }, carrier: { 0: 'B6' } });
    const body = await json(res);
    expect([res.status, body.rows], JSON.stringify(body)).toEqual([200, 1]);
    expect(runCount()).toBe(runs + 1);
    expect(await online('JFK')).toMatchObject({ values: [1.25, 2, 'B6'], statuses: ['PRESENT', 'PRESENT', 'PRESENT'] });
  });

  it('two index keys are two rows; an index a column lacks is null there; a scalar column is every row', async () => {
    const res = await feastPush({
      origin: { 0: 'BOS', 1: 'LAX' }, event_timestamp: '2001-01-11T11:00:00Z', dep_delay: { 0: 3.5, 1: 4.5 }, flights: { 1: 7, 0: 6 }, carrier: { 0: 'DL' },
    });
    const body = await json(res);
    expect([res.status, body.rows], JSON.stringify(body)).toEqual([200, 2]);
    expect(await online('BOS')).toMatchObject({ values: [3.5, 6, 'DL'] });
    expect(await online('LAX')).toMatchObject({ values: [4.5, 7, null], statuses: ['PRESENT', 'PRESENT', 'NULL_VALUE'] });
  });

  it('any mix of list and index columns is one 400 before any run (integer keys are reordered by JSON.parse, a list is not)', async () => {
    const runs = runCount();
    // pandas' index order 1, 0: the list column follows it, the index column parses as 0, 1 (JFK would get SEA's values).
    const df = '{"origin": {"1": "JFK", "0": "SEA"}, "event_timestamp": "2001-01-11T13:00:00Z", "dep_delay": [77, 88], "flights": {"1": 1, "0": 2}, "carrier": "AA"}';
    for (const [path, body] of [
      ['/push', `{"push_source_name": "origin_delays", "to": "online", "df": ${df}}`],
      ['/write-to-online-store', `{"feature_view_name": "origin_delays", "df": ${df}}`],
      ['/push', JSON.stringify({ push_source_name: 'origin_delays', to: 'online', df: { origin: ['ORD', 'ATL'], event_timestamp: '2001-01-11T13:00:00Z', dep_delay: { 0: 1, 1: 2, 2: 3 }, flights: [1, 2], carrier: ['AA', 'DL'] } })],
    ] as const) {
      const res = await t.app.request(path, post(body));
      const got = await json(res);
      expect([res.status, got.error?.code], JSON.stringify(got)).toEqual([400, 'invalid_rows']);
      expect(got.error.message).toContain("'df' mixes column shapes");
      expect(got.error.details?.run_id).toBeUndefined();
    }
    expect(runCount()).toBe(runs);
    expect((await online('JFK')).values).not.toContain(88);
  });
});

describe('versioned feature references on /get-online-features', () => {
  const read = async (path: string, features: string[], full = false) => {
    const res = await t.app.request(path, post({ features, entities: { origin: ['SEA'] }, full_feature_names: full }));
    return [res.status, await json(res)] as const;
  };

  it("reads view@latest:feature as view:feature (Feast's _parse_feature_ref), and @vN when N is the current version", async () => {
    const version = t.fx.project.registry.currentVersions().get('feature_view/origin_delays')!.version;
    const [, plain] = await read('/get-online-features', ['origin_delays:dep_delay', 'origin_delays:flights']);
    const [, plainFull] = await read('/get-online-features', ['origin_delays:dep_delay', 'origin_delays:flights'], true);
    expect(plain.results[1].values).toEqual([2.5]);
    for (const v of ['@latest', '@LATEST', '@', `@v${version}`, `@V${version}`]) {
      const [status, body] = await read('/get-online-features', [`origin_delays${v}:dep_delay`, 'origin_delays:flights']);
      expect([status, body], v).toEqual([200, plain]);
      const [, full] = await read('/get-online-features', [`origin_delays${v}:dep_delay`, `origin_delays${v}:flights`], true);
      expect(full, v).toEqual(plainFull);
    }
    expect(plainFull.metadata.feature_names).toEqual(['origin', 'origin_delays__dep_delay', 'origin_delays__flights']);
  });

  it('refuses another version with a 400 naming the reference and the version served', async () => {
    const version = t.fx.project.registry.currentVersions().get('feature_view/origin_delays')!.version;
    const [status, body] = await read('/get-online-features', ['origin_delays:flights', `origin_delays@v${version + 8}:dep_delay`]);
    expect([status, body.error?.code], JSON.stringify(body)).toEqual([400, 'versioned_read_not_supported']);
    expect(body.error.message).toContain(`'origin_delays@v${version + 8}:dep_delay'`);
    expect(body.error.message).toContain(`v${version}`);
  });

  it("leaves featureguard's own route refusing them", async () => {
    const [status] = await read('/v1/online-features', ['origin_delays@latest:dep_delay']);
    expect(status).toBe(400);
  });
});

describe("an entity's name in place of its join key", () => {
  it("is read as its join key on /get-online-features (Feast: deprecated, accepted), answered under the join key's name", async () => {
    const res = await t.app.request('/get-online-features', post({ features: ['origin_delays:dep_delay'], entities: { airport: ['SEA', 'NOPE'] } }));
    const body = await json(res);
    expect(res.status, JSON.stringify(body)).toBe(200);
    expect(body.metadata.feature_names).toEqual(['origin', 'dep_delay']);
    expect(body.results[0].values).toEqual(['SEA', 'NOPE']);
    expect(body.results[1]).toMatchObject({ values: [2.5, null], statuses: ['PRESENT', 'NOT_FOUND'] });
  });

  it('is still a 400 missing_join_key on /v1/online-features', async () => {
    const res = await t.app.request('/v1/online-features', post({ features: ['origin_delays:dep_delay'], entities: { airport: ['SEA'] } }));
    const body = await json(res);
    expect([res.status, body.error?.code]).toEqual([400, 'missing_join_key']);
  });
});

describe('-0.0', () => {
  it('is served with its sign, as Python writes it, on both routes', async () => {
    const body = '{"push_source_name": "origin_delays", "df": {"origin": ["MIA"], "event_timestamp": ["2001-01-11 10:00:00"], "dep_delay": [-0.0], "flights": [0], "carrier": ["AA"]}}';
    const res = await t.app.request('/push', post(body));
    expect(res.status, await res.clone().text()).toBe(200);
    for (const path of ['/get-online-features', '/v1/online-features']) {
      const text = await (await t.app.request(path, post({ features: ['origin_delays:dep_delay'], entities: { origin: ['MIA'] } }))).text();
      expect(text, path).toContain('"values":[-0.0]');
    }
  });
});

describe("Feast's /materialize disable_event_timestamp as pydantic reads a bool", () => {
  it('takes "true" and 1 as true: everything up to now', async () => {
    for (const given of ['true', 1, 'yes']) {
      const res = await t.app.request('/materialize', post({ disable_event_timestamp: given, feature_views: ['origin_delays'] }));
      const job = await json(res);
      expect(res.status, JSON.stringify(job)).toBe(200);
      expect(job.runs[0].window.start).toBe('1970-01-01T00:00:00.000Z');
    }
  });

  it('takes "false" and 0 as false (a window is required) and refuses other words, naming the allowed ones', async () => {
    for (const given of ['false', 0]) {
      const res = await t.app.request('/materialize', post({ disable_event_timestamp: given, feature_views: ['origin_delays'] }));
      expect([res.status, (await json(res)).error?.message]).toEqual([400, expect.stringContaining('start_ts and end_ts required')]);
      const windowed = await t.app.request('/materialize', post({ disable_event_timestamp: given, start_ts: '2001-01-01', end_ts: '2001-01-02', feature_views: ['origin_delays'] }));
      expect((await json(windowed)).runs?.[0].window.start).toBe('2001-01-01T00:00:00.000Z');
    }
    const res = await t.app.request('/materialize', post({ disable_event_timestamp: 'maybe', feature_views: ['origin_delays'] }));
    const body = await json(res);
    expect([res.status, body.error?.message]).toEqual([400, expect.stringContaining('yes, no, on, off')]);
    expect(body.error.message).toContain('disable_event_timestamp');
  });
});

describe("Feast's /materialize-incremental full_feature_names as pydantic reads a bool, as /materialize does", () => {
  it('takes "true" (202) and refuses "maybe" naming the words taken', async () => {
    const res = await t.app.request('/materialize-incremental?async=true', post({ end_ts: '2001-01-02T00:00:00', feature_views: ['origin_delays'], full_feature_names: 'true' }));
    expect(res.status, await res.clone().text()).toBe(202);
    const bad = await t.app.request('/materialize-incremental?async=true', post({ end_ts: '2001-01-02T00:00:00', feature_views: ['origin_delays'], full_feature_names: 'maybe' }));
    const body = await json(bad);
    expect([bad.status, body.error?.message]).toEqual([400, expect.stringContaining('yes, no, on, off')]);
    expect(body.error.message).toContain('full_feature_names');
  });
});

describe('errors after the Feast rewrites quote what the client sent', () => {
  const read = async (body: unknown) => {
    const res = await t.app.request('/get-online-features', post(body));
    return [res.status, (await json(res)).error] as const;
  };

  it('a versioned reference and its plain form are the same reference', async () => {
    const [status, error] = await read({ features: ['origin_delays@latest:dep_delay', 'origin_delays:dep_delay'], entities: { origin: ['SEA'] } });
    expect([status, error?.code]).toEqual([400, 'feature_name_collision']);
    expect(error.message).toContain("'origin_delays@latest:dep_delay' and 'origin_delays:dep_delay' are the same reference");
  });

  it('an unknown view is named in the reference as sent', async () => {
    const [status, error] = await read({ features: ['nosuch@latest:n'], entities: { origin: ['SEA'] } });
    expect(status).toBe(400);
    expect(error.message).toContain("reference 'nosuch@latest:n'");
    expect(error.message).not.toContain("'nosuch:n'");
  });

  it("an entity's name read as its join key is named as sent", async () => {
    const [status, error] = await read({ features: ['origin_delays:dep_delay'], entities: { airport: [true] } });
    expect([status, error?.code]).toEqual([400, 'bad_entity']);
    expect(error.message).toMatch(/^entity 'airport' \(read as join key 'origin'\)/);
  });
});

describe("Feast push timestamps: a date followed by ' UTC'", () => {
  it("takes '2001-01-13 UTC' as midnight UTC on /push", async () => {
    const res = await feastPush({ origin: ['DEN'], event_timestamp: ['2001-01-13 UTC'], dep_delay: [1], flights: [1], carrier: ['UA'] });
    expect(res.status, await res.clone().text()).toBe(200);
    expect((await online('DEN')).ts[0]).toBe('2001-01-13T00:00:00Z');
  });

  it('says what a time looks like, as body errors do, where /v1/push refuses one', async () => {
    const res = await t.app.request('/v1/push', post({ view: 'origin_delays', rows: [{ origin: 'SEA', event_timestamp: '2001-01-13 UTC', dep_delay: 9, flights: 9, carrier: 'ZZ' }] }));
    const body = await json(res);
    expect(body.error?.message).toContain("must be an ISO 8601 time, e.g. 2026-11-12T10:00:00Z, got '2001-01-13 UTC'");
    expect(body.error.message).not.toContain('format');
  });
});

describe('a missing join key of a two-key entity', () => {
  it('names every key, and on the Feast route says an entity name is read as its key only for one-key entities', async () => {
    writeFileSync(join(t.fx.dir, 'features', 'route.yaml'), `kind: entity
name: route
join_keys: [{name: origin, type: string}, {name: destination, type: string}]
---
kind: feature_view
name: route_delays
entities: [route]
source: delays_source
ttl: "0"
online: true
features:
  - {name: dep_delay, type: float64}
`);
    t.fx.project.registry.apply(loadDefinitions(t.fx.project.root, t.fx.project.config));
    for (const path of ['/get-online-features', '/v1/online-features']) {
      const res = await t.app.request(path, post({ features: ['route_delays:dep_delay'], entities: { route: ['SEA'] } }));
      const body = await json(res);
      expect([res.status, body.error?.code], path).toEqual([400, 'missing_join_key']);
      expect(body.error.message, path).toContain("its join keys are 'origin' and 'destination'");
      expect(body.error.message.includes('an entity name is read as its key only for one-key entities'), path).toBe(path === '/get-online-features');
    }
  });
});
