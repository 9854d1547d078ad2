/**
 * Running the API: `startServer(project, {host, port})` listens with
 * `@hono/node-server`, starts the scheduler, a sweep of pending online drops
 * (every 15 s) and, with `quality_log.keep_days`, a daily prune of the quality
 * log; logs one line per request with pino,
 * and `close()` shuts down gracefully (stop accepting and scheduling at once,
 * then finish requests and running materializations). Binding beyond loopback
 * without any API key is refused.
 */
import { getRequestListener, RequestError, type ServerType } from '@hono/node-server';
import { createServer, type IncomingMessage, type RequestListener, type Server, type ServerResponse } from 'node:http';
import { isIPv6, type AddressInfo } from 'node:net';
import { pino, type Logger } from 'pino';
import { sendHeldBackSummaries } from '../alerts/held-back.js';
import { keyStoreFor } from '../auth/keys.js';
import { FeatureguardError, InputError, isFeatureguardError } from '../errors.js';
import type { Project } from '../project.js';
import { dropPendingViews } from '../registry/online-drops.js';
import { pruneRunsInBackground } from '../runs/prune.js';
import { failOrphanedRunsWhenFree } from '../runs/run-store.js';
import { sendDueAlerts } from '../alerts/dispatch.js';
import { sendDueRedeliveries } from '../alerts/redelivery.js';
import { heldBackToSweep } from '../alerts/throttle.js';
import { warnUnsignedAlerts } from '../alerts/unsigned.js';
import { lastMaterializedEnd } from '../materialize/intervals.js';
import { startScheduler, type Scheduler } from '../scheduler/scheduler.js';
import { createApp, type FeatureguardApp } from './app.js';
import { answerClientErrors } from './client-errors.js';
import { loggedPath } from './logged-path.js';
import { createMaterializeJobs } from './materialize-jobs.js';
import { bodyEnded } from './open-bodies.js';
import { repeat } from './repeat.js';
import { requestRuns } from './request-runs.js';
import { unavailableLog } from './unavailable-log.js';
import { projectMaterializeFn } from './routes/materialize.js';

export const DEFAULT_HOST = '127.0.0.1';
export const DEFAULT_PORT = 6567;
const DROP_SWEEP_MS = 15_000;
const DAY_MS = 86_400_000;
const HELD_BACK_SWEEP_MS = 60_000;
const SHUTDOWN_GRACE_MS = 30_000;
const HEADERS_TIMEOUT_MS = 20_000;
const REQUEST_TIMEOUT_MS = 30_000;

export interface ServeOptions {
  host?: string;
  port?: number;
  /** No per-request log lines (errors and lifecycle only). */
  quiet?: boolean;
  /** Run view schedules (default true). */
  scheduler?: boolean;
  /** Destination of the pino log (default stdout). */
  logger?: Logger;
  /** How often pending online drops are retried (default 15 s; see `dropPendingViews`). */
  dropSweepMs?: number;
  /** How often the quality log is pruned when `quality_log.keep_days` is set (default daily; also once at start). */
  pruneEveryMs?: number;
  /** How often summaries of alert matches held back by `min_interval` are sent when due (default every minute). */
  heldBackSweepMs?: number;
  /** On close, how long open requests (a dataset streaming to a client that stopped reading) may take before their connections are cut (default 30 s). */
  shutdownGraceMs?: number;
}

export interface RunningServer {
  readonly url: string;
  readonly host: string;
  readonly port: number;
  readonly app: FeatureguardApp;
  readonly scheduler: Scheduler | null;
  /** The server's log (pino): lifecycle messages of the caller (a signal received) belong in it too. */
  readonly log: Logger;
  /** How long `close` lets open requests run before cutting their connections. */
  readonly shutdownGraceMs: number;
  /**
   * Stop accepting, let the work under way finish (open requests up to `shutdownGraceMs`), then close. Rejects
   * (`shutdown_grace_expired`) when requests were still open at the end of the grace time: their connections
   * were cut, and the caller should fail what still runs (`serve` exits as on a second signal).
   */
  close(): Promise<void>;
}

