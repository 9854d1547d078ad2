/**
 * Background materializations started over HTTP or by the scheduler. `start`
 * waits only until the materialization has taken its views' leases and created
 * its runs (so a view that is materializing anywhere answers 409 at once, and
 * the job knows its run ids), then the work continues in the background.
 */
import { randomUUID } from 'node:crypto';
import { FeatureguardError, NotFoundError } from '../errors.js';
import type { MaterializationHandle, MaterializeOptions, MaterializeStatus } from '../materialize/types.js';
import type { RunTrigger } from '../runs/trigger.js';
import type { RunStatus } from '../runs/types.js';

/** Starts a materialization (the project's `startMaterialization`, bound); its runs record `trigger`. */
export type StartMaterializeFn = (options: MaterializeOptions, trigger?: RunTrigger) => Promise<MaterializationHandle>;

/** What a job records about each view. */
export interface JobRun {
  readonly view: string;
  /** null when the view was already up to date (no run recorded). */
  readonly run_id: string | null;
  readonly status: RunStatus | MaterializeStatus;
  readonly window: { readonly start: string; readonly end: string };
  readonly rows_read: number | null;
  readonly entities_written: number | null;
  readonly message: string | null;
}

export interface MaterializeJob {
  readonly id: string;
  readonly trigger: 'api' | 'schedule';
  /**
   * `running`; `done` when every view ran to its verdict (its run `success`, `warned` or `blocked`, or the view
   * `up_to_date`); `failed` when a view's run failed (its message in `runs`) or the job itself broke (`error`).
   */
  readonly status: 'running' | 'done' | 'failed';
  readonly started_at: string;
  readonly finished_at: string | null;
  readonly runs: readonly JobRun[];
  readonly error: string | null;
}

export interface MaterializeJobs {
  /**
   * Start a job. Rejects at once (nothing started) for a bad request (400) or a
   * view that is materializing in any process (`ConflictError`, 409). Its runs record `who` (an HTTP request's
   * API key) or, without it, the `trigger` alone.
   */
  start(options: MaterializeOptions, trigger: MaterializeJob['trigger'], who?: RunTrigger): Promise<{ job: MaterializeJob; done: Promise<MaterializeJob> }>;
  get(id: string): MaterializeJob;
  list(): MaterializeJob[];
  /** Resolves when every running job finished (graceful shutdown). */
  idle(): Promise<void>;
  /** Refuse new jobs from now (the server is stopping): `start` rejects with 503 `shutting_down`. */
  close(): void;
  /** Whether `close` was called. */
  readonly closed: boolean;
  /** Called with each finished view's result (metrics). */
  onViewFinished?: (view: string, status: MaterializeStatus) => void;
  /** Called with each job once it ended, done or failed (`serve` logs the end of the API's jobs). */
  onJobFinished?: (job: MaterializeJob) => void;
}

const KEEP_JOBS = 200;

/**
 * @example
 * const jobs = createMaterializeJobs((o, trigger) => startMaterialization(project, o, trigger));
 * const { job } = await jobs.start({ incremental: true }, 'api'); // job.runs[0].run_id
 */
export function createMaterializeJobs(start: StartMaterializeFn): MaterializeJobs {
  const jobs = new Map<string, MaterializeJob>();
  const running = new Set<Promise<unknown>>();
  let closed = false;
  const self: MaterializeJobs = {
    async start(options, trigger, who) {
      // A stopping server would otherwise start work it then has to wait for (or cut).
      if (closed) throw new FeatureguardError('shutting_down', 'the server is stopping: start the materialization on another server, or once this one is back', { status: 503, exitCode: 3 });
      const id = randomUUID();
      // A view queued behind the job's earlier ones says so until its run starts. (The first view's run starts
      // before the job exists, already `running`.)
      let job: MaterializeJob | undefined;
      const onRunStarted = (view: string, runId: string) => {
        options.onRunStarted?.(view, runId);
        if (job?.status !== 'running') return;
        job = { ...job, runs: job.runs.map((r) => (r.run_id === runId ? { ...r, status: 'running' } : r)) };
        jobs.set(id, job);
      };
      // A scheduled job's runs say so; an HTTP one's carry the request's trigger (its API key).
      const handle = await start({ ...options, onRunStarted }, who ?? { source: trigger });
      job = {
        id,
        trigger,
        status: 'running',
        started_at: new Date().toISOString(),
        finished_at: null,
        runs: handle.runs.map((r) => ({
          view: r.view, run_id: r.runId, status: r.status, window: r.window,
          rows_read: null, entities_written: null, message: null,
        })),
        error: null,
      };
      jobs.set(id, job);
      const done = (async () => {
        try {
          const results = await handle.done;
          job = {
            ...job,
            // A failed run fails the job, as the quality log and the scheduler's last run say.
            status: results.some((r) => r.status === 'failed') ? 'failed' : 'done',
            finished_at: new Date().toISOString(),
            runs: results.map((r) => ({
              view: r.view, run_id: r.run?.id ?? null, status: r.status, window: r.window,
              rows_read: r.rowsRead, entities_written: r.entitiesWritten, message: r.message,
            })),
          };
          for (const r of results) self.onViewFinished?.(r.view, r.status);
        } catch (e) {
          job = { ...job, status: 'failed', finished_at: new Date().toISOString(), error: (e as Error).message };
        }
        jobs.set(id, job);
        prune();
        self.onJobFinished?.(job);
        return job;
      })();
      running.add(done);
      void done.finally(() => running.delete(done));
      return { job, done };
    },
    get(id) {
      const job = jobs.get(id);
      if (!job) throw new NotFoundError(`no materialization job '${id}' in this server (jobs are kept in memory)`);
      return job;
    },
    list: () => [...jobs.values()].reverse(),
    async idle() {
      await Promise.allSettled([...running]);
    },
    close() {
      closed = true;
    },
    get closed() {
      return closed;
    },
  };
  function prune(): void {
    for (const [id, j] of jobs) {
      if (jobs.size <= KEEP_JOBS) break;
      if (j.status !== 'running') jobs.delete(id);
    }
  }
  return self;
}
