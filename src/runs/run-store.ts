/**
 * The quality log in the state database: runs, their check results and column
 * profiles. Paged queries only: the log may hold many thousands of runs.
 */
import { randomUUID } from 'node:crypto';
import { InputError, NotFoundError } from '../errors.js';
import { ensureColumn, ensureTables, isBusy, writeWhenFree, writeWithoutWaiting, type StateDb } from '../state/state-db.js';
import { onInterrupt } from '../state/interrupt.js';
import { redactRedisAddresses, redactRedisAddressesIn } from '../online/redis-address.js';
import { processAlive, processBootHost, processHost } from '../state/process-host.js';
import { defaultRunTrigger, type RunTrigger } from './trigger.js';
import { RUN_KINDS, RUN_STATUSES, UNALERTED_KINDS, UNFINISHED_SQL, UNFINISHED_STATUSES, type CheckResult, type CheckStatus, type Run, type RunFilter, type RunKind, type RunStatus } from './types.js';

const DDL = `
CREATE TABLE IF NOT EXISTS runs (
  id TEXT PRIMARY KEY,
  kind TEXT NOT NULL,
  view TEXT,
  service TEXT,
  status TEXT NOT NULL,
  started_at TEXT NOT NULL,
  finished_at TEXT,
  window_start TEXT,
  window_end TEXT,
  rows_in INTEGER,
  rows_out INTEGER,
  message TEXT,
  counts TEXT NOT NULL,
  lineage TEXT,
  options TEXT
);
CREATE TABLE IF NOT EXISTS run_owners (
  run_id TEXT PRIMARY KEY REFERENCES runs(id) ON DELETE CASCADE,
  pid INTEGER NOT NULL,
  host TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS runs_started ON runs (started_at DESC);
CREATE INDEX IF NOT EXISTS runs_view ON runs (view, started_at DESC);
CREATE INDEX IF NOT EXISTS runs_service ON runs (service, started_at DESC);
CREATE TABLE IF NOT EXISTS check_results (
  run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  seq INTEGER NOT NULL,
  "check" TEXT NOT NULL,
  feature TEXT,
  slice TEXT,
  status TEXT NOT NULL,
  record TEXT NOT NULL,
  PRIMARY KEY (run_id, seq)
);
CREATE INDEX IF NOT EXISTS check_results_feature ON check_results (feature, "check");
CREATE TABLE IF NOT EXISTS profiles (
  run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  "column" TEXT NOT NULL,
  slice TEXT NOT NULL DEFAULT '',
  profile TEXT NOT NULL,
  PRIMARY KEY (run_id, "column", slice)
);
`;

type Row = Record<string, unknown>;

/** A stored JSON text, parsed, with Redis addresses named safely (see `toRun`): cheap for text without one. */
function storedJson<T>(text: string): T {
  const value = JSON.parse(text) as T;
  return /redis|online store/i.test(text) ? redactRedisAddressesIn(value) : value;
}

const EMPTY_COUNTS = { pass: 0, warn: 0, fail: 0, error: 0, skipped: 0 };

/**
 * A stored run as read. Its texts (message, lineage, options) name a Redis store as `redisAddress` does: an
 * earlier version stored the store's URL with a `?password=` query (and the user name) in them.
 */
function toRun(r: Row): Run {
  const json = <T>(v: unknown): T | null => (v == null ? null : storedJson<T>(String(v)));
  return {
    id: String(r.id),
    kind: r.kind as RunKind,
    view: (r.view as string | null) ?? null,
    service: (r.service as string | null) ?? null,
    status: r.status as RunStatus,
    started_at: String(r.started_at),
    finished_at: (r.finished_at as string | null) ?? null,
    window_start: (r.window_start as string | null) ?? null,
    window_end: (r.window_end as string | null) ?? null,
    rows_in: (r.rows_in as number | null) ?? null,
    rows_out: (r.rows_out as number | null) ?? null,
    message: r.message == null ? null : redactRedisAddresses(String(r.message)),
    counts: json(r.counts) ?? { ...EMPTY_COUNTS },
    lineage: json(r.lineage),
    options: json(r.options),
    trigger: json(r.trigger),
  };
}

