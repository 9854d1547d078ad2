/**
 * The scheduler inside `featureguard serve`: each online view with a `schedule`
 * (cron) runs an incremental materialization on it, with node-cron's `noOverlap`
 * so a slow run is never stacked on itself. The schedules follow the registry:
 * when its generation changes (an apply by any process) the tasks are rebuilt.
 */
import cron, { type ScheduledTask } from 'node-cron';
import { isFeatureguardError } from '../errors.js';
import type { Registry } from '../registry/types.js';
import type { MaterializeJobs } from '../server/materialize-jobs.js';
import type { RunStore } from '../runs/run-store.js';
import { cronProblem, previousSlot } from './cron.js';

export { nextRunOf } from './cron.js';

/**
 * The last time a view's schedule fired (`source: 'scheduler'`, kept in memory),
 * or, when this process has not run it yet, the view's newest materialize run
 * in the quality log (`source: 'quality_log'`, see `last-run.ts`).
 */
export interface ScheduleLastRun {
  readonly source: 'scheduler' | 'quality_log';
  readonly started_at: string;
  readonly finished_at: string | null;
  /**
   * `running`, `done`, `failed`, `skipped` (the view was already materializing), or `missed` (the process
   * was stalled past the slot and the next one had come: the next run's incremental window covers it).
   */
  readonly status: 'running' | 'done' | 'failed' | 'skipped' | 'missed';
  readonly job_id: string | null;
  readonly runs: readonly { id: string | null; status: string }[];
  readonly message: string | null;
}

export interface ScheduleInfo {
  readonly view: string;
  readonly cron: string;
  /** Whether a task is running for it (false when the expression is invalid or the scheduler is off). */
  readonly active: boolean;
  readonly next_run: string | null;
  readonly last_run: ScheduleLastRun | null;
  readonly error: string | null;
}

export interface Scheduler {
  list(): ScheduleInfo[];
  /** Rebuild the tasks if the registry changed since the last sync. */
  sync(): void;
  /**
   * Run once, now, each view whose latest slot passed less than 15 minutes ago (the process was stopped then: a
   * restart, a deploy, a crash) and that nothing covers: no successful materialization reaches the slot
   * (`materializedUntil`) and no run of the view is under way (`runs`). A slot is left to the next one when that
   * is sooner than the slot is late (node-cron's rule for late slots). Resolves to the views whose run it started.
   * Call it once serving: a start that fails writes nothing.
   */
  catchUp(): Promise<string[]>;
  stop(): Promise<void>;
}

export interface SchedulerOptions {
  /** How often the registry generation is checked (default 5 s). */
  pollMs?: number;
  /** Time zone of the cron expressions (default UTC). */
  timezone?: string;
  /** Where the scheduler's messages go; `level` is `warn` or `error` for what went wrong (default `info`). */
  log?: (msg: string, fields?: Record<string, unknown>, level?: 'info' | 'warn' | 'error') => void;
  /**
   * Where the view's successful materializations reach (its materialized intervals in the online store's epoch,
   * `lastMaterializedEnd`), null when never: `catchUp` runs only with it.
   */
  materializedUntil?: (view: string) => Date | null | Promise<Date | null>;
  /** The quality log: `catchUp` leaves a view with a run under way (another replica's) alone. */
  runs?: RunStore;
}

interface Entry {
  view: string;
  cron: string;
  task: ScheduledTask | null;
  error: string | null;
}

/** Views with a schedule in the current registry, as `[view, cron]`. */
export function scheduledViews(registry: Registry): [string, string][] {
  return [...registry.current().views.values()]
    .filter((v) => v.online === true && typeof v.schedule === 'string' && v.schedule.trim() !== '')
    .map((v) => [v.name, v.schedule as string] as [string, string])
    .sort((a, b) => a[0].localeCompare(b[0]));
}

/**
 * Start the scheduler.
 *
 * @example
 * const scheduler = startScheduler(project.registry, jobs);
 * scheduler.list(); // [{ view: 'origin_delays', cron: '0 * * * *', next_run: '...', last_run: null, ... }]
 */
