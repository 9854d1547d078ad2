/**
 * The quality log over HTTP: `GET /v1/runs` (filters `view`, `service`, `kind`,
 * `status`, `since`, `until`; paging `limit` ≤ 500, `offset` or `cursor`: the
 * `next_cursor` of the previous page), `GET /v1/runs/:id`
 * (the run report of `runs show --json`: run, check results, profile summaries, alert
 * deliveries) and `GET /v1/runs/:id/lineage` (OpenLineage RunEvent). `:id` is a run id or a unique prefix of
 * 8+ characters, resolved as the CLI and the pages resolve it (`resolveRunId`).
 */
import { Hono } from 'hono';
import { InputError } from '../../errors.js';
import { readQueryInstant } from '../../time/query-instant.js';
import { recordedSourceUri } from '../../runs/dataset-names.js';
import { toOpenLineageRunEvent } from '../../runs/lineage.js';
import { resolveRunId } from '../../runs/run-id.js';
import { runReport } from '../../runs/run-report.js';
import { runCursor } from '../../runs/run-store.js';
import { refuseUnknownRunTarget } from '../../runs/run-targets.js';
import { RUN_KINDS, RUN_STATUSES, type RunFilter } from '../../runs/types.js';
import type { ServerContext } from '../context.js';

const MAX_LIMIT = 500;
/** The query parameters of `GET /v1/runs`; any other is a 400, so that a misspelt filter is not a silent "every run". */
export const QUERY_PARAMS = ['view', 'service', 'kind', 'status', 'since', 'until', 'limit', 'offset', 'cursor'] as const;

function intParam(name: string, raw: string | undefined, min: number, max: number, dflt: number): number {
  if (raw === undefined || raw === '') return dflt;
  // Digits only: Number() would also take '1e2', '0x10' and ' 5'.
  const n = /^[0-9]{1,16}$/.test(raw) ? Number(raw) : Number.NaN;
  if (!Number.isInteger(n) || n < min || n > max) throw new InputError(`query parameter '${name}' must be an integer from ${min} to ${max}`, { [name]: raw });
  return n;
}

function timeParam(name: string, raw: string | undefined): string | undefined {
  if (raw === undefined || raw === '') return undefined;
  return readQueryInstant(raw, `query parameter '${name}'`, name).toISOString();
}

function enumParam<T extends string>(name: string, raw: string | undefined, allowed: readonly T[]): T | undefined {
  if (raw === undefined || raw === '') return undefined;
  if (!(allowed as readonly string[]).includes(raw)) throw new InputError(`query parameter '${name}' must be one of ${allowed.join(', ')}`, { [name]: raw });
  return raw as T;
}

/** Parse `GET /v1/runs` query parameters into a run filter (bad values are a 400). */
export function runFilterFromQuery(q: Record<string, string | undefined>): Required<Pick<RunFilter, 'limit' | 'offset'>> & RunFilter {
  return {
    view: q.view || undefined,
    service: q.service || undefined,
    kind: enumParam('kind', q.kind, RUN_KINDS),
    status: enumParam('status', q.status, RUN_STATUSES),
    since: timeParam('since', q.since),
    until: timeParam('until', q.until),
    limit: intParam('limit', q.limit, 1, MAX_LIMIT, 50),
    offset: intParam('offset', q.offset, 0, Number.MAX_SAFE_INTEGER, 0),
    cursor: q.cursor || undefined,
  };
}

export function runsRoutes(ctx: ServerContext): Hono {
  const { runs } = ctx.project;
  const app = new Hono();
  app.use('*', ctx.auth.requireScope('read'));
  app.get('/', (c) => {
    const repeated = Object.entries(c.req.queries()).find(([, values]) => values.length > 1);
    if (repeated) throw new InputError(`query parameter '${repeated[0]}' is given ${repeated[1].length} times; give it once`, { [repeated[0]]: repeated[1] });
    const unknown = Object.keys(c.req.queries()).filter((k) => !(QUERY_PARAMS as readonly string[]).includes(k));
    if (unknown.length > 0) {
      throw new InputError(`unknown query parameter${unknown.length > 1 ? 's' : ''} ${unknown.map((k) => `'${k}'`).join(', ')}; known: ${QUERY_PARAMS.join(', ')}`, { unknown });
    }
    const filter = runFilterFromQuery(c.req.query());
    // One run more than the page: whether a next page exists, for `next_cursor`.
    const { runs: items, total } = runs.list({ ...filter, limit: filter.limit + 1 });
    // A view or service that matched nothing, and is neither defined nor named by a run: a typo, refused as `runs list` does.
    if (total === 0) refuseUnknownRunTarget(ctx.project, filter);
    const page = items.slice(0, filter.limit);
    const next = items.length > filter.limit ? runCursor(page[page.length - 1]) : null;
    return c.json({ runs: page, total, limit: filter.limit, offset: filter.offset, next_cursor: next });
  });
  app.get('/:id', (c) => c.json(runReport(ctx.project, resolveRunId(ctx.project, c.req.param('id')))));
  app.get('/:id/lineage', (c) => {
    const run = runs.get(resolveRunId(ctx.project, c.req.param('id')));
    const sourceOf = (r: typeof run) => recordedSourceUri(ctx.project.root, ctx.project.registry, r);
    return c.json(toOpenLineageRunEvent(run, runs.results(run.id), { namespace: ctx.project.config.project, profiles: runs.profiles(run.id), sourceOf }));
  });
  return app;
}
