/**
 * `GET /openapi.json`: an OpenAPI 3.1 document built from the JSON Schemas in
 * `schemas/` (definitions, project config, API request bodies) and the route table
 * below. Cross-file `$ref`s are rewritten to `#/components/schemas/...`.
 */
import type { Scope } from '../auth/keys.js';
import { DURATION_FORMAT, DURATION_PATTERN } from '../definitions/ttl.js';
import { schemaNames, schemaObject } from '../schemas.js';
import { VERSION } from '../version.js';

/** A response header (`Location`, `Retry-After`, ...). */
interface HeaderDoc {
  readonly description: string;
  readonly required?: boolean;
  readonly schema: { readonly type: 'string' | 'integer' };
}

/**
 * A further response: an error (`{"error": ...}`) described by a text, or a body with its own schema (a component
 * name, or a schema file's name under `schemas/`), with its headers.
 */
type ResponseDoc = string | { readonly description: string; readonly schema: string; readonly headers?: Readonly<Record<string, HeaderDoc>> };

interface RouteDoc {
  readonly method: 'get' | 'post' | 'delete';
  readonly path: string;
  readonly summary: string;
  readonly scope: Scope | null;
  /** Name of the request body schema under `schemas/` (e.g. `api/push`). */
  readonly body?: string;
  readonly params?: readonly string[];
  /** A path parameter's description, where its name alone does not say what it takes. */
  readonly paramDocs?: Readonly<Record<string, string>>;
  readonly query?: readonly string[];
  /** Request headers the route reads (all optional), by name. */
  readonly requestHeaders?: Readonly<Record<string, { readonly description: string; readonly schema: Readonly<Record<string, unknown>> }>>;
  /** Non-JSON success response types. */
  readonly produces?: readonly string[];
  /** The success status; null: the route never succeeds (it says why in its error). */
  readonly status?: number | null;
  /** Schema of the JSON success body: a schema file's name under `schemas/` (`api/responses/push_result`) or a component. */
  readonly response?: string;
  /** Headers of the success response. */
  readonly headers?: Readonly<Record<string, HeaderDoc>>;
  /**
   * Responses besides success and those every route of its kind shares (400/413/415 for a body, 401/403 for a
   * scope, 404 for path parameters, 403 host/cross-site, 405, 500 `internal`, 503 `state_unavailable`); a status
   * given here replaces the shared text.
   */
  readonly responses?: Readonly<Record<number, ResponseDoc>>;
}