export interface NewRun {
  kind: RunKind;
  view?: string | null;
  service?: string | null;
  window_start?: string | null;
  window_end?: string | null;
  options?: Record<string, unknown> | null;
  /** `queued` for a run that waits for others of its job (default `running`): `update` it to `running` as it starts. */
  status?: 'queued' | 'running';
  /** What started it (`runs.trigger`); default: the process's (`defaultRunTrigger`: the SDK, or the CLI). */
  trigger?: RunTrigger;
}

/** Changes to a run (`started_at`: a `queued` run that starts, `{status: 'running', started_at: now}`). */
export type RunPatch = Partial<Omit<Run, 'id' | 'kind' | 'trigger'>>;

export interface RunStore {
  readonly db: StateDb;
  create(run: NewRun): Run;
  update(id: string, patch: RunPatch): Run;
  /**
   * `create` and `update`, waiting for another process's write lock on the state database on a timer
   * (`writeWhenFree`) instead of in SQLite's synchronous busy handler, for as long as the latter would: a server
   * recording a run (a push) goes on answering `/health` and online reads meanwhile. SQLITE_BUSY past that.
   */
  createWhenFree(run: NewRun): Promise<Run>;
  updateWhenFree(id: string, patch: RunPatch): Promise<Run>;
  get(id: string): Run;
  list(filter?: RunFilter): { runs: Run[]; total: number };
  /** The last `n` runs of a view with one of the given statuses, newest first. */
  recent(view: string, statuses: readonly RunStatus[], n: number): Run[];
  /**
   * Record check results (and `addProfiles` a run's column profiles), each in one transaction that waits for another
   * process's write lock on a timer (`writeWhenFree`), as `createWhenFree` does: a server's guard stage goes on
   * answering requests meanwhile. Uncontended, the write is done before the call returns.
   */
  addResults(results: readonly CheckResult[]): Promise<void>;
  /** A run's results in check order; only those of `statuses` when given (a list's reasons read only the ones that did not pass). */
  results(runId: string, statuses?: readonly CheckStatus[]): CheckResult[];
  addProfiles(runId: string, profiles: readonly { column: string; slice?: string | null; profile: unknown }[]): Promise<void>;
  profiles(runId: string): { column: string; slice: string | null; profile: unknown }[];
  /** One column's profile (cheap: does not parse the other columns' samples), or null. */
  profile(runId: string, column: string, slice?: string | null): unknown | null;
}

/** A run that was failed for its process (killed, interrupted, its lease taken over): its alerts are due (not of a kind no alert selects). */
function markAlertDue(db: StateDb, runId: string): void {
  db.prepare(`INSERT OR IGNORE INTO alerts_due (run_id) SELECT id FROM runs WHERE id = ? AND kind NOT IN (${UNALERTED_KINDS.map((k) => `'${k}'`).join(', ')})`).run(runId);
}

/**
 * How long a process holds the due alerts it took (`takeDueAlerts`): far beyond a delivery's first tries (3 × 5 s,
 * the backoffs, a minute). One stopped or killed before it stored their deliveries leaves them to the next process
 * once this has passed.
 */
export const DUE_ALERT_HOLD_MS = 5 * 60_000;

/**
 * Take the runs whose alerts are due (failed for their process by another process or a signal handler, which
 * could not send them) for `holdMs`: each is sent by one process, the one that took it, which forgets it
 * (`forgetDueAlert`) once their deliveries are stored (sent, kept for redelivery or held back). Until then the mark
 * stays (an outbox): a process that exits or is killed first loses none. Housekeeping: a state database that is
 * read-only for this user, or busy, leaves them for the next process.
 */
export function takeDueAlerts(db: StateDb, now = Date.now(), holdMs = DUE_ALERT_HOLD_MS): string[] {
  try {
    return takeDue(db, now, holdMs);
  } catch {
    return [];
  }
}

function takeDue(db: StateDb, now: number, holdMs: number): string[] {
  ensureRunTables(db);
  ensureColumn(db, 'alerts_due', 'claimed_until', 'INTEGER');
  return (db.prepare('UPDATE alerts_due SET claimed_until = ? WHERE claimed_until IS NULL OR claimed_until <= ? RETURNING run_id').all(now + holdMs, now) as { run_id: string }[]).map((r) => r.run_id);
}