/** True for 127.0.0.0/8, ::1 and `localhost`, however an IPv6 address is spelt (`0:0:0:0:0:0:0:1`, `::ffff:127.0.0.2`). */
export function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (h === 'localhost' || /^127(\.\d{1,3}){3}$/.test(h)) return true;
  if (!isIPv6(h)) return false;
  // One IPv6 address has many spellings: compared in the URL standard's canonical one (`[::1]`, a mapped IPv4
  // address in hex). An address URL cannot take (a zone id) is not counted as loopback.
  let canonical: string;
  try {
    canonical = new URL(`http://[${h}]`).hostname;
  } catch {
    return false;
  }
  return canonical === '[::1]' || /^\[::ffff:7f[0-9a-f]{2}:[0-9a-f]{1,4}\]$/.test(canonical);
}

/**
 * The address to listen on as given in a URL or a config: `[::1]` is `::1`, and an IPv4-mapped IPv6 address
 * (`::ffff:127.0.0.1`) is the IPv4 address it maps (clients reach it so, and the Host header it would need,
 * `[::ffff:127.0.0.1]`, is one Node refuses).
 */
export function listenHost(host: string): string {
  const bare = host.replace(/^\[(.*)\]$/, '$1');
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(bare);
  return mapped ? mapped[1] : bare;
}

/**
 * Refuse to listen beyond loopback while no API key exists.
 * Returns whether keys must be required regardless of the key count.
 */
export function checkBinding(project: Project, host: string): { requireKeys: boolean } {
  if (isLoopback(host)) return { requireKeys: false };
  if (keyStoreFor(project.state).activeCount() === 0) {
    throw new InputError(
      `refusing to listen on ${host} without API keys: anyone who can reach it could read and write features. ` +
        `Create a key first ('featureguard keys create --scope admin'), or listen on 127.0.0.1.`,
      { host },
      'no_api_keys',
    );
  }
  return { requireKeys: true };
}

/**
 * Whether requests need a key as the server starts, for its startup line: `required (3 active)`, or on a loopback
 * server without keys `none: loopback only (required once a key is created)`.
 */
function keysRequirement(project: Project, requireKeys: boolean): string {
  const active = keyStoreFor(project.state).activeCount();
  return requireKeys || active > 0 ? `required (${active} active)` : 'none: loopback only (required once a key is created)';
}

/**
 * The answer to a request no route could be given (@hono/node-server cannot make a URL of it: a backslash in
 * the path, a Host header that is no host), in the API's error shape instead of a bare 400; anything else that
 * escaped the app is a logged 500.
 */
function unroutable(e: unknown, log: Logger): Response {
  const bad = e instanceof RequestError;
  if (!bad) log.error({ err: e }, 'request failed');
  const body = { error: { code: bad ? 'bad_request' : 'internal', message: bad ? `malformed request: ${(e as Error).message}` : 'internal error', details: null } };
  return new Response(JSON.stringify(body), { status: bad ? 400 : 500, headers: { 'content-type': 'application/json', connection: 'close' } });
}

/**
 * The listener, with an HTTP/1.1 request that has no Host header (the protocol requires one) answered 400
 * `bad_request` in the API's error shape. Node's own check (`requireHostHeader`) answers a bare 400 with an
 * empty body, so it is off and this one stands in for it; HTTP/1.0 needs no Host.
 */
function refusingNoHost(listener: (req: IncomingMessage, res: ServerResponse) => void): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    if (req.headers.host !== undefined || req.httpVersionMajor !== 1 || req.httpVersionMinor < 1) return listener(req, res);
    const body = JSON.stringify({ error: { code: 'bad_request', message: 'malformed request: an HTTP/1.1 request needs a Host header', details: null } });
    res.writeHead(400, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), connection: 'close' }).end(body);
  };
}

/** How long a request whose connection was cut at the end of the grace time gets to record how it ended. */
const CUT_SETTLE_MS = 2_000;

interface RequestTracker {
  /** Requests being handled. */
  readonly pending: number;
  /** Answers from now on close their connection (a keep-alive one would bring new requests), idle ones close. */
  closing(): void;
  /** Resolves when no request is being handled, or after `ms`. */
  idle(ms: number): Promise<void>;
}

/**
 * The requests `server` handles, each from its start to the end of its answer (a streamed body included),
 * whatever became of its connection: a handler whose connection was cut still has a build to stop and a run
 * to record. Wraps the server's request listener (the app's).
 */