const BAD_BODY = 'malformed JSON (`malformed_json`) or a body that breaks its schema (`invalid_request`)';
const STATE_UNAVAILABLE = 'the state database (or the embedded online store) cannot be used now (`state_unavailable`, `Retry-After: 5`)';
const STORE_UNAVAILABLE = `the online store is unreachable (\`store_unavailable\`, \`Retry-After: 1\`), or ${STATE_UNAVAILABLE}`;
const SHUTTING_DOWN = `the server is stopping and starts no materialization (\`shutting_down\`), or ${STATE_UNAVAILABLE}`;
const LOCATION: Readonly<Record<string, HeaderDoc>> = { location: { description: 'The job to poll (`/v1/materialize/{job}`)', required: true, schema: { type: 'string' } } };
/** A run named in a path as the CLI and the pages take it (`resolveRunId`). */
const RUN_ID_PARAM: RouteDoc['paramDocs'] = { id: 'the run id or a unique prefix of at least 8 characters' };
const RUN_ID_RESPONSES: RouteDoc['responses'] = {
  400: 'a prefix that more than one run starts with (`ambiguous_run_id`; `details.candidates` lists up to 10 of them)',
  404: 'no run with that id, or none starting with that prefix (`not_found`)',
};
const ONLINE: RouteDoc['responses'] = {
  400: `${BAD_BODY}; an unknown view, feature or service (\`unknown_feature\`, \`unknown_service\`), a view that is not online (\`view_not_online\`), a join key missing (\`missing_join_key\`) or of the wrong type or length (\`bad_entity\`), two features of one name or a reference given twice (\`feature_name_collision\`); on \`/get-online-features\`, a \`view@vN:feature\` reference to a version that is not the view's current one (\`versioned_read_not_supported\`)`,
  413: 'body over `server.body_limit` (`payload_too_large`) or more entity rows than `server.max_entities` (`too_many_entities`)',
  503: STORE_UNAVAILABLE,
};
const PUSH: RouteDoc['responses'] = {
  400: `${BAD_BODY}; rows that do not fit the view (\`invalid_rows\`, recorded as a blocked run), a Feast frame without a column for each of the view's features (\`missing_feature_columns\`, nothing written, recorded as a blocked run per view lacking columns), an unknown view or push source (\`unknown_view\`), a view that is not online for \`to: online\` (\`view_not_online\`), or an offline push the view's source cannot take (\`offline_push_unsupported\`, \`offline_type_mismatch\`, \`offline_column_missing\`, \`offline_push_shared_source\`, \`created_timestamp_not_stored\`, \`push_offline_to_several_views\`)`,
  409: 'an apply removed the view or changed it in a breaking way while the rows were pushed (`view_changed`): nothing was written online, or the view\'s online values were dropped; or the view\'s old online values are still being dropped after such an apply (`online_drop_pending`): push again in a moment',
  422: 'blocked by the guards (`push_blocked`, with the run); nothing was written',
  500: 'the view\'s offline files could not be read to append to them (`source_unreadable`), or an unexpected error (`internal`)',
  503: STORE_UNAVAILABLE,
};
/** `/v1/push` and `/push` read an `Idempotency-Key` (see push-idempotency.ts); `/write-to-online-store` does not. */
const IDEMPOTENCY_KEY: RouteDoc['requestHeaders'] = {
  'Idempotency-Key': {
    description: 'Names this push, so a retry of it is not pushed twice: the same view, key and request (target, rows, object keys in any order) within 24 hours answers the first push\'s answer again (same `run_id`, `"replayed": true`, header `Idempotent-Replayed: true`) and writes nothing; the same key with another request is a 409 `idempotency_key_reused`. 1 to 255 printable characters. Without it a repeated request is a new push',
    schema: { type: 'string', minLength: 1, maxLength: 255 },
  },
};
const REPLAYED: Readonly<Record<string, HeaderDoc>> = {
  'idempotent-replayed': { description: '`true` when the answer is the replay of an earlier push with the same `Idempotency-Key` (nothing was written); absent otherwise', schema: { type: 'string' } },
};
const KEYED_PUSH: RouteDoc['responses'] = {
  ...PUSH,
  400: `${PUSH[400] as string}; an \`Idempotency-Key\` that is empty, longer than 255 characters or has control characters (\`invalid_idempotency_key\`)`,
  409: `${PUSH[409] as string}; or the \`Idempotency-Key\` was sent within 24 hours with another request (\`idempotency_key_reused\`): nothing was written`,
};
const FEAST_MATERIALIZE: RouteDoc['responses'] = {
  202: { description: 'with `?async=true`: the job started; poll it at `poll` (or `Location`)', schema: 'api/responses/feast_materialize_accepted',
    headers: { location: { description: 'The job to poll (`/v1/materialize/{job}`); absent for `feature_views: []` (no job)', schema: { type: 'string' } } } },
  400: `${BAD_BODY}; \`start_ts\` and \`end_ts\` missing without \`disable_event_timestamp\` (\`invalid_request\`), an unknown view (\`unknown_view\`), a view that is not online (\`view_not_online\`), a window that ends before it starts or an \`async\`/\`force\` that is no boolean (\`bad_request\`); an \`end_ts\` after now is capped at now (\`end_clamped\` in the answer), not refused`,
  409: 'with `?async=true`, a view is materializing in this or another process (`materialization_running`); without it the answer waits for that materialization to end (up to 10 minutes, then this 409)',
  422: 'a view was blocked by the guards (`materialize_blocked`, the job in `details`); nothing was written for it',
  500: 'a view\'s run failed (`materialize_failed`, the job in `details`), or an unexpected error (`internal`)',
  503: SHUTTING_DOWN,
};
const DEFINITIONS = 'definitions with unknown references or other problems (`invalid_definition`)';