/** `takeDueAlerts` of a project: one without alerts in its featureguard.yaml takes none, leaving them to a process that has them. */
export function takeProjectDueAlerts(project: { readonly config: { readonly alerts?: readonly unknown[] }; readonly state: StateDb }): string[] {
  return project.config.alerts?.length ? takeDueAlerts(project.state) : [];
}

/**
 * `takeProjectDueAlerts`, waiting for another process's write lock on a timer (`writeWhenFree`) rather than in
 * SQLite's synchronous busy wait (a server sending them goes on answering requests meanwhile); still busy at the
 * busy timeout, or read-only, it takes none. Once `signal` aborts (a server stopping) the wait ends within
 * `STOP_CHECK_MS`, taking none: they stay due for the next process.
 */
export async function takeProjectDueAlertsWhenFree(project: { readonly config: { readonly alerts?: readonly unknown[] }; readonly state: StateDb }, opts: { signal?: AbortSignal } = {}): Promise<string[]> {
  if (!project.config.alerts?.length || opts.signal?.aborted) return [];
  try {
    return await writeUnlessStopped(project.state, () => takeDue(project.state, Date.now(), DUE_ALERT_HOLD_MS), opts.signal);
  } catch {
    return [];
  }
}

/** A run whose due alerts have their deliveries stored (or that alerts nothing): no longer due (waits for the write lock on a timer). */
export async function forgetDueAlert(db: StateDb, runId: string): Promise<void> {
  await writeWhenFree(db, () => db.prepare('DELETE FROM alerts_due WHERE run_id = ?').run(runId));
}

/** Runs whose alerts are due (see `takeDueAlerts`). */
const DUE_DDL = `
CREATE TABLE IF NOT EXISTS alerts_due (
  run_id TEXT PRIMARY KEY REFERENCES runs(id) ON DELETE CASCADE
);
`;

/** Create the quality log's tables on this connection if needed (do it outside a transaction that may roll back). */
export function ensureRunTables(db: StateDb): void {
  ensureTables(db, 'runs', DDL);
  // When the owner last said it was alive (ms): a run of another host or pid namespace cannot be judged by its pid.
  ensureColumn(db, 'run_owners', 'beat_at', 'INTEGER');
  // What started the run (JSON `RunTrigger`); null in the runs of a version that did not record it.
  ensureColumn(db, 'runs', 'trigger', 'TEXT');
  // A view's newest runs of one kind (the freshness gauges' newest materialization, read at every scrape) without
  // walking its other runs: a view fed by push has one a second. Made once per connection; an older state database
  // opened read-only goes without it.
  try {
    ensureTables(db, 'runs_view_kind', 'CREATE INDEX IF NOT EXISTS runs_view_kind ON runs (view, kind, started_at DESC);');
  } catch (e) {
    if ((e as { code?: string }).code !== 'SQLITE_READONLY') throw e;
  }
  try {
    ensureTables(db, 'alerts_due', DUE_DDL);
  } catch (e) {
    // A state database of an earlier version opened read-only: nothing can be due in it (marking one is a write).
    if ((e as { code?: string }).code !== 'SQLITE_READONLY') throw e;
  }
}

/**
 * Ids of a view's runs of `kind` still `running` (or `queued`) that started at or after `since`
 * (ISO 8601), oldest first. Used to name the run behind a held lease.
 */
export function runningRunIds(db: StateDb, kind: RunKind, view: string, since = ''): string[] {
  ensureRunTables(db);
  const rows = db
    .prepare(`SELECT id FROM runs WHERE kind = ? AND view = ? AND status IN ${UNFINISHED_SQL} AND started_at >= ? ORDER BY started_at, id`)
    .all(kind, view, since) as { id: string }[];
  return rows.map((r) => r.id);
}

/**
 * Ids of the runs whose id starts with `prefix`, in id order, at most `limit`: a run id given cut short
 * (`20659718`, as tables print it). A range on the primary key: no scan of the log.
 */
