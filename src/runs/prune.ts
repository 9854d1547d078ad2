/**
 * Retention of the quality log: every materialization, push, dataset build and
 * check is a run with its check results and column profiles (samples of up to
 * 10,000 values per column), and every compaction of pushed files a run with its
 * lineage (every kind of `RUN_KINDS`), so the state database grows with every run.
 * Pruning removes runs that started before a cutoff, except what the guards still
 * read (never a finished compaction's run: it has no profiles and no drift or
 * tamper reader):
 *
 * - runs still `running`;
 * - the newest `keep` successful or warned runs with profiles of each (kind, view,
 *   service): the volume history (`volume_history`, default 10) reads them (runs
 *   with the guards off have no profiles and are skipped by the readers, so they
 *   are not counted);
 * - the runs drift's `previous` / `previous:<n>` references (n ≤ 99) would read:
 *   the newest `keep` that `referenceEligibleSql` admits of each view (per kind)
 *   or service, whatever its `min_rows` (a run stays when fewer than `keep` newer
 *   admitted runs have as many rows), so that empty or tiny windows, which drift
 *   passes over, never push out the last run it can compare with;
 * - for each view and time range (a day, or the part of it a window covered) and
 *   set of checksummed columns, the newest successful materialization holding its
 *   tamper checksum: a later run re-checking that range compares against it
 *   (tamper.ts picks exactly that one).
 *   Such a run keeps its summary row and checksums; its check results, profiles
 *   and alert attempts go (`trimmed`).
 *
 * Pinned baselines hold copies of their profiles and are never touched.
 * Materialized intervals (where `--incremental` starts) are not runs and stay.
 *
 * @example
 * pruneRuns(project.state, { before: new Date(Date.now() - 90 * 86_400_000) });
 * // { deleted: 1200, trimmed: 85, protected: 240 }
 */
import { InputError } from '../errors.js';
import { ensureTamperTables } from '../guards/checks/tamper.js';
import { referenceEligibleSql } from '../guards/reference.js';
import { ensureRunTables } from './run-store.js';
import { ensureViewHistoryTable } from './view-history.js';
import { hasTable, writeWhenFree, type StateDb } from '../state/state-db.js';
import { parseAgeOrInstant } from '../time/instant.js';
import type { PruneOptions, PruneResult } from './prune-types.js';

/** Successful runs kept per (kind, view, service) by default: drift's `previous:<n>` goes up to 99. */
export const DEFAULT_KEEP_RUNS = 100;

/**
 * The cutoff `before` names (a `Date`, an instant, or an age such as `90d`), refused when it is in the future: it
 * would remove every run not protected, the newest of each view included, which no one asking for "runs older
 * than" means. The CLI's `--older-than` and the SDK's `pruneRuns` refuse it alike; `what` names the option.
 *
 * @example
 * pastCutoff('90d'); // 90 days ago
 * pastCutoff('2999-01-01'); // InputError future_cutoff
 */
export function pastCutoff(before: Date | string, what = 'before', now = new Date()): Date {
  const at = new Date(parseCutoff(before, what, now));
  if (at.getTime() > now.getTime()) {
    const given = before instanceof Date ? before.toISOString() : before;
    throw new InputError(`${what} ${given} is in the future: it would remove every run not protected; give an age (90d) or a past date`, { [what]: given }, 'future_cutoff');
  }
  return at;
}

/** `before` as ISO text; an `InputError` for what is no instant or age (an invalid `Date`, a number). */
function parseCutoff(before: unknown, what: string, now = new Date()): string {
  if (!(before instanceof Date) && typeof before !== 'string') {
    throw new InputError(`invalid ${what}: give a Date, an ISO 8601 instant or an age such as 90d (got ${before === null ? 'null' : typeof before})`, undefined, 'bad_request');
  }
  return parseAgeOrInstant(before, what, now);
}

/** Runs removed per transaction, so a server reading the log is never held up for long. */
const CHUNK = 500;

/** Classify the runs older than the cutoff: what goes whole, what is trimmed, what stays. */
function classify(db: StateDb, before: string, keep: number): { drop: string[]; trim: string[]; kept: number } {
  const newest = `SELECT id FROM (
      SELECT id, ROW_NUMBER() OVER (PARTITION BY kind, coalesce(view, ''), coalesce(service, '') ORDER BY started_at DESC, rowid DESC) AS k
      FROM runs WHERE status IN ('success', 'warned') AND EXISTS (SELECT 1 FROM profiles p WHERE p.run_id = runs.id)
    ) WHERE k <= @keep`;
  const checksums = hasTable(db, 'guard_partitions')
    ? `SELECT run_id AS id FROM (
        SELECT p.run_id, ROW_NUMBER() OVER (PARTITION BY p.view, p.range_start, p.range_end, p.columns_hash ORDER BY r.started_at DESC, r.rowid DESC) AS k
        FROM guard_partitions p JOIN runs r ON r.id = p.run_id
        WHERE r.kind = 'materialize' AND r.status IN ('success', 'warned')
      ) WHERE k = 1`
    : 'SELECT NULL AS id WHERE 0';
  const rows = db
    .prepare(
      `WITH newest AS (${newest}), checksums AS (${checksums}), references_ AS (SELECT value AS id FROM json_each(@references))
       SELECT r.id,
         CASE WHEN r.status IN ('queued', 'running') OR r.id IN (SELECT id FROM newest) OR r.id IN (SELECT id FROM references_) THEN 'keep'
              WHEN r.id IN (SELECT id FROM checksums) THEN
                CASE WHEN EXISTS (SELECT 1 FROM check_results c WHERE c.run_id = r.id) OR EXISTS (SELECT 1 FROM profiles p WHERE p.run_id = r.id)
                  THEN 'trim' ELSE 'trimmed' END
              ELSE 'drop' END AS fate
       FROM runs r WHERE r.started_at < @before`,
    )
    .all({ before, keep, references: JSON.stringify(driftReferences(db, keep)) }) as { id: string; fate: 'keep' | 'trim' | 'trimmed' | 'drop' }[];
  const drop: string[] = [];
  const trim: string[] = [];
  let kept = 0;
  for (const r of rows) {
    if (r.fate === 'drop') drop.push(r.id);
    else if (r.fate === 'trim') trim.push(r.id);
    else if (r.fate === 'keep') kept++;
  }
  return { drop, trim, kept };
}

