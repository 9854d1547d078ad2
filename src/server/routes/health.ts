/** `GET /health` (the process is up) and `GET /ready` (state database and online store answer). */
import { Hono } from 'hono';
import { VERSION } from '../../version.js';
import type { ServerContext } from '../context.js';

export function healthRoutes(ctx: ServerContext): Hono {
  const app = new Hono();
  app.get('/health', (c) => c.json({ status: 'ok', version: VERSION }));
  app.get('/ready', async (c) => {
    const checks: Record<string, { ok: boolean; error?: string }> = {};
    try {
      ctx.project.state.prepare('SELECT 1').get();
      checks.state_db = { ok: true };
    } catch (e) {
      checks.state_db = { ok: false, error: (e as Error).message };
    }
    try {
      const store = await ctx.project.onlineStore();
      await store.readMany('__featureguard_ready__', [], [['ready']]);
      checks.online_store = { ok: true };
    } catch (e) {
      checks.online_store = { ok: false, error: (e as Error).message };
    }
    const ready = Object.values(checks).every((x) => x.ok);
    return c.json({ status: ready ? 'ready' : 'not_ready', checks }, ready ? 200 : 503);
  });
  return app;
}