export function runIdsStartingWith(db: StateDb, prefix: string, limit = 10): string[] {
  ensureRunTables(db);
  // Run ids are lowercase hex and '-', all below '~': every id with the prefix lies in [prefix, prefix + '~').
  const rows = db.prepare('SELECT id FROM runs WHERE id >= ? AND id < ? ORDER BY id LIMIT ?').all(prefix, `${prefix}~`, limit) as { id: string }[];
  return rows.map((r) => r.id);
}

/**
 * Mark a view's runs of `kind` still `running` (or `queued`) as `failed` with `message`: for
 * runs whose process stopped without finishing them (its lease is gone).
 * Returns the ids it marked. Safe inside the caller's transaction.
 */
export function failRunningRuns(db: StateDb, kind: RunKind, view: string, message: string): string[] {
  const ids = runningRunIds(db, kind, view);
  if (ids.length === 0) return ids;
  const finishedAt = new Date().toISOString();
  const mark = db.prepare(`UPDATE runs SET status = 'failed', finished_at = ?, message = ? WHERE id = ? AND status IN ${UNFINISHED_SQL}`);
  for (const id of ids) if (mark.run(finishedAt, message, id).changes > 0) markAlertDue(db, id);
  return ids;
}

/**
 * Where a list of runs (newest first: `started_at` descending, then `id`) goes on after `run`: the `cursor` of
 * `RunFilter`, `<started_at>~<id>`.
 */
export function runCursor(run: Pick<Run, 'started_at' | 'id'>): string {
  return `${run.started_at}~${run.id}`;
}

function parseCursor(cursor: string): { startedAt: string; id: string } {
  const m = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z)~([0-9a-f-]{1,64})$/.exec(cursor);
  if (!m) throw new InputError(`invalid cursor '${cursor}': give the next_cursor of the previous page as it was answered`, { cursor }, 'bad_request');
  return { startedAt: m[1], id: m[2] };
}

/** Runs this process created and has not finished yet, with their database. */
const unfinished = new Map<string, StateDb>();

/**
 * The host a run's owner row records: `processHost()` plus this boot of the machine where there is one. A pid of
 * an earlier boot means nothing now (the initial pid namespace has the same id on every boot), so such a row is
 * judged as another host's, by its heartbeat.
 */
function ownerHost(): string {
  return processBootHost() ?? processHost();
}

/** How often a process with running runs says it is alive (`run_owners.beat_at`). */
export const HEARTBEAT_MS = 15_000;
/**
 * A run of another host or pid namespace whose owner has not said it is alive for this long is failed: its pid
 * cannot be checked from here (a container restarted with a new pid namespace, another machine sharing the
 * project over a network file system). Far beyond the heartbeat, so a busy or briefly blocked owner is not judged.
 */
export const ORPHAN_AFTER_MS = 5 * 60_000;

let heartbeat: NodeJS.Timeout | undefined;

/**
 * Say, every `HEARTBEAT_MS` while this process has running runs, that their owner is alive. Never waits for the
 * state database's write lock (another process's long write must not stall this one's event loop): a busy
 * database skips a beat, and the next one comes 15 s later, far inside `ORPHAN_AFTER_MS`.
 */
function startHeartbeat(): void {
  if (heartbeat) return;
  heartbeat = setInterval(() => {
    if (unfinished.size === 0) {
      clearInterval(heartbeat);
      heartbeat = undefined;
      return;
    }
    for (const db of new Set(unfinished.values())) beat(db);
  }, HEARTBEAT_MS);
  heartbeat.unref();
}

function beat(db: StateDb): void {
  if (!db.open) return;
  try {
    writeWithoutWaiting(db, () => db.prepare('UPDATE run_owners SET beat_at = ? WHERE pid = ? AND host = ?').run(Date.now(), process.pid, ownerHost()));
  } catch {
    // busy or read-only: the next beat
  }
}

// An interrupted CLI command (Ctrl-C) marks them failed rather than leaving them `running` for good.
onInterrupt((signal) => {
  const ids = failUnfinishedRuns(`interrupted (${signal}) before it finished`);
  return ids.length > 0 ? `run ${ids.join(', ')} marked failed` : undefined;
});

