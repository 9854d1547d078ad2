/**
 * Background materializations started over HTTP or by the scheduler. `start`
 * waits only until the materialization has taken its views' leases and created
 * its runs (so a view that is materializing anywhere answers 409 at once, and
 * the job knows its run ids), then the work continues in the background.
 * `startWhenFree` waits for a view's running materialization instead of the 409
 * (Feast's synchronous routes, which never answer 409), up to `waitForRunningMs` or until the request aborts.
 */
import { randomUUID } from 'node:crypto';
import { ConflictError, FeatureguardError, NotFoundError } from '../errors.js';
import type { GuardStageResult } from '../guards/stage-types.js';
import type { MaterializationHandle, MaterializeOptions, MaterializeResult, MaterializeStatus } from '../materialize/types.js';
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
  /** Entities not written because the online store holds a newer value (or an equal one); null until the run ends. */
  readonly skipped: number | null;
  /** The guards' results by status (as the run records them); null until the run ends. */
  readonly counts: GuardStageResult['counts'] | null;
  readonly message: string | null;
}

/** A job's run as `upToDate`'s callers give it (`skipped` and `counts` are 0 for a view with nothing to do). */
export type UpToDateRun = Omit<JobRun, 'skipped' | 'counts'>;

export interface MaterializeJob {
  readonly id: string;
  /** The same id, as the 202 of `POST /v1/materialize` named it first. */
  readonly job_id: string;
  /** Where to poll the job: `/v1/materialize/<id>`. */
  readonly poll: string;
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
  /**
   * `start`, but a view materializing (409 `materialization_running`) is waited for, then `start` is tried again:
   * a job of this server until it ends (its promise), another process's (a CLI) by trying again (after 1 s, then
   * doubling up to 10 s). Past
   * `waitForRunningMs` the 409 is thrown, saying how long it waited. `signal` (the HTTP request's) ends the wait: once
   * it aborted (the client disconnected or gave up) nothing is started and it rejects with 499 `request_aborted`, so
   * that a client's retries do not queue a materialization each.
   */
  startWhenFree(options: MaterializeOptions, trigger: MaterializeJob['trigger'], who?: RunTrigger, signal?: AbortSignal): Promise<{ job: MaterializeJob; done: Promise<MaterializeJob> }>;
  /**
   * Record a job that had nothing to materialize (its `runs` each `up_to_date`, no run recorded) without starting
   * anything: done at once, listed and polled as any job, as an incremental job with empty windows is.
   */
  upToDate(trigger: MaterializeJob['trigger'], runs: readonly UpToDateRun[]): MaterializeJob;
  /** How long `startWhenFree` waits for a running materialization (default `WAIT_FOR_RUNNING_MS`). */
  readonly waitForRunningMs: number;
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

/** How long a Feast synchronous materialization waits for the view's running one before answering 409: 10 minutes. */
export const WAIT_FOR_RUNNING_MS = 10 * 60_000;
/**
 * When `startWhenFree` tries again while another process (no job of this server) holds a view: after 1 s, then
 * twice as long each time, up to 10 s (each try reads the views' windows, a ttl-0 view's source included).
 */
const RETRY_FIRST_MS = 1_000;
const RETRY_MAX_MS = 10_000;

const NO_COUNTS: GuardStageResult['counts'] = { pass: 0, warn: 0, fail: 0, error: 0, skipped: 0 };

/** The job's fields naming it: its id, also as `job_id`, and where to poll it. */
const jobIds = (id: string) => ({ id, job_id: id, poll: `/v1/materialize/${id}` });

/** A view's run once it ended, as the job shows it. */
function finishedRun(r: MaterializeResult): JobRun {
  return {
    view: r.view, run_id: r.run?.id ?? null, status: r.status, window: r.window,
    rows_read: r.rowsRead, entities_written: r.entitiesWritten, skipped: r.skipped, counts: r.counts, message: r.message,
  };
}

/**
 * A view's run as its materialization starts: `up_to_date` is already final (nothing read, written or checked; the
 * reason comes with the job's end), the others unknown until they end.
 */
function startedRun(r: MaterializationHandle['runs'][number]): JobRun {
  const final = r.status === 'up_to_date';
  return {
    view: r.view, run_id: r.runId, status: r.status, window: r.window,
    rows_read: final ? 0 : null, entities_written: final ? 0 : null, skipped: final ? 0 : null, counts: final ? { ...NO_COUNTS } : null,
    message: final ? 'nothing to materialize: the window is empty' : null,
  };
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref());

/**
 * @example
 * const jobs = createMaterializeJobs((o, trigger) => startMaterialization(project, o, trigger));
 * const { job } = await jobs.start({ incremental: true }, 'api'); // job.runs[0].run_id
 */
export function createMaterializeJobs(start: StartMaterializeFn, options: { waitForRunningMs?: number } = {}): MaterializeJobs {
  const jobs = new Map<string, MaterializeJob>();
  const running = new Set<Promise<unknown>>();
  // The running jobs' ends, by job id, for `startWhenFree` to wait on.
  const ends = new Map<string, Promise<MaterializeJob>>();
  let closed = false;
  const self: MaterializeJobs = {
    waitForRunningMs: options.waitForRunningMs ?? WAIT_FOR_RUNNING_MS,
    async startWhenFree(materializeOptions, trigger, who, signal) {
      let timer: NodeJS.Timeout | undefined;
      let late = false;
      const deadline = new Promise<void>((resolve) => (timer = setTimeout(() => resolve(void (late = true)), self.waitForRunningMs).unref()));
      // The client gone: the wait ends at once rather than when the view is free.
      let onAbort: (() => void) | undefined;
      const aborted = new Promise<void>((resolve) => {
        onAbort = resolve;
        signal?.addEventListener('abort', onAbort, { once: true });
      });
      let retryMs = RETRY_FIRST_MS;
      try {
        for (;;) {
          if (signal?.aborted) throw abortedError();
          try {
            return await self.start(materializeOptions, trigger, who);
          } catch (e) {
            if (!(e instanceof ConflictError) || e.code !== 'materialization_running' || closed) throw e;
            if (late) throw waitedError(e, self.waitForRunningMs);
            const view = (e.details as { view?: unknown } | undefined)?.view;
            // This server's job holding the view: until it ends. Another process's, whose end no promise tells: a retry.
            const ours = [...jobs.values()].filter((j) => j.status === 'running' && j.runs.some((r) => r.view === view)).map((j) => ends.get(j.id));
            const ended = ours.length > 0 ? Promise.allSettled(ours).then(() => undefined) : sleep(retryMs);
            if (ours.length === 0) retryMs = Math.min(retryMs * 2, RETRY_MAX_MS);
            await Promise.race([ended, deadline, aborted]);
          }
        }
      } finally {
        clearTimeout(timer);
        if (onAbort) signal?.removeEventListener('abort', onAbort);
      }
    },
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
        ...jobIds(id),
        trigger,
        status: 'running',
        started_at: new Date().toISOString(),
        finished_at: null,
        runs: handle.runs.map(startedRun),
        error: null,
      };
      jobs.set(id, job);
      const done = (async () => {
        let finished: { view: string; status: MaterializeStatus }[];
        try {
          const results = await handle.done;
          job = {
            ...job,
            // A failed run fails the job, as the quality log and the scheduler's last run say.
            status: results.some((r) => r.status === 'failed') ? 'failed' : 'done',
            finished_at: new Date().toISOString(),
            runs: results.map(finishedRun),
          };
          finished = results;
        } catch (e) {
          job = { ...job, status: 'failed', finished_at: new Date().toISOString(), error: (e as Error).message };
          // The materialization broke (`done` rejected): no result says how each view ended, and the runs it had not
          // finished were failed with it. Each view that has a run is counted once as a failed run, as the job is
          // (a view finished before the break is counted so too: its own status is in the quality log).
          finished = job.runs.filter((r) => r.run_id !== null).map((r) => ({ view: r.view, status: 'failed' }));
        }
        jobs.set(id, job);
        prune();
        // Outside the try (and once the job is kept): a count that throws is not counted again as a broken materialization.
        for (const r of finished) self.onViewFinished?.(r.view, r.status);
        self.onJobFinished?.(job);
        return job;
      })();
      running.add(done);
      ends.set(id, done);
      void done.finally(() => {
        running.delete(done);
        ends.delete(id);
      });
      // Nothing to materialize in any view (no run recorded): its end is known at once (the leases released), so
      // the answer says `done` with each view's reason, as a poll right after does, not `running`.
      if (handle.runs.every((r) => r.status === 'up_to_date')) return { job: await done, done };
      return { job, done };
    },
    upToDate(trigger, runs) {
      const now = new Date().toISOString();
      const job: MaterializeJob = {
        ...jobIds(randomUUID()), trigger, status: 'done', started_at: now, finished_at: now,
        runs: runs.map((r) => ({ ...r, skipped: 0, counts: { ...NO_COUNTS } })), error: null,
      };
      jobs.set(job.id, job);
      prune();
      return job;
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
  /** `startWhenFree`'s request aborted while it waited: nothing started (499, as a body cut off is). */
  function abortedError(): FeatureguardError {
    return new FeatureguardError('request_aborted', 'the client closed the request while it waited for the running materialization: nothing was started', { status: 499, exitCode: 2 });
  }
  /** The 409 of a view still materializing once `startWhenFree` waited `ms` for it. */
  function waitedError(e: ConflictError, ms: number): ConflictError {
    return new ConflictError(`${e.message} (waited ${ms / 1000} s for it)`, { ...(e.details as Record<string, unknown>), waited_ms: ms }, e.code);
  }
  function prune(): void {
    for (const [id, j] of jobs) {
      if (jobs.size <= KEEP_JOBS) break;
      if (j.status !== 'running') jobs.delete(id);
    }
  }
  return self;
}
