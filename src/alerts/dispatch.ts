/**
 * Alerts (retraining triggers): when a run finishes (after its online write for
 * materializations and pushes, after the guards otherwise), every alert of
 * `featureguard.yaml` whose filter matches gets the run summary POSTed as JSON,
 * signed with HMAC-SHA256 (`X-Featureguard-Signature`), retried with backoff
 * (3 tries), and unless one arrived, redelivered for a day (`redelivery.ts`).
 * Every attempt is recorded; delivery problems never fail the run. The records wait
 * for another process's write lock on the state database on a timer (`writeWhenFree`),
 * never in SQLite's synchronous busy wait: a server alerting goes on answering requests.
 *
 * @example
 * # featureguard.yaml
 * alerts:
 *   - name: retrain
 *     url: https://ml.example.com/hooks/retrain
 *     secret_env: FG_WEBHOOK_SECRET
 *     checks: [drift]
 *     statuses: [fail]
 *     services: [delay_model]
 *
 * Filters: `views` keeps runs of those feature views. `services` keeps runs of
 * those services (dataset builds, `check --dataset`) and runs of the feature
 * views they consume in the current registry — every view named by a feature
 * reference (`view`, `view:*`, `view:feature`) or by the label — with per-feature
 * results limited to the features the service uses (results about keys,
 * timestamps or the whole view are kept; `drift.drift_share` only when one of
 * its drifted features is used). So a drift `fail` on a served feature's
 * materialization fires the service's retraining trigger. Given both, a run must
 * pass both filters. `checks` and `statuses` then pick the results.
 */
import { featuresOfView } from '../definitions/definition-set.js';
import type { AlertConfig, DefinitionSet } from '../definitions/types.js';
import type { Project } from '../project.js';
import { forgetDueAlert, takeProjectDueAlertsWhenFree } from '../runs/run-store.js';
import { writeWhenFree } from '../state/state-db.js';
import type { CheckResult, Run } from '../runs/types.js';
import { onInterrupt } from '../state/interrupt.js';
import { INTERRUPTED, alertTarget, forgetPending, recordAttempt, recordInterruptedTry, recordPending, listAlertAttempts, triesOf, webhookEndpoint } from './attempts.js';
import type { AlertAttempt } from './attempts-types.js';
import { datasetOutputs } from './dataset-outputs.js';
import { countGivenUp } from './given-up.js';
import { firstTriesMs, forgetRedelivery, keptAlerts, redeliveryWindow, releaseRedelivery, scheduleRedelivery } from './redelivery.js';
import { DELIVERY_HEADER, runDeliveryId } from './delivery-id.js';
import { SIGNATURE_HEADER, signBody } from './signature.js';
import { claimLeftoverHeldBack, releaseDeliverySlot, releaseHeldBack, settleDeliverySlot, settleHeldBack, takeDeliverySlot, throttles } from './throttle.js';
import { warnUnsignedOnce } from './unsigned.js';

export { listAlertAttempts, type AlertAttempt };

export interface AlertOptions {
  /** Tries per alert (default 3). */
  tries?: number;
  /** First backoff in ms, doubled each retry (default 500, or FEATUREGUARD_ALERT_BACKOFF_MS). */
  backoffMs?: number;
  /** Per-attempt timeout (default `DELIVERY_TIMEOUT_MS`, 5 s). */
  timeoutMs?: number;
  /** The number of the first try (default 1; a redelivery continues the run's count). */
  firstAttempt?: number;
  /**
   * Stops the delivery (`serve` stopping): the try in flight is cut and recorded as interrupted, no more are made;
   * what was not delivered stays kept (a redelivery, a min_interval count) for the next process.
   */
  signal?: AbortSignal;
  /**
   * Said on every attempt's record, before any error: what was sent when it is not the run's own delivery (a
   * held-back summary recorded on its latest run), so `runs show` does not credit it to the run.
   */
  note?: string;
  /** The delivery's id (`delivery-id.ts`), sent as `X-Featureguard-Delivery` on every try. */
  deliveryId?: string;
  /** The `min_interval` slot the delivery counts in (`alertTarget`), recorded with each attempt. */
  target?: string;
}