/** Every route of the API (the web pages under `/ui` are not part of it). */
export const ROUTES: readonly RouteDoc[] = [
  { method: 'post', path: '/v1/online-features', summary: 'Online feature values for entity rows (Feast get-online-features shape)', scope: 'read', body: 'api/online_features', response: 'api/responses/online_features', responses: ONLINE },
  { method: 'post', path: '/get-online-features', summary: 'Feast-compatible alias of /v1/online-features (a body read as Feast reads it), answered as Feast\'s Python feature server writes it: int64 join keys and features as bare digits, also beyond ±2^53, and NaN/±Infinity as bare NaN, Infinity, -Infinity (Python\'s json; then no strict JSON: JavaScript clients should use /v1/online-features)', scope: 'read', body: 'api/feast_online_features', response: 'api/responses/online_features', responses: ONLINE },
  { method: 'post', path: '/v1/push', summary: 'Push rows into a view (online, offline or both) after the guards', scope: 'write', body: 'api/feast_push', response: 'api/responses/push_result', headers: REPLAYED, requestHeaders: IDEMPOTENCY_KEY, responses: KEYED_PUSH },
  { method: 'post', path: '/push', summary: 'Feast-compatible alias of /v1/push (a Feast body read as Feast reads it)', scope: 'write', body: 'api/feast_push', response: 'api/responses/push_result', headers: REPLAYED, requestHeaders: IDEMPOTENCY_KEY, responses: KEYED_PUSH },
  { method: 'post', path: '/write-to-online-store', summary: "Feast's remote online store writes: a push to: online of one view's columns", scope: 'write', body: 'api/write_to_online_store', response: 'api/responses/push_result', responses: PUSH },
  { method: 'post', path: '/v1/materialize', summary: 'Start a materialization in the background (202 with a job id; 409 while a view is materializing)', scope: 'write', body: 'api/materialize', status: 202,
    response: 'api/responses/materialize_started', headers: LOCATION,
    responses: {
      400: `${BAD_BODY}; an unknown view (\`unknown_view\`), a view that is not online (\`view_not_online\`), a window that ends before it starts (\`bad_request\`) or ends in the future (\`end_in_future\`)`,
      503: SHUTTING_DOWN,
      409: 'a view is materializing in this or another process (`materialization_running`), or its online values are being dropped after an apply (`online_drop_running`)' } },
  { method: 'get', path: '/v1/materialize', summary: "This server's recent materialization jobs", scope: 'read', response: 'api/responses/materialize_jobs' },
  { method: 'get', path: '/v1/materialize/{job}', summary: 'A materialization job with its runs', scope: 'read', params: ['job'], response: 'api/responses/materialize_job' },
  { method: 'post', path: '/materialize', summary: "Feast's remote materialize (Feast 0.66+): waits for the job (200, the finished job) unless `?async=true` (202)", scope: 'write', body: 'api/feast_materialize', query: ['async', 'force'], response: 'api/responses/feast_materialize_result', responses: FEAST_MATERIALIZE },
  { method: 'post', path: '/materialize-incremental', summary: "Feast's remote materialize_incremental: each view from where its last window ended to `end_ts`; waits unless `?async=true`", scope: 'write', body: 'api/feast_materialize_incremental', query: ['async', 'force'], response: 'api/responses/feast_materialize_result', responses: FEAST_MATERIALIZE },
  { method: 'post', path: '/search', summary: "Feast's document retrieval: not available (featureguard has no vector search)", scope: null, status: null,
    responses: { 404: 'always: featureguard serves no vector search (`not_supported`)' } },
  { method: 'post', path: '/retrieve-online-documents', summary: "Feast's older document retrieval: not available (featureguard has no vector search)", scope: null, status: null,
    responses: { 404: 'always: featureguard serves no vector search (`not_supported`)' } },
  { method: 'post', path: '/v1/datasets', summary: 'Build a point-in-time dataset, streamed as Arrow IPC (default), Parquet, CSV or JSON', scope: 'read', body: 'api/datasets', produces: ['application/vnd.apache.arrow.stream', 'application/vnd.apache.parquet', 'text/csv', 'application/json'],
    headers: {
      'x-featureguard-run-id': { description: "The dataset build's run", required: true, schema: { type: 'string' } },
      'x-featureguard-status': { description: "The run's status (`success` or `warned`)", required: true, schema: { type: 'string' } },
      'x-featureguard-rows': { description: 'Rows in the dataset', required: true, schema: { type: 'integer' } },
    },
    responses: {
      400: `${BAD_BODY}; an unknown view, feature or service (\`unknown_feature\`, \`unknown_service\`), two features of one name (\`feature_name_collision\`); bad entity rows: a join key or the timestamp column missing (\`missing_join_key\`, \`missing_timestamp_column\`), a value of the wrong type or out of range (\`wrong_join_key_type\`, \`wrong_timestamp_type\`, \`bad_entity_timestamp\`, \`null_timestamp\`, \`bad_entity_value\`, \`mixed_column_types\`), column names that clash or cannot be used (\`column_collision\`, \`bad_column_name\`), rows with no columns (\`empty_entities\`), \`entities\` columns of unequal length (\`bad_entity\`), or a request the build cannot take (\`bad_request\`)`,
      413: 'body over `server.body_limit` (`payload_too_large`), more entity rows × columns than four per byte of it (`too_many_cells`), or more than 1,000 entity columns (`too_many_columns`)',
      422: 'blocked by the guards (`guard_blocked`, the run id in `details`); no dataset',
      500: 'the dataset could not be written (`output_write_failed`), or an unexpected error (`internal`)',
    } },
  { method: 'get', path: '/v1/registry', summary: 'Registry generation and object counts', scope: 'read', response: 'api/responses/registry_summary' },
  { method: 'get', path: '/v1/registry/{collection}', summary: 'Current entities, sources, feature_views or feature_services', scope: 'read', params: ['collection'], response: 'api/responses/registry_items' },
  { method: 'get', path: '/v1/registry/{collection}/{name}', summary: 'One current object with its version', scope: 'read', params: ['collection', 'name'], response: 'api/responses/registry_item' },
  { method: 'get', path: '/v1/registry/{collection}/{name}/versions', summary: 'Every version of an object, oldest first, also of a removed object (its removal: `definition` null)', scope: 'read', params: ['collection', 'name'], response: 'api/responses/registry_versions' },
  { method: 'get', path: '/v1/registry/{collection}/{name}/versions/{version}', summary: 'One version of an object (a number, or `latest`: its last), also of a removed object', scope: 'read', params: ['collection', 'name', 'version'], response: 'api/responses/registry_version',
    responses: {
      400: 'a version that is neither a number nor `latest` (`bad_request`)',
      404: 'no such collection or object (`not_found`), or a version the object does not have (`unknown_version`, with the versions it has in `details.versions`)' } },
  { method: 'post', path: '/v1/registry/plan', summary: 'What applying these definitions would change: the objects and fields, breaking changes, the views whose online values apply drops (`drops`, why in `dropReasons`: `changed`, `removed`, `no_longer_online` or `offline`), the views whose next materialization re-reads their ttl window (`rereads`), `notes` (among them the removed or no longer online views fed by push, whose pushed values cannot be re-materialized from the source), the `generation` planned against, and what `validate` finds wrong with the sources (`source_problems`, warnings)', scope: 'read', body: 'api/registry_apply', response: 'api/responses/registry_plan', responses: { 422: DEFINITIONS } },
  {
    method: 'post', path: '/v1/registry/apply', scope: 'admin', body: 'api/registry_apply', response: 'api/responses/registry_apply_result',
    summary: 'Apply definitions (admin); drops the online values of removed views, of views no longer online and of views changed in a breaking way (`dropped`, why in `plan.dropReasons`; `deferred`: views being materialized or pushed to, whose running writer drops them instead); `plan` carries `rereads` and `notes` as the plan does',
    responses: {
      403: "the key's scope is below 'admin' (`forbidden`), a source with a new or changed `query` while `server.allow_query_sources` is off (`query_source_refused`), or, while no API key exists, another host name or a cross-site write (`host_not_allowed`, `cross_site_refused`)",
      409: '`definitions` leaving applied objects out without `allow_removals: true` (`removals_not_allowed`, the objects in `details.removals`), breaking changes without `allow_breaking` (`breaking_change`), an `expected_generation` the registry has moved past: another apply came in between (`registry_changed`, both generations in `details`), or another process held the write lock of the state database past its busy timeout, 10 s (`registry_busy`)',
      422: DEFINITIONS,
      503: `applied, but the online values to drop could not be (\`online_drop_failed\`); applying again drops them; or ${STATE_UNAVAILABLE}`,
    },
  },
  { method: 'get', path: '/v1/runs', summary: 'The quality log, newest first', scope: 'read', query: ['view', 'service', 'kind', 'status', 'since', 'until', 'limit', 'offset', 'cursor'], response: 'api/responses/run_list',
    responses: { 400: 'a bad query parameter (`bad_request`): an unknown parameter, kind or status, a time that is not one, a limit or offset out of range, a cursor that is none, a parameter given twice; a view or service that is neither defined nor named by a run (`unknown_view`, `unknown_service`, with a "did you mean")' } },
  { method: 'get', path: '/v1/runs/{id}', summary: 'A run with its check results, profile summaries, alert deliveries and the redeliveries waiting', scope: 'read', params: ['id'], paramDocs: RUN_ID_PARAM, response: 'api/responses/run_report', responses: RUN_ID_RESPONSES },
  { method: 'get', path: '/v1/runs/{id}/lineage', summary: 'A run as an OpenLineage RunEvent', scope: 'read', params: ['id'], paramDocs: RUN_ID_PARAM, responses: RUN_ID_RESPONSES },
  {
    method: 'post', path: '/v1/alerts/redeliver', scope: 'write', body: 'api/alerts_redeliver',
    summary: 'Send the alert deliveries that did not arrive and are due again (`all`: every one waiting), as `serve` does every 15 s; answers what was sent and what still waits',
    responses: { 400: 'malformed JSON (`malformed_json`), a body that breaks its schema (`invalid_request`), or a `run_id` prefix several runs start with (`ambiguous_run_id`)', 404: '`run_id` (a run id or its first 8 characters or more) names no run (`not_found`)' },
  },
  { method: 'get', path: '/v1/schedules', summary: 'Scheduled views with next and last runs (the last from the quality log when this process has not run it), and `latest_run`: the view\'s newest materialization in the quality log, whoever ran it', scope: 'read' },
  { method: 'get', path: '/v1/keys', summary: 'API keys: id, name, scope, created, last used, revoked (never the key or its hash)', scope: 'admin', response: 'api/responses/keys' },
  {
    method: 'post', path: '/v1/keys', scope: 'admin', body: 'api/keys_create', status: 201, response: 'api/responses/key_created',
    summary: 'Create an API key; the answer shows the key once (open while no key exists on a loopback server, so the first key can be created)',
  },
  { method: 'delete', path: '/v1/keys/{id}', summary: 'Revoke an API key, by id or by the key itself (at once, in every process); 404 for an unknown id or a key matching none, named without its secret', scope: 'admin', params: ['id'], response: 'api/responses/key' },
  { method: 'get', path: '/health', summary: 'Liveness', scope: null, response: 'api/responses/health' },
  {
    method: 'get', path: '/ready', summary: 'Readiness: state database and online store reachable', scope: null, response: 'readiness',
    responses: { 503: { description: 'not ready: the state database or the online store did not answer (within 1.5 s), one of their files was removed or replaced under the server, or the server is stopping', schema: 'readiness' } },
  },
  { method: 'get', path: '/metrics', summary: 'Prometheus metrics', scope: null, produces: ['text/plain'] },
  { method: 'get', path: '/openapi.json', summary: 'This document', scope: null },
];

