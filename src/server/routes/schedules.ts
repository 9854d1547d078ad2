/** `GET /v1/schedules`: each scheduled view's cron, next run and last run. */
import { Hono } from 'hono';
import { nextRunOf, scheduledViews } from '../../scheduler/scheduler.js';
import type { ServerContext } from '../context.js';

export function scheduleRoutes(ctx: ServerContext): Hono {
  const app = new Hono();
  app.get('/', ctx.auth.requireScope('read'), (c) => {
    if (ctx.scheduler) {
      ctx.scheduler.sync();
      return c.json({ scheduler: 'running', schedules: ctx.scheduler.list() });
    }
    // Not inside `serve`: show what would run.
    const schedules = scheduledViews(ctx.project.registry).map(([view, cron]) => ({
      view, cron, active: false, next_run: nextRunOf(cron), last_run: null, error: null,
    }));
    return c.json({ scheduler: 'off', schedules });
  });
  return app;
}