export interface RunOutcome {
  /** null: the run ended before its guards judged it (`NOT_JUDGED`). */
  verdict: 'pass' | 'warn' | 'block' | null;
  results: readonly CheckResult[];
  blockedReason?: string | null;
}

/**
 * The outcome of a run that ended before its guards judged it (a source that could not be read, a store that
 * was down): it has no check results, so only an alert on its run-level status (`statuses: [failed]`) matches.
 */
export const NOT_JUDGED: RunOutcome = { verdict: null, results: [], blockedReason: null };

const RUN_STATUS = { pass: 'success', warn: 'warned', block: 'blocked' } as const;

/** A run's status for alerts: its final one, or while it is still running the guards' verdict. */
function statusOf(run: Run, outcome: RunOutcome): string {
  return run.status === 'running' && outcome.verdict !== null ? RUN_STATUS[outcome.verdict] : run.status;
}

/** The registry parts `matchAlert` needs to resolve a `services` filter for view runs. */
export type AlertRegistry = Pick<DefinitionSet, 'services' | 'views'>;

/**
 * Results that match an alert's filter (views/services gate the run,
 * checks/statuses pick results), or null. `registry` (the current definitions)
 * lets a `services` filter match runs of the views those services consume.
 *
 * @example
 * const matched = matchAlert(alert, project.runs.get(runId), outcome, project.registry.current());
 */
export function matchAlert(alert: AlertConfig, run: Run, outcome: RunOutcome, registry?: AlertRegistry): CheckResult[] | null {
  if (alert.views?.length && !(run.view && alert.views.includes(run.view))) return null;
  const results = alert.services?.length ? serviceResults(alert.services, run, outcome.results, registry) : outcome.results;
  if (!results) return null;
  const statuses = alert.statuses?.length ? alert.statuses : ['fail', 'error'];
  // Run-level statuses (blocked, warned, success, failed) match the whole run: its final status once it
  // finished (a run whose guards passed but whose write failed is `failed`), else the guards' verdict.
  const runStatus = statusOf(run, outcome);
  const checkOk = (r: CheckResult) => !alert.checks?.length || alert.checks.includes(r.check) || (r.method !== null && alert.checks.includes(`${r.check}.${r.method}`));
  const matched = results.filter((r) => checkOk(r) && statuses.includes(r.status));
  if (matched.length > 0) return matched;
  if (!statuses.includes(runStatus)) return null;
  const concerned = results.filter((r) => r.status !== 'pass' && r.status !== 'skipped' && checkOk(r));
  if (!alert.checks?.length) return concerned;
  // `blocked` or `warned` with `checks`: only when one of those checks did not pass (a block by another check is
  // not theirs). `success` or `failed` with `checks`: when those checks ran (a `skipped` result did not run: a
  // view's first materialization has no drift reference).
  if (runStatus === 'blocked' || runStatus === 'warned') return concerned.length > 0 ? concerned : null;
  return results.some((r) => checkOk(r) && r.status !== 'skipped') ? concerned : null;
}

/** The results of a run that concern the named services, or null when the run concerns none of them. */
function serviceResults(names: readonly string[], run: Run, results: readonly CheckResult[], registry: AlertRegistry | undefined): readonly CheckResult[] | null {
  if (run.service) return names.includes(run.service) ? results : null;
  if (!run.view || !registry) return null;
  const view = run.view;
  // The features of this view the services use: their feature references and labels, resolved as datasets resolve them.
  const usedByServices = new Set(
    names.flatMap((name) => {
      const service = registry.services.get(name);
      return service ? featuresOfView(registry, [...service.features, ...(service.label ? [service.label] : [])], view) : [];
    }),
  );
  if (usedByServices.size === 0) return null;
  const features = new Set(registry.views.get(view)?.features.map((f) => f.name) ?? []);
  const used = (feature: string) => !features.has(feature) || usedByServices.has(feature);
  return results.filter((r) => (r.feature === null ? aboutFeatures(r)?.some(used) ?? true : used(r.feature)));
}

/** Features a view-level result is about, when it names them (`drift.drift_share`: the drifted ones). */
function aboutFeatures(r: CheckResult): string[] | null {
  const named = r.details?.drifted_features;
  return Array.isArray(named) && named.length > 0 ? named.map(String) : null;
}

