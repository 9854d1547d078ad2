/**
 * Requests as Feast's own clients send them (feast-dev/feast: `infra/online_stores/remote.py`,
 * `feature_server.py` and its docs' push example), answered as Feast clients read them.
 */
import { describe, expect, it } from 'vitest';
import { json, post, useAppFixture } from './fixture.js';

const t = useAppFixture();

describe("Feast's clients, unchanged", () => {
  it("reads with the fields Feast's Python client (0.64+) and Go client add, ignoring entity columns no feature is keyed by", async () => {
    const res = await t.app.request('/get-online-features', post({
      features: ['origin_delays:dep_delay'],
      entities: { origin: ['SEA'], driver_id: [1001] },
      full_feature_names: false,
      include_feature_view_version_metadata: false,
      request_context: {},
    }));
    const body = await json(res);
    expect(res.status, JSON.stringify(body)).toBe(200);
    expect(body.metadata.feature_names).toEqual(['origin', 'dep_delay']);
  });

  it("reads a body as Feast's server does: unknown fields and nulls left out, a named service wins, request data of any type", async () => {
    const read = async (path: string, body: unknown) => {
      const res = await t.app.request(path, post(body));
      return [res.status, await json(res)] as const;
    };
    const [status, body] = await read('/get-online-features', {
      features: ['origin_delays:flights'], feature_service: 'delay_service', full_feature_names: null,
      entities: { origin: ['SEA', 'SFO'], trip_distance: [12.5, null], isWeekend: [true, false], notes: [{ a: 1 }, 'x'] },
      some_future_field: { x: 1 },
    });
    expect(status, JSON.stringify(body)).toBe(200);
    // The service's features, not `features`, as Feast's server reads a body naming both.
    expect(body.metadata.feature_names).toEqual(['origin', 'dep_delay', 'flights', 'carrier']);
    const [nullService, withFeatures] = await read('/get-online-features', { features: ['origin_delays:flights'], feature_service: null, entities: { origin: ['SEA'] } });
    expect([nullService, withFeatures.metadata?.feature_names]).toEqual([200, ['origin', 'flights']]);
    // featureguard's own path stays strict, and a join key's values are checked on both.
    const [strict, strictBody] = await read('/v1/online-features', { features: ['origin_delays:flights'], entities: { origin: ['SEA'] }, some_future_field: 1 });
    expect([strict, strictBody.error.message]).toEqual([400, expect.stringContaining("unknown property 'some_future_field'")]);
    const [both] = await read('/v1/online-features', { features: ['origin_delays:flights'], feature_service: 'delay_service', entities: { origin: ['SEA'] } });
    expect(both).toBe(400);
    // An entity's name where its join key goes (Feast's clients once took entity names): read as the key on Feast's
    // path (feast-compat.test.ts), a 400 naming the key on ours.
    const [byEntity, byEntityBody] = await read('/v1/online-features', { features: ['origin_delays:flights'], entities: { airport: ['SEA'] } });
    expect([byEntity, byEntityBody.error.message]).toEqual([400, "missing join key 'origin' in entities ('airport' is the entity; its join key is 'origin': name the column after the join key)"]);
    // An integer for a string key is its text on Feast's path (Feast's str(): a zip code sent as a number), not on ours.
    const [numeric, numericBody] = await read('/get-online-features', { features: ['origin_delays:flights'], entities: { origin: [94107] } });
    expect([numeric, numericBody.results?.[0].values, numericBody.results?.[1].statuses]).toEqual([200, ['94107'], ['NOT_FOUND']]);
    expect((await read('/v1/online-features', { features: ['origin_delays:flights'], entities: { origin: [94107] } }))[0]).toBe(400);
    const [badKey, badKeyBody] = await read('/get-online-features', { features: ['origin_delays:flights'], entities: { origin: [1.5] } });
    expect([badKey, badKeyBody.error.message]).toEqual([400, "entity 'origin' row 0 (counting from 0): expected a string, got number"]);
  });

  it("answers Feast's document retrieval with a 404 that says there is no vector search (its client tries /search, then the old route)", async () => {
    for (const path of ['/search', '/retrieve-online-documents']) {
      const res = await t.app.request(path, post({ features: ['docs:embedding'], query: [0.1, 0.2], top_k: 3 }));
      const body = await json(res);
      expect([res.status, body.error.code, body.error.message]).toEqual([404, 'not_supported', expect.stringContaining('no vector search')]);
    }
  });

  it("pushes Feast's documented body: naive timestamps (UTC), a single value for every row, extra columns left out", async () => {
    const res = await t.app.request('/push', post({
      push_source_name: 'origin_delays',
      df: { origin: ['SEA', 'SFO'], event_timestamp: ['2001-01-03 10:59:42', '2001-01-03 10:59:42.25'], created: ['2001-01-03 10:59:42', '2001-01-03 10:59:42'], dep_delay: [1.5, 2.5], flights: 3, carrier: ['AA', 'UA'] },
      to: 'online',
      allow_registry_cache: true,
      transform_on_write: true,
    }));
    const result = await json(res);
    expect(res.status, JSON.stringify(result)).toBe(200);
    expect(result).toMatchObject({ rows: 2, written: 2 });
    expect(result.ignored_columns).toBeUndefined(); // `created` is Feast's created timestamp
    const read = await json(await t.app.request('/get-online-features', post({ features: ['origin_delays:flights'], entities: { origin: ['SEA', 'SFO'] } })));
    expect(read.results[1].values).toEqual([3, 3]);
    // Fractions in the widths Feast writes (0, 3 or 6 digits: Python 3.10's fromisoformat reads no others).
    expect(read.results[1].event_timestamps).toEqual(['2001-01-03T10:59:42Z', '2001-01-03T10:59:42.250Z']);
    // featureguard's own body stays strict: an unknown column is a mistake there.
    const strict = await t.app.request('/v1/push', post({ view: 'origin_delays', rows: [{ origin: 'SEA', event_timestamp: '2001-01-04T00:00:00Z', created: 'x', dep_delay: 1, flights: 1, carrier: 'AA' }] }));
    expect([strict.status, (await json(strict)).error.code]).toEqual([400, 'invalid_rows']);
  });

  it("pushes what Python's json.dumps writes for a pandas frame with missing values (NaN tokens)", async () => {
    // NaN in a column that is no float is a missing value; the text "NaN" stays text.
    const body = '{"push_source_name": "origin_delays", "df": {"origin": ["LAX", "ORD"], "event_timestamp": ["2001-01-06 00:00:00", "2001-01-06 00:00:00"], '
      + '"dep_delay": [1.5, 2.5], "flights": [NaN, 2], "carrier": [NaN, "NaN"]}, "to": "online"}';
    const res = await t.app.request('/push', post(body));
    const result = await json(res);
    expect(res.status, JSON.stringify(result)).toBe(200);
    const store = await t.fx.project.onlineStore();
    const stored = await store.readMany('origin_delays', ['dep_delay', 'flights', 'carrier'], [['LAX'], ['ORD']]);
    expect(stored.map((r) => r?.values)).toEqual([[1.5, null, null], [2.5, 2, 'NaN']]);
    // A float keeps NaN and Infinity, and the guards judge them (allow_nan is off by default: blocked, saying so).
    const nan = await t.app.request('/push', post(body.replace('[1.5, 2.5]', '[NaN, -Infinity]')));
    expect([nan.status, (await json(nan)).error.message]).toEqual([422, expect.stringContaining('schema.nan: 1 NaN and 1 Inf value(s) in dep_delay')]);
    // Still not JSON: 400 malformed_json.
    const bad = await t.app.request('/push', post('{"push_source_name": "origin_delays", "df": {"origin": [NaNa]}}'));
    expect([bad.status, (await json(bad)).error.code]).toEqual([400, 'malformed_json']);
  });

  it("takes Feast's remote online store writes (POST /write-to-online-store)", async () => {
    const res = await t.app.request('/write-to-online-store', post({
      feature_view_name: 'origin_delays',
      df: { origin: ['JFK'], event_timestamp: ['2001-01-05T00:00:00.000001'], dep_delay: [7.0], flights: [4], carrier: ['DL'], created: ['2001-01-05T00:00:00'] },
      allow_registry_cache: false,
    }));
    const result = await json(res);
    expect(res.status, JSON.stringify(result)).toBe(200);
    expect(result).toMatchObject({ to: 'online', written: 1 });
    // Feast's `created` is the created timestamp: a correction at the same event time with a later one wins.
    const fix = await json(await t.app.request('/write-to-online-store', post({
      feature_view_name: 'origin_delays',
      df: { origin: ['JFK'], event_timestamp: ['2001-01-05T00:00:00.000001'], dep_delay: [7.0], flights: [4], carrier: ['DL'], created: ['2001-01-05T00:00:01'], note: ['x'] },
    })));
    expect(fix).toMatchObject({ written: 1, skipped: 0, ignored_columns: ['note'] });
    const read = await json(await t.app.request('/get-online-features', post({ features: ['origin_delays:carrier'], entities: { origin: ['JFK'] } })));
    expect([read.results[1].values[0], read.results[1].event_timestamps[0]]).toEqual(['DL', '2001-01-05T00:00:00.000001Z']);
    // A float feature's whole number is written as a float (Feast's client types a value by its JSON form), an int64 as an integer.
    const text = await (await t.app.request('/get-online-features', post({ features: ['origin_delays:dep_delay', 'origin_delays:flights'], entities: { origin: ['JFK'] } }))).text();
    expect(text).toContain('{"values":[7.0],');
    expect(text).toContain('{"values":[4],');
    const unknown = await t.app.request('/write-to-online-store', post({ feature_view_name: 'nope', df: { origin: ['JFK'] } }));
    expect([unknown.status, (await json(unknown)).error.code]).toEqual([400, 'unknown_view']);
  });

  it("reads Feast's push and write bodies as its server does: fields it does not know and nulls ignored, flags as pydantic reads them", async () => {
    const push = await t.app.request('/push', post({
      push_source_name: 'origin_delays',
      df: { origin: ['BOS'], event_timestamp: ['2001-01-06 00:00:00'], dep_delay: [1.5], flights: [2], carrier: ['B6'] },
      to: null,
      allow_registry_cache: 'false',
      transform_on_write: 1,
      some_future_field: { x: 1 },
    }));
    const pushed = await json(push);
    expect([push.status, pushed.to, pushed.written], JSON.stringify(pushed)).toEqual([200, 'online', 1]);
    const write = await t.app.request('/write-to-online-store', post({
      feature_view_name: 'origin_delays',
      df: { origin: ['BOS'], event_timestamp: ['2001-01-06 01:00:00'], dep_delay: [2.5], flights: [3], carrier: ['B6'] },
      allow_registry_cache: 'true',
      another_future_field: [],
    }));
    expect(write.status, JSON.stringify(await json(write.clone()))).toBe(200);
    const read = await json(await t.app.request('/get-online-features', post({ features: ['origin_delays:flights'], entities: { origin: ['BOS'] }, full_feature_names: 'true' })));
    expect([read.metadata?.feature_names, read.results?.[1].values]).toEqual([['origin', 'origin_delays__flights'], [3]]);
    // featureguard's own forms stay strict.
    const own = await t.app.request('/v1/push', post({ view: 'origin_delays', rows: [], some_future_field: 1 }));
    expect([own.status, (await json(own)).error.message]).toEqual([400, expect.stringContaining("unknown property 'some_future_field'")]);
    const ownRead = await t.app.request('/v1/online-features', post({ features: ['origin_delays:flights'], entities: { origin: ['BOS'] }, full_feature_names: 'true' }));
    expect(ownRead.status).toBe(400);
  });
});
