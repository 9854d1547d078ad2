/**
 * Freshness gauges on `GET /metrics`, read from the state database at scrape time
 * (so materializations run by the CLI, another server or the scheduler all count):
 * per online view, how far it is materialized, the newest event its online values hold, when its last
 * materialization succeeded, and whether its newest finished one was blocked; and per alert, the
 * deliveries that have not arrived and those given up. A stale-data alert is
 * `time() - featureguard_view_newest_event_seconds > 7200` (the windows' end, `materialized_until`, moves with
 * every run, also when upstream stopped producing rows: it tells a stopped scheduler, not stale data).
 *
 * @example
 * registerFreshnessGauges(metrics.registry, project);
 */
import { Counter, Gauge, type Registry } from 'prom-client';
import { givenUpByAlert } from '../alerts/given-up.js';
import { undeliveredByAlert } from '../alerts/redelivery.js';
import { lastMaterializedEnd } from '../materialize/intervals.js';
import type { Project } from '../project.js';
import { newestEventReader } from '../runs/newest-event.js';
import { ensureRunTables } from '../runs/run-store.js';

const seconds = (iso: string | null | undefined) => (iso ? Date.parse(iso) / 1000 : null);

/** How long a scrape waits for the online store's epoch: a scrape answers even while the store hangs. */
const EPOCH_TIMEOUT_MS = 1_000;

/** `work`, or a rejection once `ms` have passed (the work goes on, its outcome ignored). */
function withinMs<T>(work: Promise<T>, ms: number): Promise<T> {
  work.catch(() => undefined); // settles after the timeout: never an unhandled rejection
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

/** The names of the project's online views now, sorted (the gauges' views, and the counters' zero series). */
export function onlineViewNames(project: Project): string[] {
  return [...project.registry.current().views.values()].filter((v) => v.online === true).map((v) => v.name).sort();
}

/** Every `VIEWS_PER_TURN` views, the event loop's turn: a scrape of many views does not hold requests up. */
const VIEWS_PER_TURN = 50;
const breather = (i: number) => (i > 0 && i % VIEWS_PER_TURN === 0 ? new Promise<void>((r) => setImmediate(r)) : undefined);

export function registerFreshnessGauges(registry: Registry, project: Project): void {
  const views = () => onlineViewNames(project);
  /** The online store's epoch, or null when it does not answer within EPOCH_TIMEOUT_MS. */
  const storeEpoch = async (): Promise<string | null> => {
    try {
      return await withinMs((async () => (await project.onlineStore()).epoch())(), EPOCH_TIMEOUT_MS);
    } catch {
      return null;
    }
  };
  /**
   * Per online view, `value` of its newest materialization with one of `statuses` (views without one, or whose
   * value is null, left out). Read by the index runs_view_kind (view, kind, started_at): the view's
   * materializations only, newest first, never its push runs. Set by the caller once all are read: a concurrent
   * scrape cannot see a gauge half filled.
   */
  const perView = async (statuses: string, value: (row: { status: string; finished_at: string | null }) => number | null) => {
    ensureRunTables(project.state);
    const q = project.state.prepare(`SELECT status, finished_at FROM runs WHERE view = ? AND kind = 'materialize' AND status IN (${statuses}) ORDER BY started_at DESC, rowid DESC LIMIT 1`);
    const values: [string, number][] = [];
    for (const [i, view] of views().entries()) {
      await breather(i);
      const row = q.get(view) as { status: string; finished_at: string | null } | undefined;
      const v = row ? value(row) : null;
      if (v !== null) values.push([view, v]);
    }
    return values;
  };
  new Gauge({
    name: 'featureguard_view_materialized_until_seconds',
    help: 'End of the latest window materialized into the online store (unix seconds), per online view',
    labelNames: ['view'] as const,
    registers: [registry],
    async collect() {
      this.reset();
      // Windows written into the store as it is now (its epoch): after Redis lost its data (a restart without
      // persistence) the view counts as never materialized, as `--incremental` counts it, not as fresh. A store
      // that does not answer, or not within EPOCH_TIMEOUT_MS, reports no value (alert on its absence as on staleness).
      const epoch = await storeEpoch();
      if (epoch === null) return;
      for (const view of views()) {
        const end = lastMaterializedEnd(project.state, view, epoch);
        if (end) this.set({ view }, end.getTime() / 1000);
      }
    },
  });
  const newest = newestEventReader(project.state);
  new Gauge({
    name: 'featureguard_view_newest_event_seconds',
    help: 'Newest event timestamp of the rows written to the online store (unix seconds), per online view, from its materializations and online pushes: an empty window does not move it',
    labelNames: ['view'] as const,
    registers: [registry],
    async collect() {
      // As materialized_until: runs written into the store as it is now, and no value while it does not answer.
      const epoch = await storeEpoch();
      const values: [string, number][] = [];
      if (epoch !== null) {
        for (const [i, view] of views().entries()) {
          await breather(i);
          const ms = newest.read(view, epoch);
          if (ms !== null) values.push([view, ms / 1000]);
        }
      }
      this.reset();
      for (const [view, t] of values) this.set({ view }, t);
    },
  });
  new Gauge({
    name: 'featureguard_view_last_success_seconds',
    help: 'When the last successful (or warned) materialization of the view finished (unix seconds)',
    labelNames: ['view'] as const,
    registers: [registry],
    async collect() {
      const values = await perView("'success', 'warned'", (row) => seconds(row.finished_at));
      this.reset();
      for (const [view, t] of values) this.set({ view }, t);
    },
  });
  new Gauge({
    name: 'featureguard_view_last_run_blocked',
    help: '1 when the newest finished materialization of the view was blocked by the guards (or failed), else 0',
    labelNames: ['view'] as const,
    registers: [registry],
    async collect() {
      const values = await perView("'success', 'warned', 'blocked', 'failed'", (row) => (row.status === 'blocked' || row.status === 'failed' ? 1 : 0));
      this.reset();
      for (const [view, v] of values) this.set({ view }, v);
    },
  });
  // Retraining triggers that did not arrive: deliveries in flight or waiting to be redelivered, and min_interval
  // matches held back while the receiver does not get their deliveries, per alert.
  new Gauge({
    name: 'featureguard_alert_undelivered',
    help: 'Alert deliveries that have not arrived yet (in flight, waiting to be redelivered, or min_interval matches held back while deliveries fail), per alert',
    labelNames: ['alert'] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const a of undeliveredByAlert(project)) this.set({ alert: a.alert }, a.count);
    },
  });
  new Gauge({
    name: 'featureguard_alert_undelivered_since_seconds',
    help: 'When the oldest delivery of the alert that has not arrived was first tried (unix seconds)',
    labelNames: ['alert'] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const a of undeliveredByAlert(project)) this.set({ alert: a.alert }, a.since / 1000);
    },
  });
  // Deliveries that never will arrive: they leave the gauges above, so a rule on those alone would resolve.
  new Counter({
    name: 'featureguard_alert_given_up_total',
    help: 'Alert deliveries given up unarrived (redelivery window over, or every try failed with redeliver_for 0), per alert, from the state database',
    labelNames: ['alert'] as const,
    registers: [registry],
    collect() {
      this.reset();
      // Every alert of featureguard.yaml has its series from the first scrape, at 0: `increase()` never counts a
      // series' first sample, so one born at 1 would hide the alert's first lost trigger.
      for (const a of project.config.alerts ?? []) this.inc({ alert: a.name }, 0);
      for (const a of givenUpByAlert(project.state)) this.inc({ alert: a.alert }, a.total);
    },
  });
}