/**
 * Mark the runs this process left `running` as `failed` with `message` (a CLI command interrupted with
 * Ctrl-C: its runs would otherwise stay `running` in the quality log for good). Synchronous, for signal
 * handlers. Returns their ids.
 */
export function failUnfinishedRuns(message: string): string[] {
  const done: string[] = [];
  const at = new Date().toISOString();
  for (const [id, db] of unfinished) {
    try {
      if (db.open && db.prepare(`UPDATE runs SET status = 'failed', finished_at = ?, message = ? WHERE id = ? AND status IN ${UNFINISHED_SQL}`).run(at, message, id).changes > 0) {
        done.push(id);
        markAlertDue(db, id); // the process exits now: the next one sends its alerts
      }
    } catch {
      // a database closed or locked under the handler: the next run of the view marks it failed
    }
  }
  unfinished.clear();
  return done;
}

export function openRunStore(db: StateDb): RunStore {
  ensureRunTables(db);
  const insert = db.prepare(`INSERT INTO runs (id, kind, view, service, status, started_at, window_start, window_end, counts, options, "trigger")
    VALUES (@id, @kind, @view, @service, @status, @started_at, @window_start, @window_end, @counts, @options, @trigger)`);
  const byId = db.prepare('SELECT * FROM runs WHERE id = ?');
  const insertResult = db.prepare('INSERT INTO check_results (run_id, seq, "check", feature, slice, status, record) VALUES (?, ?, ?, ?, ?, ?, ?)');
  const maxSeq = db.prepare('SELECT COALESCE(MAX(seq), -1) AS m FROM check_results WHERE run_id = ?');
  const insertProfile = db.prepare('INSERT OR REPLACE INTO profiles (run_id, "column", slice, profile) VALUES (?, ?, ?, ?)');

  const get = (id: string): Run => {
    const r = byId.get(id) as Row | undefined;
    if (!r) throw new NotFoundError(`no run with id '${id}'`);
    return toRun(r);
  };

  const insertOwner = db.prepare('INSERT OR REPLACE INTO run_owners (run_id, pid, host, beat_at) VALUES (?, ?, ?, ?)');
  const deleteOwner = db.prepare('DELETE FROM run_owners WHERE run_id = ?');
  // A run and its owner (which process runs it: a run whose process died, a kill -9, is failed later, not left
  // `running` for good), written together.
  const createTx = db.transaction((run: NewRun): string => {
    const id = randomUUID();
    insert.run({
      id,
      kind: run.kind,
      view: run.view ?? null,
      service: run.service ?? null,
      status: run.status === 'queued' ? 'queued' : 'running',
      started_at: new Date().toISOString(),
      window_start: run.window_start ?? null,
      window_end: run.window_end ?? null,
      counts: JSON.stringify(EMPTY_COUNTS),
      options: run.options ? JSON.stringify(run.options) : null,
      trigger: JSON.stringify(run.trigger ?? defaultRunTrigger()),
    });
    insertOwner.run(id, process.pid, ownerHost(), Date.now());
    return id;
  });
  const created = (id: string): Run => {
    unfinished.set(id, db);
    startHeartbeat();
    return get(id);
  };
  const updateTx = db.transaction((id: string, patch: RunPatch) => {
    if (patch.status !== undefined && !UNFINISHED_STATUSES.includes(patch.status)) deleteOwner.run(id);
    const cols = Object.keys(patch) as (keyof RunPatch)[];
    if (cols.length > 0) {
      const json = new Set(['counts', 'lineage', 'options']);
      const values = cols.map((c) => (json.has(c) && patch[c] != null ? JSON.stringify(patch[c]) : (patch[c] ?? null)));
      db.prepare(`UPDATE runs SET ${cols.map((c) => `${c} = ?`).join(', ')} WHERE id = ?`).run(...values, id);
    }
  });
  const finishing = (id: string, patch: RunPatch) => {
    if (patch.status !== undefined && !UNFINISHED_STATUSES.includes(patch.status)) unfinished.delete(id);
  };
  return {
    db,
    create(run) {
      return created(createTx(run));
    },
    async createWhenFree(run) {
      return created(await writeWhenFree(db, () => createTx.immediate(run)));
    },
    update(id, patch) {
      finishing(id, patch);
      updateTx(id, patch);
      return get(id);
    },
    async updateWhenFree(id, patch) {
      // Still this process's unfinished run while its last write waits for the lock: an interrupt meanwhile fails it.
      await writeWhenFree(db, () => updateTx.immediate(id, patch));
      finishing(id, patch);
      return get(id);
    },
    get,
    list(filter = {}) {
      const limit = filter.limit ?? 50;
      const offset = filter.offset ?? 0;
      // SQLite takes a fraction or a string here only to fail with SQLITE_MISMATCH, a negative limit as none.
      for (const [name, n] of [['limit', limit], ['offset', offset]] as const) {
        if (!Number.isSafeInteger(n) || n < 0) throw new InputError(`invalid ${name} ${String(n)}: a whole number from 0`, { [name]: String(n) }, 'bad_request');
      }
      // A kind or status no run has would match nothing: a typo, refused as the limit is.
      if (filter.kind && !RUN_KINDS.includes(filter.kind)) throw new InputError(`invalid kind '${String(filter.kind)}': ${RUN_KINDS.join(', ')}`, { kind: String(filter.kind) }, 'bad_request');
      if (filter.status && !RUN_STATUSES.includes(filter.status)) throw new InputError(`invalid status '${String(filter.status)}': ${RUN_STATUSES.join(', ')}`, { status: String(filter.status) }, 'bad_request');
      const where: string[] = [];
      const args: unknown[] = [];
      for (const k of ['view', 'service', 'kind', 'status'] as const) {
        if (filter[k]) {
          where.push(`${k} = ?`);
          args.push(filter[k]);
        }
      }
      if (filter.since) {
        where.push('started_at >= ?');
        args.push(filter.since);
      }
      if (filter.until) {
        where.push('started_at < ?');
        args.push(filter.until);
      }
      if (filter.definition) {
        const { key, version } = filter.definition;
        if (typeof key !== 'string' || !/^(entity|source|feature_view|feature_service)\/[a-z_][a-z0-9_]*$/.test(key) || !Number.isSafeInteger(version)) {
          throw new InputError(`invalid definition ${JSON.stringify(filter.definition)}: {key: 'KIND/NAME', version: N}`, undefined, 'bad_request');
        }
        where.push('json_extract(lineage, ?) = ?');
        args.push(`$.definition_versions.${JSON.stringify(filter.definition.key)}.version`, filter.definition.version);
      }
      const w = where.length ? `WHERE ${where.join(' AND ')}` : '';
      // `total` counts every run of the filters; the cursor only says where this page starts.
      const total = (db.prepare(`SELECT COUNT(*) AS n FROM runs ${w}`).get(...args) as { n: number }).n;
      if (filter.cursor !== undefined) {
        const c = parseCursor(filter.cursor);
        where.push('(started_at < ? OR (started_at = ? AND id > ?))');
        args.push(c.startedAt, c.startedAt, c.id);
      }
      const page = where.length ? `WHERE ${where.join(' AND ')}` : '';
      const rows = db
        .prepare(`SELECT * FROM runs ${page} ORDER BY started_at DESC, id LIMIT ? OFFSET ?`)
        .all(...args, limit, offset) as Row[];
      return { runs: rows.map(toRun), total };
    },
    recent(view, statuses, n) {
      // As in `list`: SQLite fails a fraction with SQLITE_MISMATCH and reads a negative limit as none.
      if (!Number.isSafeInteger(n) || n < 1) throw new InputError(`invalid n ${String(n)}: a whole number from 1`, { n: String(n) }, 'bad_request');
      if (!Array.isArray(statuses) || statuses.some((st) => !RUN_STATUSES.includes(st))) {
        throw new InputError(`statuses must be a list of run statuses (${RUN_STATUSES.join(', ')})`, undefined, 'bad_request');
      }
      const marks = statuses.map(() => '?').join(', ');
      const rows = db
        .prepare(`SELECT * FROM runs WHERE view = ? AND status IN (${marks}) ORDER BY started_at DESC LIMIT ?`)
        .all(view, ...statuses, n) as Row[];
      return rows.map(toRun);
    },
    async addResults(results) {
      if (results.length === 0) return;
      // Immediate: a transaction that reads first cannot wait for another process's write (SQLite answers
      // SQLITE_BUSY at once instead of calling the busy handler), so it takes the write lock up front.
      await writeWhenFree(db, () => db.transaction(() => {
        const next = new Map<string, number>();
        for (const r of results) {
          const seq = (next.get(r.run_id) ?? (maxSeq.get(r.run_id) as { m: number }).m) + 1;
          next.set(r.run_id, seq);
          insertResult.run(r.run_id, seq, r.check, r.feature, r.slice, r.status, JSON.stringify(r));
        }
      }).immediate());
    },
    results(runId, statuses) {
      const rows = (statuses === undefined
        ? db.prepare('SELECT record FROM check_results WHERE run_id = ? ORDER BY seq').all(runId)
        : db.prepare(`SELECT record FROM check_results WHERE run_id = ? AND status IN (${statuses.map(() => '?').join(', ') || 'NULL'}) ORDER BY seq`).all(runId, ...statuses)) as { record: string }[];
      return rows.map((r) => storedJson<CheckResult>(r.record));
    },
    async addProfiles(runId, profiles) {
      await writeWhenFree(db, () => db.transaction(() => {
        for (const p of profiles) insertProfile.run(runId, p.column, p.slice ?? '', JSON.stringify(p.profile));
      }).immediate());
    },
    profiles(runId) {
      const rows = db.prepare('SELECT "column", slice, profile FROM profiles WHERE run_id = ? ORDER BY "column", slice').all(runId) as Row[];
      return rows.map((r) => ({ column: String(r.column), slice: r.slice === '' ? null : String(r.slice), profile: JSON.parse(String(r.profile)) }));
    },
    profile(runId, column, slice) {
      const r = db.prepare('SELECT profile FROM profiles WHERE run_id = ? AND "column" = ? AND slice = ?').get(runId, column, slice ?? '') as Row | undefined;
      return r ? JSON.parse(String(r.profile)) : null;
    },
  };
}

