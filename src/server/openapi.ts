/**
 * `GET /openapi.json`: an OpenAPI 3.1 document built from the JSON Schemas in
 * `schemas/` (definitions, project config, API request bodies) and the route table
 * below. Cross-file `$ref`s are rewritten to `#/components/schemas/...`.
 */
import type { Scope } from '../auth/keys.js';
import { schemaNames, schemaObject } from '../schemas.js';
import { VERSION } from '../version.js';

interface RouteDoc {
  readonly method: 'get' | 'post';
  readonly path: string;
  readonly summary: string;
  readonly scope: Scope | null;
  /** Name of the request body schema under `schemas/` (e.g. `api/push`). */
  readonly body?: string;
  readonly params?: readonly string[];
  readonly query?: readonly string[];
  /** Non-JSON success response types. */
  readonly produces?: readonly string[];
  readonly status?: number;
}

/** Every route of the API (the web pages under `/ui` are not part of it). */
export const ROUTES: readonly RouteDoc[] = [
  { method: 'post', path: '/v1/online-features', summary: 'Online feature values for entity rows (Feast get-online-features shape)', scope: 'read', body: 'api/online_features' },
  { method: 'post', path: '/get-online-features', summary: 'Feast-compatible alias of /v1/online-features', scope: 'read', body: 'api/online_features' },
  { method: 'post', path: '/v1/push', summary: 'Push rows into a view (online, offline or both) after the guards', scope: 'write', body: 'api/push' },
  { method: 'post', path: '/push', summary: 'Feast-compatible alias of /v1/push', scope: 'write', body: 'api/push' },
  { method: 'post', path: '/v1/materialize', summary: 'Start a materialization in the background (202 with a job id; 409 while a view is materializing)', scope: 'write', body: 'api/materialize', status: 202 },
  { method: 'get', path: '/v1/materialize', summary: "This server's recent materialization jobs", scope: 'read' },
  { method: 'get', path: '/v1/materialize/{job}', summary: 'A materialization job with its runs', scope: 'read', params: ['job'] },
  { method: 'post', path: '/v1/datasets', summary: 'Build a point-in-time dataset, streamed as Arrow IPC (default), Parquet, CSV or JSON', scope: 'read', body: 'api/datasets', produces: ['application/vnd.apache.arrow.stream', 'application/vnd.apache.parquet', 'text/csv', 'application/x-ndjson'] },
  { method: 'get', path: '/v1/registry', summary: 'Registry generation and object counts', scope: 'read' },
  { method: 'get', path: '/v1/registry/{collection}', summary: 'Current entities, sources, feature_views or feature_services', scope: 'read', params: ['collection'] },
  { method: 'get', path: '/v1/registry/{collection}/{name}', summary: 'One current object with its version', scope: 'read', params: ['collection', 'name'] },
  { method: 'get', path: '/v1/registry/{collection}/{name}/versions', summary: 'Every version of an object', scope: 'read', params: ['collection', 'name'] },
  { method: 'post', path: '/v1/registry/plan', summary: 'What applying these definitions would change', scope: 'read', body: 'api/registry_apply' },
  { method: 'post', path: '/v1/registry/apply', summary: 'Apply definitions (admin)', scope: 'admin', body: 'api/registry_apply' },
  { method: 'get', path: '/v1/runs', summary: 'The quality log, newest first', scope: 'read', query: ['view', 'service', 'kind', 'status', 'since', 'until', 'limit', 'offset'] },
  { method: 'get', path: '/v1/runs/{id}', summary: 'A run with its check results', scope: 'read', params: ['id'] },
  { method: 'get', path: '/v1/runs/{id}/lineage', summary: 'A run as an OpenLineage RunEvent', scope: 'read', params: ['id'] },
  { method: 'get', path: '/v1/schedules', summary: 'Scheduled views with next and last runs', scope: 'read' },
  { method: 'get', path: '/health', summary: 'Liveness', scope: null },
  { method: 'get', path: '/ready', summary: 'Readiness: state database and online store reachable', scope: null },
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

/** The OpenAPI document (built once per process). */
export function openApiDocument(): Record<string, unknown> {
  const schemas: Record<string, unknown> = {};
  for (const name of schemaNames()) schemas[componentName(name)] = rewriteRefs(schemaObject(name), name);
  schemas.error = errorSchema;
  const paths: Record<string, Record<string, unknown>> = {};
  for (const r of ROUTES) {
    const ok = String(r.status ?? 200);
    const content = r.produces
      ? Object.fromEntries(r.produces.map((t) => [t, {}]))
      : { 'application/json': {} };
    const responses: Record<string, unknown> = { [ok]: { description: 'success', content } };
    const err = (description: string) => ({ description, content: { 'application/json': { schema: { $ref: '#/components/schemas/error' } } } });
    if (r.body) {
      responses['400'] = err('malformed JSON or an invalid body');
      responses['413'] = err('body too large');
    }
    if (r.scope) {
      responses['401'] = err('missing, invalid or revoked API key');
      responses['403'] = err(`the key's scope is below '${r.scope}'`);
    }
    if (r.params) responses['404'] = err('not found');
    if (r.path === '/v1/materialize' || r.path === '/v1/registry/apply') responses['409'] = err('conflict');
    const op: Record<string, unknown> = {
      summary: r.summary,
      operationId: `${r.method}${r.path.replace(/[^a-zA-Z0-9]+(.)?/g, (_m, ch: string | undefined) => (ch ? ch.toUpperCase() : ''))}`,
      responses,
      security: r.scope ? [{ bearer: [] }, { apiKey: [] }] : [],
      'x-featureguard-scope': r.scope,
    };
    const parameters = [
      ...(r.params ?? []).map((p) => ({ name: p, in: 'path', required: true, schema: { type: 'string' } })),
      ...(r.query ?? []).map((p) => ({ name: p, in: 'query', required: false, schema: { type: 'string' } })),
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
