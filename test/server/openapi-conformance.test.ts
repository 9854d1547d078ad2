/**
 * The conformance guard of `/openapi.json`: real answers of the app, for a representative request of every kind,
 * checked against the document. Each status must be listed for its operation; each JSON body must validate against
 * the documented schema (the success schema, or `error`); required headers must be sent; and a request
 * body the server takes must validate against the documented request schema, one it refuses as invalid must not.
 */
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { expect, it } from 'vitest';
import { appliedDefinitions, bearer, json, post, READ_SEA, useAppFixture } from './fixture.js';

const addFormats = addFormatsModule as unknown as typeof addFormatsModule.default;
const t = useAppFixture();

interface Case {
  /** The documented path and method. */
  op: [method: string, path: string];
  url: string;
  init?: RequestInit;
  status: number;
}

const ROW = { origin: 'SEA', event_timestamp: '2001-01-02T00:00:00Z', dep_delay: 1, flights: 1, carrier: 'AA' };
const WINDOW = { start_ts: '2001-01-01T00:00:00', end_ts: '2001-01-02T00:00:00', feature_views: ['origin_delays'] };

async function waitIdle(): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const { jobs } = await json(await t.app.request('/v1/materialize'));
    if (!jobs.some((j: { status: string }) => j.status === 'running')) return;
    await new Promise((r) => setTimeout(r, 50));
  }
}