function trackRequests(server: Server): RequestTracker {
  const pending = new Map<Promise<void>, ServerResponse>();
  let closing = false;
  const [handle] = server.listeners('request') as RequestListener[];
  server.removeListener('request', handle);
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    if (closing) res.setHeader('connection', 'close');
    // Until its body has ended too (a streamed dataset): the listener lets go of a cut stream before its run
    // is recorded.
    const done: Promise<void> = Promise.resolve(handle.call(server, req, res))
      .then(() => bodyEnded(res), () => bodyEnded(res))
      .finally(() => {
        pending.delete(done);
        // Its connection, kept alive, is idle once the answer is out.
        if (closing) setImmediate(() => server.closeIdleConnections());
      });
    pending.set(done, res);
  });
  return {
    get pending() {
      return pending.size;
    },
    closing() {
      closing = true;
      for (const res of pending.values()) if (!res.headersSent) res.setHeader('connection', 'close');
      server.closeIdleConnections();
    },
    async idle(ms) {
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)));
      await Promise.race([Promise.all([...pending.keys()]), late]).finally(() => clearTimeout(timer));
    },
  };
}

/** How often Node checks requests against `headersTimeout`/`requestTimeout`. */
const TIMEOUT_CHECK_MS = 2_000;

/** Start serving a project (see the module comment). */
export async function startServer(project: Project, options: ServeOptions = {}): Promise<RunningServer> {
  const host = listenHost(options.host ?? project.config.server?.host ?? DEFAULT_HOST);
  const port = options.port ?? project.config.server?.port ?? DEFAULT_PORT;
  const { requireKeys } = checkBinding(project, host);
  const log = options.logger ?? pino({ name: 'featureguard', level: 'info' });

  // Open the online store before anything starts (the first request does not pay for it): a store that is down
  // at start fails the start, before the scheduler's timers could keep a process alive that never listens.
  await project.onlineStore();
  // Set by close(): the alert work of the sweeps (and of this start) stops between batches and cuts the tries in
  // flight, leaving what was not delivered kept for the next process, so a backlog against a receiver that does
  // not answer cannot hold a SIGTERM past its grace time. The alerts of the server's materializations (scheduled
  // or started over HTTP) too: a receiver that never answers held a stop 5 s per try.
  const stopping = new AbortController();
  const stop = { signal: stopping.signal };
  const materializeFn = projectMaterializeFn(project);
  // The alerts of the server's materializations (scheduled or over HTTP) go out beside them, in the app's background
  // work (`close` cuts and awaits them): a receiver that never answers kept a job `running` for 5 s per try, and a
  // scheduled run's slot with it. `app` is made below, before anything can start a job (nothing awaits between).
  const deliverAlerts = (delivery: Promise<unknown>) => app.context.background.track(delivery);
  const jobs = createMaterializeJobs((o, trigger) => materializeFn({ ...o, alertSignal: stopping.signal, deliverAlerts }, trigger));
  // A materialization started over HTTP ends in the background: its end is logged, as a scheduled one's is.
  jobs.onJobFinished = (job) => {
    if (job.trigger !== 'api') return;
    const runs = job.runs.map((r) => ({ view: r.view, id: r.run_id, status: r.status, message: r.message ?? undefined }));
    const level = job.status === 'failed' ? 'error' : runs.some((r) => r.status === 'blocked') ? 'warn' : 'info';
    log[level]({ job: job.id, status: job.status, runs, error: job.error ?? undefined }, job.status === 'failed' ? 'materialization failed' : 'materialization finished');
  };
  const scheduler = options.scheduler === false
    ? null
    : startScheduler(project.registry, jobs, {
      runs: project.runs,
      // In the online store's epoch, as an incremental materialization counts it: a store that lost its values
      // (a Redis restarted without persistence) is caught up. An epoch that cannot be read now covers nothing
      // (the windows of every epoch would): the catch-up runs, and fails saying so if the store still does not
      // answer.
      materializedUntil: async (view) => {
        const epoch = await project.onlineStore().then((s) => s.epoch()).then((e) => e, () => null);
        return epoch === null ? null : lastMaterializedEnd(project.state, view, epoch);
      },
      log: (msg, fields, level = 'info') => log[level](fields ?? {}, msg),
    });
  const unavailable = unavailableLog((level, fields, msg) => log[level](fields, msg));
  const app = createApp(project, {
    requireKeys,
    jobs,
    scheduler: scheduler ?? undefined,
    requestLog: options.quiet ? undefined : (line) => log.info(line, 'request'),
    // A 503 of a known kind (the store down, the server stopping) is a condition, logged as one (unavailable-log.ts).
    // Both name the runs the request made (a push that failed after its run was recorded), as its request line does.
    errorLog: (err, c) => (isFeatureguardError(err) && err.status === 503
      ? unavailable(err, c.req.method, loggedPath(c.req.path), requestRuns(c))
      : log.error({ err, method: c.req.method, path: loggedPath(c.req.path), ...requestRuns(c) }, 'request failed')),
  });

  let server: ServerType;
  try {
    server = await new Promise((resolve, reject) => {
      // Node looks for requests past their timeouts every 30 s by default: a stalled client was cut 50-60 s in.
      const listener = getRequestListener(app.fetch, { hostname: host, errorHandler: (e) => unroutable(e, log) });
      const s = createServer({ connectionsCheckingInterval: TIMEOUT_CHECK_MS, requireHostHeader: false }, refusingNoHost(listener));
      s.listen(port, host, () => resolve(s));
      s.once('error', reject);
    });
  } catch (e) {
    // Nothing may keep the process alive once it cannot listen (the scheduler's timers would).
    await scheduler?.stop();
    const err = e as NodeJS.ErrnoException;
    const why = err.code === 'EADDRINUSE' ? 'the port is in use (another featureguard serve?)' : err.code === 'EADDRNOTAVAIL' || err.code === 'ENOTFOUND' ? 'no such address on this machine' : err.code === 'EACCES' ? 'permission denied (ports below 1024 need privileges)' : err.message;
    throw new FeatureguardError('listen_failed', `cannot listen on ${host}:${port}: ${why}`, { status: 500, exitCode: 3, details: { host, port, code: err.code ?? null } });
  }
  // A client that declares a body and stalls (or trickles headers) is cut off instead of holding a socket for
  // Node's default 300 s; responses (a dataset stream) are not limited by these.
  const http = server as ServerType & { requestTimeout: number; headersTimeout: number };
  answerClientErrors(server as Parameters<typeof answerClientErrors>[0]);
  http.headersTimeout = HEADERS_TIMEOUT_MS;
  // At least 30 s, and enough for the largest accepted body at 100 KB/s (a raised server.body_limit).
  http.requestTimeout = Math.max(REQUEST_TIMEOUT_MS, Math.ceil((app.context.limits.bodyLimit / 100_000) * 1000));
  const requests = trackRequests(server as Server);
  const address = server.address() as AddressInfo;
  const shownHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const url = `http://${shownHost}:${address.port}`;
  log.info({ url, keys: keysRequirement(project, requireKeys), scheduler: scheduler !== null }, 'featureguard serving');
  // Before any delivery: every alert whose secret_env is unset here goes out unsigned (one warn line each).
  warnUnsignedAlerts(project.config.alerts ?? [], (msg, fields) => log.warn(fields, msg));

  // Runs a killed process left `running`, of every kind (`RUN_KINDS`: materializations, dataset builds, pushes,
  // checks, compactions; materializations are also failed when their lease is taken over), are failed now, rather
  // than shown running for good, and send their alerts beside the traffic (`serve` waits for them when it stops;
  // no alert selects a compaction's). Only once serving: a start that fails (the port in use, the store down)
  // leaves them to the next process, alerts included.
  // In the background (`close` awaits it): failing them waits for the state database's write lock, which another
  // process (an apply, a backup) may hold for long; that wait held startServer after its 'featureguard serving'
  // line, and with it the CLI's stop handlers. It ends once the server stops (the runs left to the next process).
  const failOrphans = async () => {
    const orphans = await failOrphanedRunsWhenFree(project.state, Date.now(), stop).catch((err: unknown) => {
      log.warn({ err }, 'failing the runs of processes that stopped failed; retrying in the next sweep');
      return [];
    });
    if (orphans.length) log.info({ runs: orphans }, 'marked failed the runs of processes that stopped');
    // Slots passed while no scheduler ran, once serving (a start that fails materializes nothing) and once the runs
    // of a killed process are failed (its crashed run covers nothing).
    if (scheduler && !stopping.signal.aborted) void scheduler.catchUp().catch((err: unknown) => log.error({ err }, 'scheduler catch-up failed'));
    if (!stopping.signal.aborted) await sendDueAlerts(project, stop);
  };
  void app.context.background.track(failOrphans());

  // Drops left pending (a run whose process died, a store that was down) are retried in the background; runs
  // of a process killed meanwhile (a CLI materialization, out of memory) are failed and alerted; alerts whose
  // every try failed are redelivered when due (`redelivery.ts`).
  const sweep = repeat(
    async () => {
      const later = await failOrphanedRunsWhenFree(project.state, Date.now(), stop);
      if (later.length) log.info({ runs: later }, 'marked failed the runs of processes that stopped');
      await sendDueAlerts(project, stop);
      try {
        const re = await sendDueRedeliveries(project, stop);
        if (re.delivered + re.failed + re.given_up + re.held_back > 0) log.info({ delivered: re.delivered, failed: re.failed, given_up: re.given_up, held_back: re.held_back }, 'redelivered alerts');
      } catch (err) {
        // Its own failure (the state database busy for long): the drops below still run.
        log.warn({ err }, 'alert redelivery failed; retrying in the next sweep');
      }
      const { dropped, failed } = await dropPendingViews(project, 0);
      if (dropped.length) log.info({ views: dropped }, 'dropped pending online values');
      for (const { view, error } of failed) log.warn({ view, error }, 'pending online drop failed; retrying later');
    },
    options.dropSweepMs ?? DROP_SWEEP_MS,
    { onError: (err) => log.warn({ err }, 'pending online drop sweep failed') },
  );

  // Retention of the quality log (`quality_log.keep_days`): at start, then daily, in chunks of 500 runs with
  // the event loop free between them, so requests wait at most for one chunk.
  const retention = project.config.quality_log;
  const prune = retention
    ? repeat(
        async () => {
          const r = await pruneRunsInBackground(project.state, { before: new Date(Date.now() - retention.keep_days * DAY_MS), keep: retention.keep_runs });
          if (r.deleted || r.trimmed) log.info({ deleted: r.deleted, trimmed: r.trimmed, before: r.before }, 'pruned the quality log');
        },
        options.pruneEveryMs ?? DAY_MS,
        { atStart: true, onError: (err) => log.warn({ err }, 'pruning the quality log failed; retrying tomorrow') },
      )
    : null;

  // Alert matches held back by `min_interval`: a summary once the interval has ended (`held-back.ts`), also for an
  // alert whose min_interval was removed since (what it held back is sent at once).
  const heldBack = heldBackToSweep(project.state, project.config.alerts ?? [])
    ? repeat(
        async () => {
          const attempts = await sendHeldBackSummaries(project, Date.now(), stop);
          if (attempts.length) log.info({ attempts: attempts.length, ok: attempts.filter((a) => a.ok).length }, 'sent held-back alert summaries');
        },
        options.heldBackSweepMs ?? HELD_BACK_SWEEP_MS,
        { onError: (err) => log.warn({ err }, 'held-back alert summaries failed; retrying') },
      )
    : null;

  let closing: Promise<void> | undefined;
  const shutdownGraceMs = options.shutdownGraceMs ?? SHUTDOWN_GRACE_MS;
  return {
    url,
    shutdownGraceMs,
    log,
    host,
    port: address.port,
    app,
    scheduler,
    close() {
      closing ??= (async () => {
        // At once: no new connections, cron slots, background runs or materializations, `/ready` 503 (a SIGTERM
        // had the server listening and starting runs for as long as a scheduled run took). The work under way
        // (the fires, jobs, requests, sweeps) is awaited below.
        jobs.close();
        stopping.abort();
        const fires = scheduler?.stop();
        const background = Promise.all([sweep.stop(), prune?.stop(), heldBack?.stop()]);
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        requests.closing();
        // A client that stopped reading, or a request still working, would hold the close for as long as it
        // likes: its connection is cut after the grace time, which cancels its work (a dataset build).
        let cut = 0;
        const timer = setTimeout(() => {
          cut = requests.pending;
          (server as Server).closeAllConnections();
        }, shutdownGraceMs);
        timer.unref();
        await closed;
        clearTimeout(timer);
        // Handlers outlive their connection: the project must not be closed under them (their runs were left
        // `running`). A cut one gets a moment to record how it ended.
        await requests.idle(cut > 0 ? CUT_SETTLE_MS : shutdownGraceMs + CUT_SETTLE_MS);
        await fires;
        await app.context.jobs.idle();
        await app.context.background.idle();
        // The sweep, prune and summaries running now, if any, finish before the project can be closed under them.
        await background;
        if (cut > 0) {
          throw new FeatureguardError('shutdown_grace_expired', `${cut} request(s) still open after the ${shutdownGraceMs / 1000} s grace time were cut${requests.pending > 0 ? `; ${requests.pending} still running` : ''}`, { details: { cut, running: requests.pending } });
        }
        log.info('featureguard stopped');
      })();
      return closing;
    },
  };
}