const componentName = (schema: string) => schema.replaceAll('/', '_');

/** Rewrite `$ref`s of schema `name` so they point into `#/components/schemas`. */
function rewriteRefs(value: unknown, name: string): unknown {
  if (Array.isArray(value)) return value.map((v) => rewriteRefs(v, name));
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    if (k === '$schema' || k === '$id') continue;
    if (k === '$ref' && typeof v === 'string') {
      out.$ref = resolveRef(v, name);
      continue;
    }
    out[k] = rewriteRefs(v, name);
  }
  return out;
}

function resolveRef(ref: string, from: string): string {
  const [file, pointer = ''] = ref.split('#', 2);
  if (file === '') return `#/components/schemas/${componentName(from)}${pointer}`;
  const base = from.includes('/') ? from.slice(0, from.lastIndexOf('/') + 1) : '';
  const segments = `${base}${file}`.replace(/\.schema\.json$/, '').split('/');
  const resolved: string[] = [];
  for (const s of segments) {
    if (s === '..') resolved.pop();
    else if (s !== '.' && s !== '') resolved.push(s);
  }
  return `#/components/schemas/${componentName(resolved.join('/'))}${pointer}`;
}

/** The body of `/ready`, ready (200) or not (503). */
const readinessSchema = {
  type: 'object',
  required: ['status', 'checks'],
  properties: {
    status: { enum: ['ready', 'not_ready'] },
    checks: {
      type: 'object',
      additionalProperties: { type: 'object', required: ['ok'], properties: { ok: { type: 'boolean' }, code: { type: 'string', description: 'why a check failed (`timeout`, `store_unavailable`, …)' }, error: { type: 'string' } } },
    },
  },
};