it('answers only what /openapi.json documents, in the documented shapes', async () => {
  const doc = await json(await t.app.request('/openapi.json'));
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats(ajv);
  ajv.addFormat('featureguard-duration', true);
  ajv.addSchema({ $id: 'https://openapi.test/doc', components: doc.components });
  const validate = (ref: string, value: unknown) => {
    const v = ajv.getSchema(`https://openapi.test/doc${ref}`) ?? ajv.compile({ $ref: `https://openapi.test/doc${ref}` });
    return v(value) ? null : JSON.stringify(v.errors?.slice(0, 3));
  };

  const checked = new Set<string>();
  const check = async (c: Case): Promise<Response> => {
    const [method, path] = c.op;
    const op = doc.paths[path]?.[method];
    expect(op, `${method} ${path} is documented`).toBeDefined();
    const res = await t.app.request(c.url, c.init);
    const text = await res.clone().text();
    const what = `${c.init?.method ?? 'GET'} ${c.url} -> ${res.status} ${text.slice(0, 200)}`;
    expect(res.status, what).toBe(c.status);
    const documented = op.responses[String(res.status)];
    expect(documented, `${what}: status not documented (${Object.keys(op.responses).join(', ')})`).toBeDefined();
    const schema = documented.content?.['application/json']?.schema;
    if (res.headers.get('content-type')?.startsWith('application/json')) {
      if (res.status < 300 && !['/openapi.json', '/v1/datasets'].includes(path)) expect(schema, `${what}: no success schema`).toBeDefined();
      if (schema) expect(validate(schema.$ref, JSON.parse(text)), what).toBeNull();
    }
    // An error's code is one the status's description names (a client generated from the document knows it).
    if (res.status >= 400 && res.headers.get('content-type')?.startsWith('application/json')) {
      const code = JSON.parse(text).error?.code as string;
      expect(documented.description, `${what}: code ${code} not named in the ${res.status} description`).toContain(`\`${code}\``);
    }
    for (const [name, h] of Object.entries<{ required?: boolean }>(documented.headers ?? {})) {
      if (h.required) expect(res.headers.get(name), `${what}: header ${name}`).not.toBeNull();
    }
    // The request schema agrees with the server: taken bodies are valid, bodies refused as invalid are not.
    const body = c.init?.body;
    if (typeof body === 'string' && op.requestBody) {
      const refused = res.status === 400 && ['invalid_request', 'malformed_json'].includes(JSON.parse(text).error.code);
      const problems = validate(op.requestBody.content['application/json'].schema.$ref, JSON.parse(body));
      expect(problems === null, `${what}: the document calls the body ${problems === null ? 'valid' : `invalid ${problems}`}`).toBe(!refused);
    }
    checked.add(`${method} ${path}`);
    return res;
  };

  const cases: Case[] = [
    { op: ['get', '/health'], url: '/health', status: 200 },
    { op: ['get', '/ready'], url: '/ready', status: 200 },
    { op: ['get', '/openapi.json'], url: '/openapi.json', status: 200 },
    { op: ['post', '/v1/online-features'], url: '/v1/online-features', init: post(READ_SEA), status: 200 },
    { op: ['post', '/v1/online-features'], url: '/v1/online-features', init: post({ ...READ_SEA, feature_service: 'delay_service' }), status: 400 },
    { op: ['post', '/v1/online-features'], url: '/v1/online-features', init: post({ ...READ_SEA, features: ['nope:x'] }), status: 400 },
    { op: ['post', '/get-online-features'], url: '/get-online-features', init: post({ ...READ_SEA, full_feature_names: 'true', feature_service: null, extra: 1 }), status: 200 },
    { op: ['post', '/get-online-features'], url: '/get-online-features', init: post({ ...READ_SEA, feature_service: 'delay_service' }), status: 200 },
    { op: ['post', '/v1/push'], url: '/v1/push', init: post({ view: 'origin_delays', rows: [ROW] }), status: 200 },
    { op: ['post', '/v1/push'], url: '/v1/push', init: post({ view: 'nope', rows: [ROW] }), status: 400 },
    { op: ['post', '/v1/push'], url: '/v1/push', init: post({ view: 'origin_delays', rows: [ROW], extra: 1 }), status: 400 },
    { op: ['post', '/v1/push'], url: '/v1/push', init: post({ push_source_name: 'origin_delays', df: { ...ROW, origin: ['SEA'] }, extra: 1 }), status: 200 },
    { op: ['post', '/push'], url: '/push', init: post({ push_source_name: 'origin_delays', df: { ...ROW, origin: ['SFO'] }, to: null, extra: 1 }), status: 200 },
    { op: ['post', '/write-to-online-store'], url: '/write-to-online-store', init: post({ feature_view_name: 'origin_delays', df: { ...ROW, origin: ['JFK'] }, allow_registry_cache: 'true', extra: 1 }), status: 200 },
    // A frame whose feature values are all null: not written, as Feast skips it (no run).
    { op: ['post', '/write-to-online-store'], url: '/write-to-online-store', init: post({ feature_view_name: 'origin_delays', df: { ...ROW, origin: ['JFK'], dep_delay: null, flights: null, carrier: null } }), status: 200 },
    { op: ['post', '/push'], url: '/push', init: post({ push_source_name: 'origin_delays', df: { ...ROW, origin: ['JFK'], carrier: undefined } }), status: 400 },
    { op: ['post', '/materialize'], url: '/materialize', init: post({}), status: 400 },
    { op: ['post', '/materialize'], url: '/materialize', init: post({ start_ts: WINDOW.start_ts, feature_views: [] }), status: 400 },
    { op: ['post', '/materialize'], url: '/materialize', init: post(WINDOW), status: 200 },
    { op: ['post', '/materialize'], url: '/materialize?async=true', init: post(WINDOW), status: 202 },
    { op: ['post', '/materialize'], url: '/materialize', init: post({ ...WINDOW, feature_views: [] }), status: 200 },
    { op: ['post', '/materialize'], url: '/materialize?async=maybe', init: post(WINDOW), status: 400 },
    { op: ['post', '/materialize-incremental'], url: '/materialize-incremental?async=true', init: post({ end_ts: WINDOW.end_ts, feature_views: [] }), status: 202 },
    { op: ['post', '/v1/datasets'], url: '/v1/datasets', init: post({ features: ['origin_delays:dep_delay'], entities: { origin: ['SEA'], event_timestamp: ['2001-01-01T12:00:00Z'] }, format: 'json' }), status: 200 },
    // Bad entity rows answer the code that names the problem.
    { op: ['post', '/v1/datasets'], url: '/v1/datasets', init: post({ features: ['origin_delays:dep_delay'], entities: { origin: ['SEA'] }, format: 'json' }), status: 400 },
    { op: ['post', '/v1/datasets'], url: '/v1/datasets', init: post({ features: ['origin_delays:dep_delay'], entities: { event_timestamp: ['2001-01-01T12:00:00Z'] }, format: 'json' }), status: 400 },
    { op: ['post', '/v1/datasets'], url: '/v1/datasets', init: post({ features: ['origin_delays:dep_delay'], entities: { origin: ['SEA'], event_timestamp: [12] }, format: 'json' }), status: 400 },
    { op: ['post', '/v1/materialize'], url: '/v1/materialize', init: post({ start: '2001-01-01', end: '2999-01-01' }), status: 400 },
    // Feast's routes cap an end in the future at now (end_clamped), where featureguard's own refuses it.
    { op: ['post', '/materialize'], url: '/materialize', init: post({ ...WINDOW, end_ts: '2999-01-01T00:00:00' }), status: 200 },
    { op: ['post', '/materialize-incremental'], url: '/materialize-incremental?async=true', init: post({ end_ts: '2999-01-01T00:00:00', feature_views: ['origin_delays'] }), status: 202 },
    // One entity row of 1,001 pass-through columns: over the column cap (413 too_many_columns), documented.
    { op: ['post', '/v1/datasets'], url: '/v1/datasets', init: post({ features: ['origin_delays:dep_delay'], entities: { origin: ['SEA'], event_timestamp: ['2001-01-01T12:00:00Z'], ...Object.fromEntries(Array.from({ length: 999 }, (_, i) => [`c${i}`, [i]])) }, format: 'json' }), status: 413 },
    { op: ['get', '/v1/registry'], url: '/v1/registry', status: 200 },
    { op: ['get', '/v1/registry/{collection}'], url: '/v1/registry/feature_views', status: 200 },
    { op: ['get', '/v1/registry/{collection}/{name}'], url: '/v1/registry/feature_views/origin_delays', status: 200 },
    { op: ['get', '/v1/registry/{collection}/{name}/versions'], url: '/v1/registry/feature_views/origin_delays/versions', status: 200 },
    { op: ['get', '/v1/registry/{collection}/{name}/versions/{version}'], url: '/v1/registry/feature_views/origin_delays/versions/1', status: 200 },
    { op: ['get', '/v1/registry/{collection}/{name}/versions/{version}'], url: '/v1/registry/feature_views/origin_delays/versions/latest', status: 200 },
    { op: ['get', '/v1/registry/{collection}/{name}/versions/{version}'], url: '/v1/registry/feature_views/origin_delays/versions/99', status: 404 },
    { op: ['get', '/v1/registry/{collection}/{name}/versions/{version}'], url: '/v1/registry/feature_views/origin_delays/versions/first', status: 400 },
    { op: ['get', '/v1/registry/{collection}/{name}'], url: '/v1/registry/feature_views/nope', status: 404 },
    { op: ['get', '/v1/runs'], url: '/v1/runs?limit=5', status: 200 },
    { op: ['get', '/v1/runs'], url: '/v1/runs?views=origin_delays', status: 400 },
    { op: ['post', '/search'], url: '/search', init: post({}), status: 404 },
    { op: ['post', '/retrieve-online-documents'], url: '/retrieve-online-documents', init: post({}), status: 404 },
    { op: ['post', '/v1/push'], url: '/v1/push', init: { method: 'PUT' }, status: 405 },
    { op: ['get', '/metrics'], url: '/metrics', init: { headers: { host: 'evil.example' } }, status: 403 },
    { op: ['post', '/v1/push'], url: '/v1/push', init: post({ view: 'origin_delays', rows: [ROW] }, { host: 'evil.example' }), status: 403 },
  ];
  for (const c of cases) {
    await check(c);
    await waitIdle();
  }
  const started = await check({ op: ['post', '/v1/materialize'], url: '/v1/materialize', init: post({ start: '2001-01-01', end: '2001-01-02' }), status: 202 });
  const { job_id: jobId } = await json(started);
  await waitIdle();
  await check({ op: ['get', '/v1/materialize'], url: '/v1/materialize', status: 200 });
  await check({ op: ['get', '/v1/materialize/{job}'], url: `/v1/materialize/${jobId}`, status: 200 });
  const run = (await json(await t.app.request('/v1/runs?limit=1'))).runs[0];
  await check({ op: ['get', '/v1/runs/{id}'], url: `/v1/runs/${run.id}`, status: 200 });

  // The plan and apply answers: a plan removing the view pushed to above (drops, dropReasons, notes), an apply
  // that changes nothing.
  const defs = appliedDefinitions(t.fx.project);
  const plan = await json(await check({ op: ['post', '/v1/registry/plan'], url: '/v1/registry/plan', init: post({ definitions: defs.filter((d) => d.name !== 'origin_delays' && d.kind !== 'feature_service') }), status: 200 }));
  expect(plan.dropReasons).toMatchObject({ origin_delays: 'removed' });
  expect(plan.notes.join('\n')).toMatch(/origin_delays was fed by push/);
  await check({ op: ['post', '/v1/registry/apply'], url: '/v1/registry/apply', init: post({ definitions: defs }), status: 200 });

  // Keys last: once one exists, every request needs one.
  const created = await json(await check({ op: ['post', '/v1/keys'], url: '/v1/keys', init: post({ scope: 'admin', name: 'ops' }), status: 201 }));
  const admin = bearer(created.key);
  await check({ op: ['get', '/v1/runs'], url: '/v1/runs', status: 401 });
  await check({ op: ['get', '/v1/keys'], url: '/v1/keys', init: { headers: admin }, status: 200 });
  const other = await json(await t.app.request('/v1/keys', post({ scope: 'read' }, admin)));
  await check({ op: ['delete', '/v1/keys/{id}'], url: `/v1/keys/${other.id}`, init: { method: 'DELETE', headers: admin }, status: 200 });
  expect(checked.size).toBeGreaterThan(25);
});
