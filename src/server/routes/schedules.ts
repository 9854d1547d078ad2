/**
 * `GET /v1/schedules`: each scheduled view's cron, next run and last run. The
 * last run is the scheduler's own when this process ran it, else the view's
 * newest materialize run from the quality log (after a restart, on a replica
 * started with `--no-scheduler`, or outside `serve`). `latest_run` is always the
 * view's newest materialize run in the quality log, whoever ran it.
 */
import { Hono } from 'hono';
import { withLastRunsFromLog } from '../../scheduler/last-run.js';
import { cronProblem, nextRunOf } from '../../scheduler/cron.js';
import { scheduledViews } from '../../scheduler/scheduler.js';
import type { ServerContext } from '../context.js';

export function scheduleRoutes(ctx: ServerContext): Hono {
  const app = new Hono();
  app.get('/', ctx.auth.requireScope('read'), (c) => {
    const { runs } = ctx.project;
    if (ctx.scheduler) {
      ctx.scheduler.sync();
      return c.json({ scheduler: 'running', schedules: withLastRunsFromLog(ctx.scheduler.list(), runs) });
    }
    // Not inside `serve`, or `serve --no-scheduler`: show what would run (and what could not, with its error).
    const schedules = scheduledViews(ctx.project.registry).map(([view, cron]) => ({
      view, cron, active: false, next_run: nextRunOf(cron), last_run: null, error: cronProblem(cron),
    }));
    return c.json({ scheduler: 'off', schedules: withLastRunsFromLog(schedules, runs) });
  });
  return app;
}