/**
 * The services of an alert's `services` filter a matching run concerns: the run's own service, or those consuming
 * its view whose results match on their own. Empty for an alert without `services`.
 */
export function matchedServices(alert: AlertConfig, run: Run, outcome: RunOutcome, registry?: AlertRegistry): string[] {
  if (!alert.services?.length) return [];
  if (run.service) return alert.services.includes(run.service) ? [run.service] : [];
  return alert.services.filter((name) => matchAlert({ ...alert, services: [name] }, run, outcome, registry) !== null);
}

/**
 * Where a run is on the server: its record in the API, its review page (`/ui`, when the server serves the pages).
 * Absolute URLs under `publicUrl` (`server.public_url`, the address receivers reach the server at, with the path a
 * proxy serves it under); without it, paths relative to the server's address.
 *
 * @example
 * runLinks('3f…', 'https://fg.example.com/team/'); // { api: 'https://fg.example.com/team/v1/runs/3f…', ui: '…/ui/runs/3f…' }
 */
export function runLinks(runId: string, publicUrl?: string): { api: string; ui: string } {
  const id = encodeURIComponent(runId);
  // Normalised as a browser would (host lower-cased, `https://x` gets its `/`), then joined under its path.
  const base = publicUrl === undefined ? '' : new URL(publicUrl).href.replace(/\/+$/, '');
  return { api: `${base}/v1/runs/${id}`, ui: `${base}/ui/runs/${id}` };
}

/**
 * The JSON body POSTed for a run; `services`: those it matched through (an alert with a `services` filter). Each
 * matched result carries its `thresholds` and `policy`, so a receiver sees why it matched without calling back; a
 * dataset build's `run.outputs` names the files it wrote and their manifests.
 */
export function alertPayload(project: Project, alert: AlertConfig, run: Run, outcome: RunOutcome, matched: readonly CheckResult[], services: readonly string[] = []): Record<string, unknown> {
  const status = statusOf(run, outcome);
  return {
    event: 'featureguard.run',
    delivery_id: runDeliveryId(run.id, alert.name),
    alert: alert.name,
    project: project.config.project,
    ...(alert.services?.length ? { services } : {}),
    run: {
      id: run.id, kind: run.kind, view: run.view, service: run.service,
      status,
      started_at: run.started_at, window_start: run.window_start, window_end: run.window_end,
      // A dataset build's files and their manifests: what a retraining job triggered by the build reads.
      ...(run.kind === 'dataset' ? { outputs: datasetOutputs(run, status) } : {}),
    },
    verdict: outcome.verdict,
    blocked_reason: outcome.blockedReason ?? null,
    counts: countStatuses(outcome.results),
    matched: matched.map((r) => ({ check: r.check, method: r.method, feature: r.feature, slice: r.slice, status: r.status, policy: r.policy ?? null, value: r.value, thresholds: r.thresholds ?? null, message: r.message })),
    links: runLinks(run.id, project.config.server?.public_url),
    sent_at: new Date().toISOString(),
  };
}

function countStatuses(results: readonly CheckResult[]): Record<string, number> {
  const c: Record<string, number> = { pass: 0, warn: 0, fail: 0, error: 0, skipped: 0 };
  for (const r of results) c[r.status]++;
  return c;
}

/** The first backoff between tries: the option, `FEATUREGUARD_ALERT_BACKOFF_MS`, or 500 ms. */
export function backoffMs(opts: AlertOptions): number {
  return opts.backoffMs ?? Number(process.env.FEATUREGUARD_ALERT_BACKOFF_MS ?? 500);
}

/** What is read of a receiver's answer before the rest is cut off: nothing in it is used. */
const BODY_READ_BYTES = 4096;

/**
 * Read a few KB of a response's body, then cancel it: a short answer is read whole (the connection can be reused), a
 * large or endless one (a receiver answering with a file) is neither held in memory nor waited for.
 */
async function discardBody(res: Response): Promise<void> {
  if (!res.body) return;
  const reader = res.body.getReader();
  try {
    for (let read = 0; read < BODY_READ_BYTES; ) {
      const chunk = await reader.read();
      if (chunk.done) return;
      read += chunk.value.byteLength;
    }
    await reader.cancel();
  } catch {
    // A body cut short or timed out: the status is what counts.
  }
}