const errorSchema = {
  type: 'object',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['code', 'message'],
      properties: { code: { type: 'string' }, message: { type: 'string' }, details: {} },
    },
  },
};

const err = (description: string) => ({ description, content: { 'application/json': { schema: { $ref: '#/components/schemas/error' } } } });
const retryAfter = (response: Record<string, unknown>) => ({ ...response, headers: { 'retry-after': { description: 'seconds', schema: { type: 'integer' } } } });
const WWW_AUTHENTICATE = { 'www-authenticate': { description: '`Bearer realm="featureguard"`', schema: { type: 'string' } } };
/** The `$ref` of a schema file's name under `schemas/` or of a component (`readiness`). */
const schemaRef = (schema: string) => `#/components/schemas/${componentName(schema)}`;

/** The OpenAPI document (built once per process). */
export function openApiDocument(): Record<string, unknown> {
  const schemas: Record<string, unknown> = {};
  for (const name of schemaNames()) schemas[componentName(name)] = rewriteRefs(schemaObject(name), name);
  schemas.error = errorSchema;
  schemas.readiness = readinessSchema;
  const paths: Record<string, Record<string, unknown>> = {};
  for (const r of ROUTES) {
    const responses: Record<string, unknown> = {};
    if (r.status !== null) {
      const content = r.produces
        ? Object.fromEntries(r.produces.map((t) => [t, {}]))
        : { 'application/json': r.response ? { schema: { $ref: schemaRef(r.response) } } : {} };
      responses[String(r.status ?? 200)] = { description: 'success', content, ...(r.headers ? { headers: r.headers } : {}) };
    }
    if (r.body) {
      responses['400'] = err('malformed JSON (`malformed_json`) or a body that breaks its schema (`invalid_request`)');
      responses['413'] = err('body over `server.body_limit` (`payload_too_large`)');
      responses['415'] = err('a compressed body (`Content-Encoding` other than identity: `unsupported_encoding`)');
    }
    if (r.scope) responses['401'] = { ...err('missing, invalid or revoked API key (`unauthorized`)'), headers: WWW_AUTHENTICATE };
    if (r.path !== '/health' && r.path !== '/ready') {
      responses['403'] = err(`${r.scope ? `the key's scope is below '${r.scope}' (\`forbidden\`); or, ` : ''}while no API key exists, a request addressed to a name other than localhost (\`host_not_allowed\`) or a write a browser sends from another site (\`cross_site_refused\`)`);
    }
    if (r.params) responses['404'] = err('not found (`not_found`)');
    responses['405'] = { ...err('the path exists with other methods only (`method_not_allowed`)'), headers: { allow: { description: 'The methods the path takes', schema: { type: 'string' } } } };
    responses['500'] = err('an unexpected error (`internal`; the server log has it)');
    responses['503'] = retryAfter(err(STATE_UNAVAILABLE));
    for (const [status, doc] of Object.entries(r.responses ?? {})) {
      responses[status] = typeof doc === 'string'
        ? (status === '503' ? retryAfter(err(doc)) : err(doc))
        : { description: doc.description, content: { 'application/json': { schema: { $ref: schemaRef(doc.schema) } } }, ...(doc.headers ? { headers: doc.headers } : {}) };
    }
    const op: Record<string, unknown> = {
      summary: r.summary,
      operationId: `${r.method}${r.path.replace(/[^a-zA-Z0-9]+(.)?/g, (_m, ch: string | undefined) => (ch ? ch.toUpperCase() : ''))}`,
      responses,
      security: r.scope ? [{ bearer: [] }, { apiKey: [] }] : [],
      'x-featureguard-scope': r.scope,
    };
    const parameters = [
      ...(r.params ?? []).map((p) => ({ name: p, in: 'path', required: true, ...(r.paramDocs?.[p] ? { description: r.paramDocs[p] } : {}), schema: { type: 'string' } })),
      ...(r.query ?? []).map((p) => ({ name: p, in: 'query', required: false, schema: { type: 'string' } })),
      ...Object.entries(r.requestHeaders ?? {}).map(([name, h]) => ({ name, in: 'header', required: false, description: h.description, schema: h.schema })),
    ];
    if (parameters.length) op.parameters = parameters;
    if (r.body && schemas[componentName(r.body)]) {
      op.requestBody = { required: true, content: { 'application/json': { schema: { $ref: `#/components/schemas/${componentName(r.body)}` } } } };
    }
    (paths[r.path] ??= {})[r.method] = op;
  }
  return {
    openapi: '3.1.0',
    info: { title: 'featureguard', version: VERSION, description: 'Feature store with built-in data-quality guards. Errors are `{"error": {code, message, details}}`.' },
    jsonSchemaDialect: 'https://json-schema.org/draft/2020-12/schema',
    // The formats of the schemas beyond JSON Schema's own (OpenAPI lets a tool that does not know one fall back
    // to its type; each use also carries the pattern).
    'x-featureguard-formats': {
      [DURATION_FORMAT]: {
        type: 'string',
        pattern: DURATION_PATTERN,
        description: 'A duration: `0` or a whole number with unit s, m, h or d (`6h`), at most 100 years (`36500d`); what `0` means depends on the setting (a ttl: unlimited)',
      },
    },
    paths,
    components: {
      schemas,
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', description: 'An API key: `Authorization: Bearer fg_...`' },
        apiKey: { type: 'apiKey', in: 'header', name: 'X-API-Key' },
      },
    },
  };
}