/**
 * The running runs with their owners, from the owners (a row per running run, removed when it ends): `CROSS JOIN`
 * keeps that order, where SQLite (without ANALYZE) scanned the whole runs table on every CLI command.
 */
export const ORPHAN_CANDIDATES_SQL = `SELECT r.id, o.pid, o.host, o.beat_at FROM run_owners o CROSS JOIN runs r ON r.id = o.run_id WHERE r.status IN ${UNFINISHED_SQL}`;

/**
 * Mark failed the runs left `running` by a process that no longer exists: a kill -9, an out-of-memory kill, a
 * second Ctrl-C, a power loss. A run is failed when its owner has not said it is alive for `ORPHAN_AFTER_MS`
 * (whatever its pid: after a reboot or a pid wrap-around the pid may belong to another, live, process), or, on
 * this host, pid namespace and boot, at once when its pid no longer exists. This process's own running runs, and
 * runs of other hosts' processes of a version without heartbeats, are left alone. Returns their ids. `serve`
 * calls it at start and in its sweeps (and logs them), the CLI and `openFeatureStore` when they open a project
 * (`failOrphanedRunsIfWritable`); a materialization's runs are also failed when its lease is taken over.
 */
export function failOrphanedRuns(db: StateDb, now = Date.now()): string[] {
  const at = new Date(now).toISOString();
  return orphansOf(db, now).filter(({ id, message }) => failOrphan(db, id, message, at)).map(({ id }) => id);
}