/** How long a try waits for the receiver's answer: a receiver answers at once and does its work afterwards. */
export const DELIVERY_TIMEOUT_MS = 5000;

/** Tries of the record of a try that arrived, `RECORD_RETRY_MS` apart, each waiting for the write lock up to the state database's busy timeout (10 s). */
const RECORD_TRIES = 3;
const RECORD_RETRY_MS = 1000;

/**
 * Record a try that arrived, again while the state database is busy (another process holds it locked longer than
 * its busy wait): unrecorded, the delivery stays kept and is redelivered, a duplicate at the receiver.
 */
async function recordArrived(state: Project['state'], a: AlertAttempt, target?: string): Promise<void> {
  for (let n = 1; ; n++) {
    try {
      await writeWhenFree(state, () => recordAttempt(state, a, target));
      return;
    } catch (e) {
      if ((e as { code?: string }).code !== 'SQLITE_BUSY' || n >= RECORD_TRIES) throw e;
    }
    await new Promise((r) => setTimeout(r, RECORD_RETRY_MS));
  }
}

/** `ms`, or less once `signal` aborts. */
function pause(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}

/** POST one body with retries (none once `opts.signal` aborted); returns the attempts made. */
export async function deliver(state: Project['state'], alert: AlertConfig, runId: string, body: string, opts: AlertOptions = {}): Promise<AlertAttempt[]> {
  const tries = opts.tries ?? 3;
  const backoff = backoffMs(opts);
  const secret = alert.secret_env ? process.env[alert.secret_env] : undefined;
  const headers: Record<string, string> = { 'content-type': 'application/json', 'user-agent': 'featureguard-alerts' };
  if (opts.deliveryId) headers[DELIVERY_HEADER] = opts.deliveryId;
  if (secret) headers[SIGNATURE_HEADER] = signBody(body, secret);
  // Said once per process (serve said it at start), beside the note on the run's first attempt below.
  else warnUnsignedOnce(alert);
  const attempts: AlertAttempt[] = [];
  const endpoint = webhookEndpoint(alert.url);
  const first = opts.firstAttempt ?? 1;
  const timeoutMs = opts.timeoutMs ?? DELIVERY_TIMEOUT_MS;
  const stop = opts.signal;
  for (let attempt = first; attempt < first + tries && !stop?.aborted; attempt++) {
    const started = Date.now();
    const at = new Date(started).toISOString();
    let a: AlertAttempt;
    try {
      // A redirect is not followed: the signed body would go (again, or as a bodiless GET) where the hook did not say.
      const res = await fetch(alert.url, { method: 'POST', headers, body, redirect: 'manual', signal: stop ? AbortSignal.any([AbortSignal.timeout(timeoutMs), stop]) : AbortSignal.timeout(timeoutMs) });
      await discardBody(res);
      const error = res.ok ? null : res.status >= 300 && res.status < 400 ? `HTTP ${res.status} redirect (not followed: set the hook's final URL)` : `HTTP ${res.status}`;
      a = { run_id: runId, alert: alert.name, url: endpoint, attempt, status_code: res.status, ok: res.ok, error, at, duration_ms: Date.now() - started };
    } catch (e) {
      // The request was sent: a receiver that does its work before answering may have got it, and gets it again.
      const timedOut = (e as { name?: string } | null)?.name === 'TimeoutError';
      const raw = stop?.aborted ? INTERRUPTED : timedOut ? `timed out after ${timeoutMs / 1000} s (the receiver may have got it: answer within ${timeoutMs / 1000} s and do the work asynchronously)` : e instanceof Error ? (e.cause instanceof Error ? `${e.message}: ${e.cause.message}` : e.message) : String(e);
      // An error quoting the URL would put its path (often the hook's secret) into the quality log.
      const msg = raw.replaceAll(alert.url, endpoint).replaceAll(URL.canParse(alert.url) ? new URL(alert.url).href : alert.url, endpoint);
      a = { run_id: runId, alert: alert.name, url: endpoint, attempt, status_code: null, ok: false, error: msg, at, duration_ms: Date.now() - started };
    }
    if (alert.secret_env && !secret && attempt === first) a = { ...a, error: `${a.error ? `${a.error}; ` : ''}secret env ${alert.secret_env} is not set: sent unsigned` };
    if (opts.note) a = { ...a, error: a.error ? `${opts.note}: ${a.error}` : opts.note };
    if (a.ok) await recordArrived(state, a, opts.target);
    else await writeWhenFree(state, () => recordAttempt(state, a, opts.target));
    attempts.push(a);
    if (a.ok) break;
    if (attempt < first + tries - 1) await pause(backoff * 2 ** (attempt - first), stop);
  }
  return attempts;
}

