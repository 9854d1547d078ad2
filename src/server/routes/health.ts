/**
 * `GET /health` (the process is up) and `GET /ready` (state database and online
 * store answer, and the server is not stopping). `/ready` answers within about
 * two seconds: a store that does not answer in time counts as not ready (503).
 */
import { Hono } from 'hono';
import { VERSION } from '../../version.js';
import type { ServerContext } from '../context.js';

/** How long `/ready` waits for the online store. */
export const READY_TIMEOUT_MS = 1_500;

function withTimeout<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not answer within ${ms} ms`)), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

export function healthRoutes(ctx: ServerContext): Hono {
  const app = new Hono();
  app.get('/health', (c) => c.json({ status: 'ok', version: VERSION }));
  app.get('/ready', async (c) => {
    const checks: Record<string, { ok: boolean; error?: string }> = {};
    // A stopping server (a signal received) finishes its work but takes no new work: a load balancer moves on.
    if (ctx.jobs.closed) checks.server = { ok: false, error: 'the server is stopping' };
    try {
      ctx.project.state.prepare('SELECT 1').get();
      checks.state_db = { ok: true };
    } catch (e) {
      checks.state_db = { ok: false, error: (e as Error).message };
    }
    try {
      const probe = (async () => {
        const store = await ctx.project.onlineStore();
        await store.readMany('__featureguard_ready__', [], [['ready']]);
      })();
      probe.catch(() => undefined); // settles after a timeout: never an unhandled rejection
      await withTimeout(probe, READY_TIMEOUT_MS, 'the online store');
      checks.online_store = { ok: true };
    } catch (e) {
      checks.online_store = { ok: false, error: (e as Error).message };
    }
    const ready = Object.values(checks).every((x) => x.ok);
    return c.json({ status: ready ? 'ready' : 'not_ready', checks }, ready ? 200 : 503);
  });
  return app;
}
