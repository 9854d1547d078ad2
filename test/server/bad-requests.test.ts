/**
 * A battery of bad requests: every one answers a 4xx with the JSON error shape
 * `{"error": {code, message, details}}`, never a 500.
 */
import { describe, expect, it } from 'vitest';
import { post, useAppFixture } from './fixture.js';

const t = useAppFixture({ bodyLimit: 4096, maxEntities: 10 });

const big = (n: number) => Array.from({ length: n }, (_, i) => `A${i}`);

type Case = [name: string, path: string, init: RequestInit | undefined, status: number | RegExp, code: string | RegExp];
const cases: Case[] = [
  ['unknown route', '/v2/nothing', undefined, 404, 'not_found'],
  ['wrong method', '/v1/online-features', { method: 'GET' }, 405, 'method_not_allowed'],
  ['wrong method on a route with a parameter', '/v1/runs/abc', { method: 'DELETE' }, 405, 'method_not_allowed'],
  ['GET of push', '/v1/push', { method: 'GET' }, 405, 'method_not_allowed'],
  ['malformed JSON', '/v1/online-features', post('{"features": ['), 400, 'malformed_json'],
  ['JSON array body', '/v1/online-features', post([1, 2]), 400, 'invalid_request'],
  ['JSON string body', '/v1/online-features', post('"hello"'), 400, 'invalid_request'],
  ['null body', '/v1/online-features', post('null'), 400, 'invalid_request'],
  ['empty body', '/v1/online-features', post(''), 400, 'invalid_request'],
  ['no entities', '/v1/online-features', post({ features: ['origin_delays:dep_delay'] }), 400, 'invalid_request'],
  ['features and service', '/v1/online-features', post({ features: ['origin_delays'], feature_service: 'delay_service', entities: { origin: ['SEA'] } }), 400, 'invalid_request'],
  ['bad feature reference', '/v1/online-features', post({ features: ['Origin Delays'], entities: { origin: ['SEA'] } }), 400, 'invalid_request'],
  ['unknown feature', '/v1/online-features', post({ features: ['origin_delays:nope'], entities: { origin: ['SEA'] } }), 400, 'unknown_feature'],
  ['unknown view', '/v1/online-features', post({ features: ['nope:x'], entities: { origin: ['SEA'] } }), 400, 'unknown_feature'],
  ['unknown service', '/v1/online-features', post({ feature_service: 'nope', entities: { origin: ['SEA'] } }), 400, 'unknown_service'],
  ['unknown property', '/v1/online-features', post({ features: ['origin_delays'], entities: { origin: ['SEA'] }, extra: 1 }), 400, 'invalid_request'],
  ['entity not a list', '/v1/online-features', post({ features: ['origin_delays'], entities: { origin: 'SEA' } }), 400, 'invalid_request'],
  ['entity value object', '/v1/online-features', post({ features: ['origin_delays'], entities: { origin: [{ a: 1 }] } }), 400, 'bad_entity'],
  ['entity of wrong type', '/v1/online-features', post({ features: ['origin_delays'], entities: { origin: [42] } }), 400, 'bad_entity'],
  ['missing join key', '/v1/online-features', post({ features: ['origin_delays'], entities: { dest: ['SEA'] } }), 400, /bad_entity|missing_join_key/],
  ['too many entities', '/v1/online-features', post({ features: ['origin_delays'], entities: { origin: big(11) } }), 413, 'too_many_entities'],
  ['body too large', '/v1/online-features', post({ features: ['origin_delays'], entities: { origin: big(1000) } }), 413, 'payload_too_large'],
  ['push without view', '/v1/push', post({ rows: [] }), 400, 'invalid_request'],
  ['push to unknown view', '/v1/push', post({ view: 'nope', rows: [{}] }), 400, 'unknown_view'],
  ['push unknown source name', '/push', post({ push_source_name: 'nope', df: { a: [1] } }), 400, 'unknown_view'],
  ['push with no rows', '/v1/push', post({ view: 'origin_delays', rows: [] }), 400, 'invalid_rows'],
  ['push rows not objects', '/v1/push', post({ view: 'origin_delays', rows: [1] }), 400, 'invalid_request'],
  ['push bad target', '/v1/push', post({ view: 'origin_delays', rows: [{}], to: 'disk' }), 400, 'invalid_request'],
  ['push int64 beyond 2^53', '/v1/push', post({ view: 'origin_delays', rows: [{ origin: 'SEA', event_timestamp: '2001-01-02T00:00:00Z', dep_delay: 1, flights: '99999999999999999999', carrier: 'AA' }] }), 400, 'invalid_rows'],
  ['push huge timestamp', '/v1/push', post({ view: 'origin_delays', rows: [{ origin: 'SEA', event_timestamp: '9999-12-31T23:59:59Z', dep_delay: 1e308, flights: 1, carrier: 'AA' }] }), /^(200|400|422)$/, /.*/],
  ['push ragged df', '/push', post({ push_source_name: 'origin_delays', df: { origin: ['SEA'], dep_delay: [1, 2] } }), 400, 'invalid_rows'],
  ['materialize without window', '/v1/materialize', post({}), 400, 'invalid_request'],
  ['materialize bad date', '/v1/materialize', post({ start: 'monday' }), 400, 'invalid_request'],
  ['materialize impossible date', '/v1/materialize', post({ start: '2001-02-30', end: '2001-03-05' }), 400, 'bad_request'],
  ['materialize unknown view', '/v1/materialize', post({ views: ['nope'], incremental: true }), 400, 'unknown_view'],
  ['materialize start after end', '/v1/materialize', post({ start: '2001-02-01T00:00:00Z', end: '2001-01-01T00:00:00Z' }), 400, /.+/],
  ['unknown job', '/v1/materialize/123', undefined, 404, 'not_found'],
  // Definitions are checked as files are (the messages of `featureguard validate`), the envelope by its schema.
  ['registry apply bad definition', '/v1/registry/apply', post({ definitions: [{ kind: 'entity', name: 'Bad Name' }] }), 422, 'invalid_definition'],
  ['registry apply unknown reference', '/v1/registry/apply', post({ definitions: [{ kind: 'feature_view', name: 'v2', entities: ['nope'], source: 'nope', features: [{ name: 'x', type: 'float64' }] }] }), 422, 'invalid_definition'],
  ['registry plan unknown reference', '/v1/registry/plan', post({ definitions: [{ kind: 'feature_service', name: 's', features: ['nope'] }] }), 422, 'invalid_definition'],
  // A label naming its view but no feature was a TypeError in the reference check: a 500.
  ['registry plan label without feature', '/v1/registry/plan', post({ definitions: [
    { kind: 'entity', name: 'airport', join_keys: [{ name: 'origin', type: 'string' }] },
    { kind: 'source', name: 'delays_source', path: 'data/delays/*.parquet', timestamp_field: 'event_timestamp' },
    { kind: 'feature_view', name: 'outcome', role: 'label', entities: ['airport'], source: 'delays_source', features: [{ name: 'flights', type: 'int64' }] },
    { kind: 'feature_service', name: 's', features: ['outcome'], label: 'outcome' },
  ] }), 422, 'invalid_definition'],
  ['registry apply unknown kind', '/v1/registry/apply', post({ definitions: [{ kind: 'table', name: 'x' }] }), 422, 'invalid_definition'],
  ['registry apply unknown body member', '/v1/registry/apply', post({ definitions: [], allow_breakin: true }), 400, 'invalid_request'],
  ['registry apply not a list', '/v1/registry/plan', post({ definitions: 'all' }), 400, 'invalid_request'],
  ['dataset bad format', '/v1/datasets', post({ features: ['origin_delays'], entities: { origin: ['SEA'], event_timestamp: ['2001-01-01T00:00:00Z'] }, format: 'xlsx' }), 400, 'invalid_request'],
  ['dataset unknown feature', '/v1/datasets', post({ features: ['origin_delays:nope'], entities: { origin: ['SEA'], event_timestamp: ['2001-01-01T00:00:00Z'] } }), 400, /.+/],
  ['dataset bad timestamp', '/v1/datasets', post({ features: ['origin_delays'], entities: { origin: ['SEA'], event_timestamp: ['tuesday'] } }), 400, /.+/],
  ['dataset missing join key', '/v1/datasets', post({ features: ['origin_delays'], entities: { airport: ['SEA'], event_timestamp: ['2001-01-01T00:00:00Z'] } }), 400, /.+/],
  ['dataset wrong key type', '/v1/datasets', post({ features: ['origin_delays'], entity_rows: [{ origin: { a: 1 }, event_timestamp: '2001-01-01T00:00:00Z' }] }), 400, /.+/],
  ['dataset no entities', '/v1/datasets', post({ features: ['origin_delays'] }), 400, 'invalid_request'],
  ['runs bad limit', '/v1/runs?limit=100000', undefined, 400, 'bad_request'],
  ['runs bad kind', '/v1/runs?kind=nope', undefined, 400, 'bad_request'],
  ['runs bad since', '/v1/runs?since=yesterday', undefined, 400, 'bad_request'],
  ['runs impossible until', '/v1/runs?until=2001-02-30', undefined, 400, 'bad_request'],
  ['unknown run', '/v1/runs/nope/lineage', undefined, 404, 'not_found'],
  // Found by fuzzing the server (each was a 500, or accepted):
  ['registry collection named like an inherited property', '/v1/registry/__proto__/x/versions', undefined, 404, 'not_found'],
  ['registry collection constructor', '/v1/registry/constructor', undefined, 404, 'not_found'],
  ['registry collection toString', '/v1/registry/toString/x', undefined, 404, 'not_found'],
  ['dataset timestamp column that is a join key', '/v1/datasets', post({ features: ['origin_delays'], timestamp_column: 'origin', entity_rows: [{ origin: '2001-01-01T00:00:00Z' }] }), 400, 'column_collision'],
  ['dataset ragged entity columns', '/v1/datasets', post({ features: ['origin_delays'], entities: { origin: ['SEA', 'SFO'], event_timestamp: ['2001-01-01T00:00:00Z'] } }), 400, 'bad_entity'],
  ['dataset entity timestamp -infinity', '/v1/datasets', post({ features: ['origin_delays'], entity_rows: [{ origin: 'SEA', event_timestamp: '-infinity' }] }), 400, 'bad_entity_timestamp'],
  ['dataset entity timestamp BC', '/v1/datasets', post({ features: ['origin_delays'], entity_rows: [{ origin: 'SEA', event_timestamp: '0044-03-15 (BC)' }] }), 400, 'bad_entity_timestamp'],
  ['dataset unknown service', '/v1/datasets', post({ feature_service: 'nope', entities: { origin: ['SEA'], event_timestamp: ['2001-01-01T00:00:00Z'] } }), 400, 'unknown_service'],
  ['push leap second', '/v1/push', post({ view: 'origin_delays', rows: [{ origin: 'SEA', event_timestamp: '2001-12-31T23:59:60Z', dep_delay: 1, flights: 1, carrier: 'AA' }] }), 400, 'invalid_rows'],
  ['push timestamp in year -1', '/v1/push', post({ view: 'origin_delays', rows: [{ origin: 'SEA', event_timestamp: '0000-01-01T00:00:00+23:59', dep_delay: 1, flights: 1, carrier: 'AA' }] }), 400, 'invalid_rows'],
  ['materialize end in the future', '/v1/materialize', post({ start: '2001-01-01T00:00:00Z', end: '2099-01-01' }), 400, 'end_in_future'],
  ['runs limit in exponent notation', '/v1/runs?limit=1e2', undefined, 400, 'bad_request'],
  ['runs offset in hex', '/v1/runs?offset=0x1', undefined, 400, 'bad_request'],
  ['runs limit given twice', '/v1/runs?limit=1&limit=2', undefined, 400, 'bad_request'],
  // Python's json.dumps writes NaN and Infinity; a bare one as the body was a 500 on Feast's read route.
  ['Feast read body NaN', '/get-online-features', post('NaN'), 400, 'invalid_request'],
  ['Feast read body Infinity', '/get-online-features', post('-Infinity'), 400, 'invalid_request'],
  ['read body NaN', '/v1/online-features', post('NaN'), 400, 'invalid_request'],
  ['Feast push body NaN', '/push', post('NaN'), 400, 'invalid_request'],
  ['Feast write body NaN', '/write-to-online-store', post('NaN'), 400, 'invalid_request'],
  ['gzip body', '/v1/online-features', { method: 'POST', body: '{}', headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' } }, 415, 'unsupported_encoding'],
];

describe('bad requests', () => {
  it.each(cases)('%s (%s)', async (_name, path, init, status, code) => {
    const res = await t.app.request(path, init);
    const text = await res.text();
    if (typeof status === 'number') expect(res.status, text).toBe(status);
    else expect(String(res.status), text).toMatch(status);
    expect(res.headers.get('content-type')).toMatch(/application\/json/);
    if (res.status === 200) return;
    const body = JSON.parse(text) as { error: { code: string; message: string; details: unknown } };
    expect(Object.keys(body)).toEqual(['error']);
    expect(body.error.code).toMatch(code);
    expect(typeof body.error.message).toBe('string');
    expect(body.error.message.length).toBeGreaterThan(5);
    expect('details' in body.error).toBe(true);
  });

  it('a wrong method names the allowed ones in Allow', async () => {
    const res = await t.app.request('/v1/keys/abc', { method: 'GET' });
    expect([res.status, res.headers.get('allow')]).toEqual([405, 'DELETE']);
    expect((await t.app.request('/v1/runs', { method: 'POST' })).headers.get('allow')).toBe('GET, HEAD');
    expect((await t.app.request('/v1/nothing', { method: 'POST' })).status).toBe(404);
    // HEAD goes where GET goes: a HEAD that finds nothing is a 404; on a POST-only route a 405.
    expect((await t.app.request('/v1/push', { method: 'HEAD' })).status).toBe(405);
    expect((await t.app.request('/v1/no-such-thing', { method: 'HEAD' })).status).toBe(404);
    // A trailing slash is another path (routes are strict): a 404, not a 405 for the path without it.
    expect((await t.app.request('/v1/push/', { method: 'GET' })).status).toBe(404);
  });

  it('a body over the limit without content-length is refused too (streamed)', async () => {
    const chunk = new TextEncoder().encode(`{"features": ["origin_delays"], "entities": {"origin": [${'"SEA",'.repeat(2000)}"SEA"]}}`);
    const stream = new ReadableStream({ start(c) { c.enqueue(chunk); c.close(); } });
    const res = await t.app.request('/v1/online-features', { method: 'POST', body: stream, headers: { 'content-type': 'application/json' }, duplex: 'half' } as RequestInit);
    expect(res.status).toBe(413);
    expect((await res.json()).error.code).toBe('payload_too_large');
  });

  it('a materialization window of start and incremental, or of neither, is a 400 saying so (not "/incremental must be equal to constant")', async () => {
    for (const [body, message] of [
      [{ incremental: true, start: '2001-01-01' }, 'incremental computes the start itself'],
      [{ incremental: false }, 'give a window (start, and optionally end) or incremental: true'],
      [{}, 'give a window (start, and optionally end) or incremental: true'],
    ] as const) {
      const res = await t.app.request('/v1/materialize', post(body));
      const err = (await res.json()).error;
      expect([res.status, err.code, err.message], JSON.stringify(body)).toEqual([400, 'invalid_request', expect.stringContaining(message)]);
    }
  });
});