/**
 * Fire the alerts of a run once it has its final status (materializations and
 * pushes call this after the online write, so the payload's `run.status` is what
 * happened). Delivery problems are recorded as attempts and never thrown.
 *
 * With `opts.deliverAlerts` (a server's background work) the delivery is handed to it and this resolves once it
 * resolves, instead of waiting for the receiver: a receiver that never answers (5 s per try) kept a materialization
 * job `running`. The caller then owns the delivery; `opts.signal` still cuts its tries.
 *
 * @example
 * await alertFinishedRun(project, run.id, guard, { signal: stopping.signal, deliverAlerts: (d) => background.track(d) });
 */
export async function alertFinishedRun(project: Project, runId: string, outcome: RunOutcome, opts: FinishedRunAlertOptions = {}): Promise<void> {
  const { deliverAlerts, ...alertOptions } = opts;
  const delivery = fireAlerts(project, runId, outcome, alertOptions).catch(() => undefined);
  await (deliverAlerts ? deliverAlerts(delivery) : delivery);
}

/** `alertFinishedRun`'s options: those of a delivery, and who takes it over. */
export interface FinishedRunAlertOptions extends AlertOptions {
  /** Take over the delivery instead of waiting for it (see `alertFinishedRun`); resolves when the run may go on. */
  readonly deliverAlerts?: (delivery: Promise<unknown>) => Promise<void>;
}

/**
 * Send the alerts that are due (`takeDueAlerts`): of runs failed for their process — killed (`failOrphanedRuns`),
 * a lease taken over, or interrupted by a signal whose handler could only mark them. Each is taken by one
 * process. A process without alerts in its featureguard.yaml leaves them to one that has them. Never throws. Once
 * `opts.signal` aborts, the wait for the write lock to take them ends too (they stay due for the next process).
 */
export async function sendDueAlerts(project: Project, opts: AlertOptions = {}): Promise<void> {
  const due = await takeProjectDueAlertsWhenFree(project, { signal: opts.signal });
  if (due.length > 0) await alertOrphanedRuns(project, due, opts);
}

/**
 * Fire the alerts of runs that were failed for their process (see `sendDueAlerts`): with the check results they
 * recorded before it stopped, and no verdict (an alert on `statuses: [failed]` matches, as for any run that
 * failed before its guards judged it). Never throws. A run's due mark is forgotten once its alerts were fired
 * (each delivery kept for redelivery, held back, or tried and recorded): a process stopped before leaves it to
 * the next one once its hold ran out, which sends only what was not stored (an alert fires once per run).
 */
export async function alertOrphanedRuns(project: Project, runIds: readonly string[], opts: AlertOptions = {}): Promise<void> {
  if (!project.config.alerts?.length) return;
  await Promise.allSettled(
    runIds.map(async (id) => {
      const run = project.runs.get(id);
      // A run with the guards off alerts nothing, as when it ends normally.
      if (run.options?.guards !== false) await fireAlerts(project, id, { verdict: null, results: project.runs.results(id), blockedReason: null }, opts);
      await forgetDueAlert(project.state, id);
    }),
  );
}