/**
 * `failOrphanedRuns` for a server: each run's write waits for another process's write lock on a timer
 * (`writeWhenFree`), not in SQLite's synchronous busy wait, so `serve` goes on answering meanwhile (its start and
 * its sweeps call it). A run still locked at the busy timeout is left for the next sweep. Once `signal` aborts (the
 * server stopping) the wait ends within `STOP_CHECK_MS` and the runs not failed yet are left to the next process.
 */
export async function failOrphanedRunsWhenFree(db: StateDb, now = Date.now(), opts: { signal?: AbortSignal } = {}): Promise<string[]> {
  const at = new Date(now).toISOString();
  const done: string[] = [];
  for (const { id, message } of orphansOf(db, now)) {
    if (opts.signal?.aborted) break;
    try {
      if (await writeUnlessStopped(db, () => db.transaction(() => failOrphan(db, id, message, at)).immediate(), opts.signal)) done.push(id);
    } catch {
      // busy past the busy timeout, stopped (or read-only): the next sweep or process tries again
    }
  }
  return done;
}

/** How often a wait for the write lock looks at its stop signal. */
const STOP_CHECK_MS = 200;

/** `writeWhenFree`, in waits of `STOP_CHECK_MS` that end once `signal` aborts (SQLITE_BUSY then, the write not made). */
async function writeUnlessStopped<T>(db: StateDb, write: () => T, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return writeWhenFree(db, write);
  const deadline = performance.now() + (db.pragma('busy_timeout', { simple: true }) as number);
  for (;;) {
    const left = deadline - performance.now();
    try {
      return await writeWhenFree(db, write, Math.max(0, Math.min(STOP_CHECK_MS, left)));
    } catch (e) {
      if (!isBusy(e) || signal.aborted || deadline - performance.now() <= 0) throw e;
    }
  }
}