/**
 * The runs drift's `previous:<n>` (n ≤ `keep`) may read, whatever the drift check's `min_rows` (a setting of the
 * project, not of the log): a reader with threshold m takes the newest `keep` admitted runs of m or more rows, so a
 * run is read by one of them exactly when fewer than `keep` newer admitted runs of its view or service have as
 * many rows as it has (an unknown row count counts as any).
 */
function driftReferences(db: StateDb, keep: number): string[] {
  const rows = db
    .prepare(
      `SELECT id, kind || '|' || CASE WHEN kind = 'dataset' THEN service ELSE view END AS target, rows_in AS rows FROM runs
       WHERE ((kind IN ('materialize', 'push') AND view IS NOT NULL) OR (kind = 'dataset' AND service IS NOT NULL))
         AND ${referenceEligibleSql('runs', '1')}
       ORDER BY target, started_at DESC, rowid DESC`,
    )
    .all() as { id: string; target: string; rows: number | null }[];
  const out: string[] = [];
  let target: string | null = null;
  let largest: number[] = []; // the `keep` largest row counts of the newer runs of `target`, ascending
  for (const r of rows) {
    if (r.target !== target) [target, largest] = [r.target, []];
    const n = r.rows ?? Infinity;
    if (keep === 0) continue;
    if (largest.length === keep && largest[0] >= n) continue;
    out.push(r.id);
    if (largest.length === keep) largest.shift();
    largest.splice(sortedIndex(largest, n), 0, n);
  }
  return out;
}

function sortedIndex(ascending: readonly number[], n: number): number {
  let i = 0;
  while (i < ascending.length && ascending[i] < n) i++;
  return i;
}

/**
 * The prune as steps: each `yield` hands over one chunk's transaction (the caller runs it), so an async caller can let
 * other work in, and wait for another process's write lock on a timer.
 */
function* pruneSteps(db: StateDb, options: PruneOptions): Generator<() => void, PruneResult> {
  ensureRunTables(db);
  ensureViewHistoryTable(db);
  const keep = options.keep ?? DEFAULT_KEEP_RUNS;
  if (!Number.isSafeInteger(keep) || keep < 0) throw new InputError(`invalid keep ${String(keep)}: a whole number from 0`, { keep: String(keep) }, 'bad_request');
  // One meaning for the flag, here and in the result: a value that is not a boolean is refused (`'yes'` removed
  // nothing yet answered `dryRun: false`).
  const dryRun: unknown = options.dryRun === undefined ? false : options.dryRun;
  if (typeof dryRun !== 'boolean') throw new InputError(`invalid dryRun: true or false (got ${dryRun === null ? 'null' : `a ${typeof dryRun}`})`, { dryRun: String(dryRun) }, 'bad_request');
  const before = parseCutoff(options.before, 'before');
  const { drop, trim, kept } = db.transaction(() => classify(db, before, keep))();
  // Trimmed runs only lose their details: results and profiles always exist, alert attempts only once an alert fired.
  const details = ['check_results', 'profiles', ...(hasTable(db, 'alert_attempts') ? ['alert_attempts'] : [])];
  if (!dryRun) {
    // Its index on run_id, which the cascade of every removed run uses, on a database made before it existed (not
    // for a dry run, which may read a database opened read-only).
    if (hasTable(db, 'guard_partitions')) ensureTamperTables(db);
    // The runs table cascades to results, profiles, alert attempts, run stats and tamper checksums.
    const deleteRun = db.prepare('DELETE FROM runs WHERE id = ?');
    const deleteDetails = details.map((t) => db.prepare(`DELETE FROM ${t} WHERE run_id = ?`));
    for (let i = 0; i < drop.length; i += CHUNK) {
      const ids = drop.slice(i, i + CHUNK);
      yield () => db.transaction(() => ids.forEach((id) => deleteRun.run(id))).immediate();
    }
    for (let i = 0; i < trim.length; i += CHUNK) {
      const ids = trim.slice(i, i + CHUNK);
      yield () => db.transaction(() => ids.forEach((id) => deleteDetails.forEach((s) => s.run(id)))).immediate();
    }
  }
  return { deleted: drop.length, trimmed: trim.length, protected: kept, before, dryRun };
}

/** Remove old runs from the quality log (see the module comment), in one go (CLI, SDK). */
export function pruneRuns(db: StateDb, options: PruneOptions): PruneResult {
  const steps = pruneSteps(db, options);
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
    step.value();
  }
}

/**
 * The same, letting the event loop run between chunks (a server pruning while it answers requests), each chunk
 * waiting for another process's write lock on a timer (`writeWhenFree`), not in SQLite's synchronous busy wait.
 */
export async function pruneRunsInBackground(db: StateDb, options: PruneOptions): Promise<PruneResult> {
  const steps = pruneSteps(db, options);
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
    await writeWhenFree(db, step.value);
    await new Promise((resolve) => setImmediate(resolve));
  }
}
