/**
 * `GET /health` (the process is up) and `GET /ready` (state database and online
 * store answer, the state database and a SQLite online store are still the project's files, and the server
 * is not stopping). `/ready` answers within about
 * two seconds: a store that does not answer in time counts as not ready (503).
 */
import { statSync } from 'node:fs';
import { isAbsolute, join, relative } from 'node:path';
import { Hono } from 'hono';
import { FeatureguardError } from '../../errors.js';
import { hasReadyProbe } from '../../online/ready-probe.js';
import { VERSION } from '../../version.js';
import type { ServerContext } from '../context.js';

/** How long `/ready` waits for the online store. */
export const READY_TIMEOUT_MS = 1_500;

/** The online store did not answer in time; its text is ours, so `/ready` may show it. */
class ReadyTimeout extends Error {}

function withTimeout<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new ReadyTimeout(`${what} did not answer within ${ms} ms`)), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

/** Which file a path is (device and inode), or null when it is gone. */
function fileIdentity(path: string): string | null {
  const st = statSync(path, { throwIfNoEntry: false, bigint: true });
  return st ? `${st.dev}:${st.ino}` : null;
}

/**
 * Why the state database file the server has open is no longer the project's, or null. Removed or replaced
 * under a running server (`rm -rf .featureguard`, a restore), the open handle still answers, but every write
 * goes to a file no other process sees.
 */
function stateFileProblem(path: string, opened: string | null, shown: string): string | null {
  if (opened === null) return null; // in memory, or not a file we could stat
  const now = fileIdentity(path);
  if (now === null) return `${shown} was removed after the server opened it; restart the server`;
  if (now !== opened) return `${shown} was replaced after the server opened it; restart the server`;
  return null;
}

/**
 * What `/ready`, which needs no key, says of an online store that failed: a code and a fixed sentence. The
 * error's own text names the store's address (before, even a password given as a URL's `?password=`); an
 * authenticated request (an online read's 503) tells the details.
 */
function onlineStoreProblem(e: unknown): { ok: false; code: string; error: string } {
  if (e instanceof ReadyTimeout) return { ok: false, code: 'timeout', error: e.message };
  const code = e instanceof FeatureguardError ? e.code : 'internal_error';
  return { ok: false, code, error: code === 'store_unavailable' ? 'the online store is unavailable' : `the online store cannot be used (${code})` };
}

/** The SQLite online store's file (as the store opens it), or null for another store type. */
function sqliteStoreFile(ctx: ServerContext): string | null {
  const config = ctx.project.config.online_store ?? { type: 'sqlite' };
  if (config.type !== 'sqlite') return null;
  const rel = (config as { path?: string }).path ?? join('.featureguard', 'online.db');
  return isAbsolute(rel) ? rel : join(ctx.project.root, rel);
}

export function healthRoutes(ctx: ServerContext): Hono {
  const app = new Hono();
  const statePath = ctx.project.state.name;
  const opened = statePath === ':memory:' || statePath === '' ? null : fileIdentity(statePath);
  // Relative to the project: `/ready` needs no key, and the server's folders are not everyone's business.
  const shown = relative(ctx.project.root, statePath);
  // The SQLite online store's file, as the server opened it (`serve` opens the store before this; else the file
  // once the store is open): removed or replaced, the server reads its old values while every other process
  // writes the new file.
  const storeFile = sqliteStoreFile(ctx);
  let storeOpened = storeFile === null ? null : (fileIdentity(storeFile) ?? undefined);
  app.get('/health', (c) => c.json({ status: 'ok', version: VERSION }));
  app.get('/ready', async (c) => {
    const checks: Record<string, { ok: boolean; code?: string; error?: string }> = {};
    // A stopping server (a signal received) finishes its work but takes no new work: a load balancer moves on.
    if (ctx.jobs.closed) checks.server = { ok: false, error: 'the server is stopping' };
    try {
      ctx.project.state.prepare('SELECT 1').get();
      const problem = stateFileProblem(statePath, opened, shown);
      checks.state_db = problem ? { ok: false, error: problem } : { ok: true };
    } catch (e) {
      checks.state_db = { ok: false, error: (e as Error).message };
    }
    try {
      const probe = (async () => {
        const store = await ctx.project.onlineStore();
        if (storeFile !== null) storeOpened ??= fileIdentity(storeFile);
        // A Redis Cluster: every master, each a read of its own slots (one read reached one master only).
        if (hasReadyProbe(store)) await store.probeReady();
        else await store.readMany('__featureguard_ready__', [], [['ready']]);
      })();
      probe.catch(() => undefined); // settles after a timeout: never an unhandled rejection
      await withTimeout(probe, READY_TIMEOUT_MS, 'the online store');
      const problem = storeFile === null ? null : stateFileProblem(storeFile, storeOpened ?? null, relative(ctx.project.root, storeFile));
      checks.online_store = problem ? { ok: false, code: 'store_file_gone', error: problem } : { ok: true };
    } catch (e) {
      checks.online_store = onlineStoreProblem(e);
    }
    const ready = Object.values(checks).every((x) => x.ok);
    return c.json({ status: ready ? 'ready' : 'not_ready', checks }, ready ? 200 : 503);
  });
  return app;
}