/**
 * The ids of the running runs whose process is gone (see `failOrphanedRuns`), without failing them: for a caller
 * that must not count a killed process's run as running (a compaction refusing to merge files a check reads).
 * Reads only.
 */
export function orphanedRunIds(db: StateDb, now = Date.now()): string[] {
  return orphansOf(db, now).map(({ id }) => id);
}

/** The running runs whose process is gone, with why (see `failOrphanedRuns`). Reads only. */
function orphansOf(db: StateDb, now: number): { id: string; message: string }[] {
  ensureRunTables(db);
  const rows = db
    .prepare(ORPHAN_CANDIDATES_SQL)
    .all() as { id: string; pid: number; host: string; beat_at: number | null }[];
  const found: { id: string; message: string }[] = [];
  for (const r of rows) {
    // A row without a boot id (an earlier version) of this host and pid namespace is judged by its pid too.
    const pidHere = r.host === ownerHost() || r.host === processHost();
    // This process's own: alive, whatever its beats say (a busy database skips them). A row of this pid that this
    // process did not create is an earlier process's with the same pid: judged by its heartbeat.
    if (pidHere && r.pid === process.pid && unfinished.has(r.id)) continue;
    if (r.beat_at !== null && now - r.beat_at > ORPHAN_AFTER_MS) {
      found.push({ id: r.id, message: `the process that ran it (pid ${r.pid} on ${r.host}) stopped before it finished: it last said it was alive at ${new Date(r.beat_at).toISOString()}, more than ${ORPHAN_AFTER_MS / 60_000} minutes ago` });
    } else if (pidHere && r.pid !== process.pid && !processAlive(r.pid)) {
      found.push({ id: r.id, message: `the process that ran it (pid ${r.pid} on ${r.host}) stopped before it finished` });
    }
  }
  return found;
}

/** Fail one orphaned run (if still unfinished), forget its owner, and make its alerts due; whether it changed. */
function failOrphan(db: StateDb, id: string, message: string, at: string): boolean {
  const changed = db.prepare(`UPDATE runs SET status = 'failed', finished_at = ?, message = ? WHERE id = ? AND status IN ${UNFINISHED_SQL}`).run(at, message, id).changes;
  db.prepare('DELETE FROM run_owners WHERE run_id = ?').run(id);
  if (changed > 0) markAlertDue(db, id);
  return changed > 0;
}

/**
 * `failOrphanedRuns` as housekeeping when a CLI command or an SDK store opens a project: a state database that
 * is read-only for this user, or busy, leaves them for the next process rather than failing the command.
 */
export function failOrphanedRunsIfWritable(db: StateDb): string[] {
  try {
    return failOrphanedRuns(db);
  } catch {
    return [];
  }
}