/** How late a slot may still run (the next slot, if sooner, wins). */
const MISSED_TOLERANCE_MS = 15 * 60_000;

export function startScheduler(registry: Registry, jobs: MaterializeJobs, options: SchedulerOptions = {}): Scheduler {
  const timezone = options.timezone ?? 'UTC';
  const log = options.log ?? (() => undefined);
  // node-cron's own messages (an overlap blocked, a slot missed) go to our log, not coloured text on stdout.
  const cronLogger = {
    info: (m: string) => log(`node-cron: ${m}`),
    warn: (m: string) => log(`node-cron: ${m}`, undefined, 'warn'),
    error: (m: string | Error, err?: Error) => log(`node-cron: ${String(m)}${err ? `: ${err.message}` : ''}`, undefined, 'error'),
    debug: () => undefined,
  };
  const entries = new Map<string, Entry>();
  const lastRuns = new Map<string, ScheduleLastRun>();
  let generation = -1;

  // Fires under way, from the slot until their job ends: `stop` waits for them (a SIGTERM while a fire was still
  // working out its window stopped the server under it, and the run failed on a closed database).
  const firing = new Set<Promise<void>>();
  // This process's fire of each view: a slot that comes while one is under way (a catch-up run, which node-cron's
  // noOverlap does not see) waits for it instead of colliding with the process's own lease and being recorded
  // `skipped`, "already being materialized", while the view's run goes on.
  const inFlight = new Map<string, Promise<void>>();
  let stopped = false;
  // Returns the fire's promise: node-cron's noOverlap waits for it.
  const track = (view: string): Promise<void> => {
    if (stopped) return Promise.resolve();
    const own = inFlight.get(view);
    if (own) {
      log('scheduled slot left to the run of the view under way in this process', { view });
      return own;
    }
    const f = fire(view).finally(() => {
      firing.delete(f);
      inFlight.delete(view);
    });
    firing.add(f);
    inFlight.set(view, f);
    return f;
  };

  const fire = async (view: string) => {
    const started_at = new Date().toISOString();
    // Running from the slot on (working out the window can take a while), not only once the job has started.
    lastRuns.set(view, { source: 'scheduler', started_at, finished_at: null, status: 'running', job_id: null, runs: [], message: null });
    try {
      const { job, done } = await jobs.start({ views: [view], incremental: true }, 'schedule');
      lastRuns.set(view, { source: 'scheduler', started_at, finished_at: null, status: 'running', job_id: job.id, runs: job.runs.map((r) => ({ id: r.run_id, status: r.status })), message: null });
      const end = await done;
      // A job that ended with a failed run failed (as the quality log's last run says); a blocked run is done.
      const runs = end.runs.map((r) => ({ id: r.run_id, status: r.status }));
      lastRuns.set(view, {
        source: 'scheduler', started_at, finished_at: end.finished_at, status: end.status, job_id: end.id,
        runs, message: end.error ?? end.runs.find((r) => r.message)?.message ?? null,
      });
      // The run's own status too: a blocked run is a done job, worth a warning.
      const level = end.status === 'failed' ? 'error' : runs.some((r) => r.status === 'blocked') ? 'warn' : 'info';
      log(end.status === 'failed' ? 'scheduled materialization failed' : 'scheduled materialization finished', { view, job: end.id, status: end.status, runs, error: end.error ?? undefined }, level);
    } catch (e) {
      const skipped = isFeatureguardError(e) && e.status === 409;
      lastRuns.set(view, {
        source: 'scheduler', started_at, finished_at: new Date().toISOString(), status: skipped ? 'skipped' : 'failed', job_id: null, runs: [],
        message: (e as Error).message,
      });
      log(skipped ? 'scheduled materialization skipped' : 'scheduled materialization failed', { view, error: (e as Error).message }, skipped ? 'info' : 'error');
    }
  };

  // One view's task; a problem (a cron that never fires, which node-cron's schedule throws on) is the entry's
  // error, shown in the listing, and never keeps the other views from being scheduled.
  const schedule = (view: string, expr: string): Entry => {
    const problem = cronProblem(expr, timezone);
    if (problem) {
      log('schedule not run', { view, cron: expr, error: problem }, 'warn');
      return { view, cron: expr, task: null, error: problem };
    }
    let task: ScheduledTask;
    try {
      task = cron.schedule(expr, () => track(view), {
        name: `materialize:${view}`, noOverlap: true, timezone,
        // A slot reached late (the event loop stalled by a long synchronous step) still runs, until the next
        // slot comes; node-cron's default drops it after 1 s, and a daily view would go a day without a refresh.
        missedExecutionTolerance: MISSED_TOLERANCE_MS,
        logger: cronLogger,
      });
    } catch (e) {
      log('schedule not run', { view, cron: expr, error: (e as Error).message }, 'warn');
      return { view, cron: expr, task: null, error: `'${expr}' cannot be scheduled: ${(e as Error).message}` };
    }
    task.on('execution:missed', (ctx) => {
      const at = ctx.date.toISOString();
      // A run still going (noOverlap) keeps its entry: the slot is logged only.
      if (lastRuns.get(view)?.status !== 'running') lastRuns.set(view, { source: 'scheduler', started_at: at, finished_at: at, status: 'missed', job_id: null, runs: [], message: `the slot of ${at} was missed (the process was stalled); the next run covers its window` });
      log('scheduled materialization missed', { view, slot: at }, 'warn');
    });
    log('scheduled view', { view, cron: expr });
    return { view, cron: expr, task, error: null };
  };

  const sync = () => {
    const g = registry.generation();
    if (g === generation) return;
    const wanted = new Map(scheduledViews(registry));
    for (const [view, e] of entries) {
      if (wanted.get(view) !== e.cron) {
        void e.task?.destroy();
        entries.delete(view);
      }
    }
    for (const [view, expr] of wanted) {
      if (!entries.has(view)) entries.set(view, schedule(view, expr));
    }
    // Only once every view has its entry: a sync that threw half-way is done again by the next one.
    generation = g;
  };

  sync();
  // A slot that passed while no scheduler ran (a daily view restarted just after its hour would go a day without a
  // refresh; a run killed mid-way, or failed, left it unrefreshed too): run now, once, unless a materialization
  // covers it or one is under way (another replica).
  const catchUp = async (): Promise<string[]> => {
    const started: string[] = [];
    if (!options.materializedUntil) return started;
    for (const e of entries.values()) {
      if (!e.task || stopped) continue;
      const now = new Date();
      const slot = previousSlot(e.cron, MISSED_TOLERANCE_MS, now, timezone);
      if (!slot) continue;
      // The next slot sooner than this one is late: it runs instead (a catch-up then left it a window of a moment,
      // empty, which the volume check failed).
      const next = e.task.getNextRun();
      if (next && next.getTime() - now.getTime() < now.getTime() - slot.getTime()) {
        log('slot passed while stopped left to the next one', { view: e.view, slot: slot.toISOString(), next: next.toISOString() });
        continue;
      }
      if (['queued', 'running'].some((status) => options.runs?.list({ view: e.view, kind: 'materialize', status: status as 'queued' | 'running', limit: 1 }).total)) continue;
      const until = await options.materializedUntil(e.view);
      if (until && until.getTime() >= slot.getTime()) continue;
      if (stopped) break;
      log('scheduled materialization of a slot passed while stopped', { view: e.view, slot: slot.toISOString() }, 'warn');
      void track(e.view);
      started.push(e.view);
    }
    return started;
  };
  const timer = setInterval(() => {
    try {
      sync();
    } catch (e) {
      log('scheduler sync failed', { error: (e as Error).message });
    }
  }, options.pollMs ?? 5000);
  timer.unref();

  return {
    sync,
    catchUp,
    list: () =>
      [...entries.values()].map((e) => ({
        view: e.view,
        cron: e.cron,
        active: e.task !== null,
        next_run: e.task?.getNextRun()?.toISOString() ?? null,
        last_run: lastRuns.get(e.view) ?? null,
        error: e.error,
      })),
    async stop() {
      stopped = true;
      clearInterval(timer);
      await Promise.all([...entries.values()].map((e) => e.task?.destroy()));
      entries.clear();
      await Promise.allSettled([...firing]);
    },
  };
}