/** Fire every matching alert of the project for a run (alerts run concurrently). */
export async function fireAlerts(project: Project, runId: string, outcome: RunOutcome, opts: AlertOptions = {}): Promise<AlertAttempt[]> {
  const alerts = project.config.alerts ?? [];
  if (alerts.length === 0) return [];
  const run = project.runs.get(runId);
  const registry = alerts.some((a) => a.services?.length) && !run.service && run.view ? project.registry.current() : undefined;
  // An alert fires once per run: one that was tried (or held back) for it already is not sent again — a run
  // whose process was killed after its guards alerted, then marked failed, or a materialization that resumed
  // after the next one took its lease over and alerted it.
  // One with a delivery kept for redelivery (its process was killed with the first try on the wire) is sent from there.
  const fired = new Set([...listAlertAttempts(project, runId).map((a) => a.alert), ...keptAlerts(project.state, runId)]);
  const free = <T>(write: () => T) => writeWhenFree(project.state, write);
  const jobs = alerts.map(async (alert) => {
    if (fired.has(alert.name)) return [];
    const matched = matchAlert(alert, run, outcome, registry);
    if (!matched) return [];
    // A `services:` alert throttles per service: a model's trigger, whichever of its views matched.
    const services = matchedServices(alert, run, outcome, registry);
    const target = alertTarget(run, services);
    const hold = firstTriesMs(opts.tries ?? 3, opts.timeoutMs ?? DELIVERY_TIMEOUT_MS, backoffMs(opts));
    const slot = await free(() => takeDeliverySlot(project.state, alert, target, Date.now(), hold));
    if (!slot.send) {
      const held: AlertAttempt = {
        run_id: runId, alert: alert.name, url: webhookEndpoint(alert.url), attempt: 0, status_code: null, ok: false,
        error: `not sent: within min_interval ${alert.min_interval} of the delivery at ${slot.lastSentAt}; counted in the next one`, at: new Date().toISOString(), duration_ms: 0,
      };
      await free(() => recordAttempt(project.state, held, target));
      return [held];
    }
    const payload = alertPayload(project, alert, run, outcome, matched, services);
    // Matches held back by a min_interval the alert no longer has (removed, or set to 0): this delivery reports them.
    const leftover = throttles(alert) ? null : await free(() => claimLeftoverHeldBack(project.state, alert, target, Date.now(), hold));
    const suppressed = throttles(alert) ? slot.suppressed : leftover?.suppressed;
    const body = JSON.stringify(suppressed === undefined ? payload : { ...payload, suppressed });
    const endLeftover = (arrived: boolean) => {
      if (leftover) (arrived ? settleHeldBack : releaseHeldBack)(project.state, alert, leftover);
    };
    // Kept for redelivery before the first try and forgotten once one arrives (an outbox): a delivery whose every
    // try fails, or whose process is stopped or killed meanwhile, is sent again (`redelivery.ts`). A min_interval
    // alert's match is recorded on the run as held back instead (its slot counts it so too) until a try arrives or
    // fails: a process killed meanwhile leaves it to the next delivery or held-back summary.
    await free(() => scheduleRedelivery(project.state, alert, runId, body, Date.now(), hold));
    const pending = slot.claim ? await free(() => recordPending(project.state, alert, runId, target)) : null;
    const unpend = () => {
      if (pending !== null) forgetPending(project.state, pending);
    };
    // Neither kept for redelivery nor counted by min_interval (`redeliver_for: 0`): a delivery that did not arrive is given up.
    const lost = slot.claim === null && redeliveryWindow(alert) <= 0;
    // Stopped while delivering (Ctrl-C, a second signal to serve): the try in flight is recorded as interrupted
    // and the slot given back, as for a delivery whose every try failed, so the match is counted in the next one
    // (or, without min_interval, redelivered).
    const undo = onInterrupt(() => {
      recordInterruptedTry(project.state, alert, runId, triesOf(project, runId, alert.name) + 1);
      unpend();
      releaseDeliverySlot(project.state, alert, target, slot);
      endLeftover(false);
      if (lost) countGivenUp(project.state, alert.name, 1);
    });
    try {
      const attempts = await deliver(project.state, alert, runId, body, { ...opts, deliveryId: runDeliveryId(runId, alert.name), target });
      if (attempts.some((a) => a.ok)) {
        await free(() => forgetRedelivery(project.state, alert, runId));
        await free(() => settleDeliverySlot(project.state, alert, target, slot));
        await free(() => endLeftover(true));
      } else {
        await free(() => releaseDeliverySlot(project.state, alert, target, slot));
        await free(() => endLeftover(false));
        await free(() => releaseRedelivery(project.state, alert, runId, attempts[attempts.length - 1]?.attempt ?? 0));
        if (lost) await free(() => countGivenUp(project.state, alert.name, 1));
      }
      await free(unpend);
      return attempts;
    } finally {
      undo();
    }
  });
  return (await Promise.all(jobs)).flat();
}
