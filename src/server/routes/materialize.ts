/**
 * `POST /v1/materialize` (write scope): starts a materialization in the
 * background and answers 202 with the job as `GET /v1/materialize/:job` shows it (its id, the run id of each view); 409
 * while one of the views is materializing (in any process). `GET /v1/materialize/:job`
 * polls a job; `GET /v1/materialize` lists this server's recent jobs. `start` and
 * `end` are read as the CLI reads them (`parseInstant`): an ISO 8601 date is
 * midnight UTC, a time without a zone is UTC.
 */
import { Hono } from 'hono';
import { startMaterialization } from '../../materialize/materialize.js';
import type { Project } from '../../project.js';
import { readJson, validateBody } from '../body.js';
import { InputError } from '../../errors.js';
import type { ServerContext } from '../context.js';
import { noteRuns } from '../request-runs.js';
import type { StartMaterializeFn } from '../materialize-jobs.js';

interface MaterializeBody {
  views?: string[];
  start?: string;
  end?: string;
  incremental?: boolean;
}

/** The project's materialization as the jobs' start function. */
export function projectMaterializeFn(project: Project): StartMaterializeFn {
  return (options, trigger) => startMaterialization(project, options, trigger);
}

/**
 * The window of a body said plainly before the schema (whose `oneOf` could only say "/incremental must be equal to
 * constant"), as the CLI says it: `incremental` with a `start`, or neither.
 */
function windowFirst(body: unknown): unknown {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return body;
  const { incremental, start } = body as { incremental?: unknown; start?: unknown };
  if (incremental === true && start !== undefined) {
    throw new InputError('incremental computes the start itself (where the last window of each view ended): drop start, or drop incremental', { problems: [{ path: '/start', message: 'not with incremental: true' }] }, 'invalid_request');
  }
  if (incremental !== true && start === undefined && (incremental === undefined || typeof incremental === 'boolean')) {
    throw new InputError('give a window (start, and optionally end) or incremental: true', { problems: [{ path: '/', message: 'start or incremental: true is required' }] }, 'invalid_request');
  }
  return body;
}

export function materializeRoutes(ctx: ServerContext): Hono {
  const app = new Hono();
  app.post('/', ctx.auth.requireScope('write'), async (c) => {
    const body = validateBody<MaterializeBody>('materialize', windowFirst(await readJson(c, ctx.limits.bodyLimit)));
    const { job } = await ctx.jobs.start(
      { views: body.views, start: body.start, end: body.end, incremental: body.incremental === true },
      'api',
      ctx.auth.runTrigger(c),
    );
    noteRuns(c, job.runs.map((r) => ({ view: r.view, run_id: r.run_id })));
    // The job as a poll answers it (`id`, also as `job_id` for clients of earlier versions, and `poll`): a job with
    // nothing to do is already `done` here.
    return c.json(job, 202, { location: job.poll });
  });
  app.get('/', ctx.auth.requireScope('read'), (c) => c.json({ jobs: ctx.jobs.list() }));
  app.get('/:job', ctx.auth.requireScope('read'), (c) => c.json(ctx.jobs.get(c.req.param('job'))));
  return app;
}
