/**
 * The registry on the SQLite state database. Every version of every object is
 * kept (`registry_versions`: kind, name, version, content hash, applied time,
 * definition JSON; a removal is a version with a null definition). `apply` runs
 * in one `BEGIN IMMEDIATE` transaction, so a second process applying at the same
 * time waits (busy_timeout) and then plans against what the first one wrote.
 * `applyWhenFree` waits for that lock on a timer instead, so a server applying
 * goes on answering other requests meanwhile.
 * `current()` is called per request by the server: it costs one indexed
 * `max(id)` lookup unless another apply happened, in any process.
 */
import { ConflictError, FeatureguardError } from '../errors.js';
import { deepFreeze } from '../definitions/define.js';
import { allDefinitions, definitionSet } from '../definitions/definition-set.js';
import type { DefinitionOrigin } from '../definitions/definition-files.js';
import { fileOrigin, setDefinitionOrigin } from '../definitions/origins.js';
import type { Definition, DefinitionKind, DefinitionSet, FeatureViewDef } from '../definitions/types.js';
import { ensureColumn, ensureTables, isBusy, writeWhenFree, type StateDb } from '../state/state-db.js';
import { viewHistoryStart } from '../runs/view-history.js';
import { localAppliedBy, type AppliedBy } from './applied-by.js';
import { contentHash } from './canonical.js';
import { computePlan, objectKey } from './plan.js';
import type { ApplyOptions, ApplyResult, Plan, Registry, VersionRecord } from './types.js';

const DDL = `
CREATE TABLE IF NOT EXISTS registry_applies (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  applied_at TEXT NOT NULL,
  changes INTEGER NOT NULL,
  allow_breaking INTEGER NOT NULL,
  pid INTEGER
);
CREATE TABLE IF NOT EXISTS registry_versions (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  kind TEXT NOT NULL,
  name TEXT NOT NULL,
  version INTEGER NOT NULL,
  hash TEXT NOT NULL,
  applied_at TEXT NOT NULL,
  definition TEXT,
  apply_id INTEGER NOT NULL REFERENCES registry_applies(id),
  origin TEXT,
  UNIQUE (kind, name, version)
);
`;

interface VersionRow {
  kind: DefinitionKind;
  name: string;
  version: number;
  hash: string;
  applied_at: string;
  definition: string | null;
  /** Where the applied object was read from, as JSON `{file, line}`: null when applied from code or over HTTP. */
  origin: string | null;
}

interface Snapshot {
  readonly generation: number;
  readonly set: DefinitionSet;
  readonly versions: ReadonlyMap<string, VersionRecord>;
  readonly removed: ReadonlyMap<string, VersionRecord>;
}

/**
 * Open the registry stored in `db` (tables are created on first use).
 *
 * @example
 * const registry = openSqliteRegistry(openStateDb('.featureguard/state.db'));
 * const plan = registry.plan(defs);
 * if (!plan.breaking) registry.apply(defs);
 */
export function openSqliteRegistry(db: StateDb): Registry {
  ensureTables(db, 'registry', DDL);
  // Registries made before origins were kept have no `origin` column: it is added, unless the state database is
  // read-only (a reader of an older project), which then reads no origins.
  const origin = ensureColumn(db, 'registry_versions', 'origin', 'TEXT') ? 'origin' : 'NULL AS origin';
  // Who applied (JSON `AppliedBy`), likewise added to older registries; null for applies made before.
  const withAppliedBy = ensureColumn(db, 'registry_applies', 'applied_by', 'TEXT');
  const generationStmt = db.prepare('SELECT coalesce(max(id), 0) AS g FROM registry_versions').pluck();
  const latestStmt = db.prepare(`
    SELECT kind, name, version, hash, applied_at, definition, ${origin} FROM registry_versions v
    WHERE version = (SELECT max(version) FROM registry_versions w WHERE w.kind = v.kind AND w.name = v.name)
    ORDER BY kind, name`);
  const versionsStmt = db.prepare(
    `SELECT kind, name, version, hash, applied_at, definition, ${origin} FROM registry_versions WHERE kind = ? AND name = ? ORDER BY version`,
  );
  const appliedByStmt = db.prepare(
    `SELECT v.version, ${withAppliedBy ? 'a.applied_by' : 'NULL AS applied_by'} FROM registry_versions v LEFT JOIN registry_applies a ON a.id = v.apply_id WHERE v.kind = ? AND v.name = ?`,
  );
  const insertApply = db.prepare(withAppliedBy
    ? 'INSERT INTO registry_applies (applied_at, changes, allow_breaking, pid, applied_by) VALUES (?, ?, ?, ?, ?)'
    : 'INSERT INTO registry_applies (applied_at, changes, allow_breaking, pid) VALUES (?, ?, ?, ?)');
  const insertVersion = db.prepare(
    origin === 'origin'
      ? 'INSERT INTO registry_versions (kind, name, version, hash, applied_at, definition, apply_id, origin) VALUES (?, ?, ?, ?, ?, ?, ?, ?)'
      : 'INSERT INTO registry_versions (kind, name, version, hash, applied_at, definition, apply_id) VALUES (?, ?, ?, ?, ?, ?, ?)',
  );

  /**
   * A view's versions whose online values may still be stored, for the plan: since its values were last dropped
   * (removed, or a breaking change: `view_history_starts`), from the version current then; and since its last
   * removal.
   */
  const pastViews = (name: string): FeatureViewDef[] => {
    const since = viewHistoryStart(db, name);
    const out: FeatureViewDef[] = [];
    for (const r of versionsStmt.all('feature_view', name) as VersionRow[]) {
      // Applied before the drop and replaced before it: its values went with the drop.
      if (since !== null && r.applied_at < since) out.length = 0;
      if (r.definition === null) out.length = 0;
      else out.push(JSON.parse(r.definition) as FeatureViewDef);
    }
    return out;
  };

  let known = { generation: 0, at: -Infinity };
  const generation = (maxAgeMs = 0): number => {
    const now = performance.now();
    if (maxAgeMs <= 0 || now - known.at > maxAgeMs) known = { generation: generationStmt.get() as number, at: now };
    return known.generation;
  };

  const readSnapshot = db.transaction((): Snapshot => {
    const g = generation();
    const versions = new Map<string, VersionRecord>();
    const removed = new Map<string, VersionRecord>();
    for (const row of latestStmt.all() as VersionRow[]) {
      const rec = toRecord(row);
      (rec.definition ? versions : removed).set(objectKey(rec.kind, rec.name), rec);
    }
    const defs = [...versions.values()].map((v) => v.definition as Definition);
    return { generation: g, set: definitionSet(defs), versions, removed };
  });

  let cache: Snapshot | undefined;
  const snapshot = (): Snapshot => {
    if (!cache || cache.generation !== generation()) cache = readSnapshot();
    return cache;
  };

  const applyTx = db.transaction((defs: readonly Definition[], options: ApplyOptions): ApplyResult => {
    const { inTransaction, checkPlan } = options;
    const allowBreaking = options.allowBreaking === true;
    const snap = readSnapshot();
    // Checked in the write transaction: no apply can slip in between the check and the write.
    if (options.expectedGeneration !== undefined && snap.generation !== options.expectedGeneration) throw registryChanged(options.expectedGeneration, snap.generation);
    const plan: Plan = { ...computePlan(allDefinitions(snap.set), defs, pastViews), generation: snap.generation };
    checkPlan?.(plan);
    if (plan.breaking && !allowBreaking) {
      const reasons = plan.changes.flatMap((c) => c.breaking);
      throw new ConflictError(
        `refusing to apply breaking changes (pass --allow-breaking / allowBreaking, or allow_breaking: true over HTTP, to apply them):\n${reasons.map((r) => `  - ${r}`).join('\n')}`,
        { breaking: reasons },
        'breaking_change',
        2, // a usage error (DESIGN.md: exit 2): the same apply with --allow-breaking goes through
      );
    }
    const changed = plan.changes.filter((c) => c.action !== 'unchanged');
    if (changed.length === 0) {
      const none = { plan, applied: [], generation: snap.generation };
      inTransaction?.(none);
      return none;
    }
    const appliedAt = new Date().toISOString();
    const by = withAppliedBy ? [JSON.stringify(options.appliedBy ?? localAppliedBy())] : [];
    const applyId = insertApply.run(appliedAt, changed.length, allowBreaking ? 1 : 0, process.pid, ...by).lastInsertRowid;
    const desired = new Map(defs.map((d) => [objectKey(d.kind, d.name), d]));
    const applied: VersionRecord[] = [];
    for (const c of changed) {
      const key = objectKey(c.kind, c.name);
      const previous = versionsStmt.all(c.kind, c.name) as VersionRow[];
      const version = (previous.at(-1)?.version ?? 0) + 1;
      const def = c.action === 'remove' ? null : (desired.get(key) as Definition);
      const json = def === null ? null : JSON.stringify(def);
      const hash = contentHash(def);
      const from = def === null ? null : storedOrigin(def);
      insertVersion.run(c.kind, c.name, version, hash, appliedAt, json, applyId, ...(origin === 'origin' ? [from] : []));
      applied.push(toRecord({ kind: c.kind, name: c.name, version, hash, applied_at: appliedAt, definition: json, origin: from }));
    }
    const result = { plan, applied, generation: generationStmt.get() as number };
    inTransaction?.(result);
    return result;
  });

  /** After an apply: this process's next read sees it at once. */
  const applied = (result: ApplyResult): ApplyResult => {
    cache = undefined;
    known = { generation: 0, at: -Infinity };
    return result;
  };

  return {
    current: () => snapshot().set,
    currentVersions: () => snapshot().versions,
    removedVersions: () => snapshot().removed,
    plan(defs): Plan {
      const snap = readSnapshot();
      return { ...computePlan(allDefinitions(snap.set), defs, pastViews), generation: snap.generation };
    },
    apply(defs, options = {}) {
      try {
        return applied(applyTx.immediate(defs, options));
      } catch (e) {
        throw translateBusy(e);
      }
    },
    async applyWhenFree(defs, options = {}) {
      try {
        return applied(await writeWhenFree(db, () => applyTx.immediate(defs, options)));
      } catch (e) {
        throw translateBusy(e);
      }
    },
    versions(kind, name) {
      const by = new Map((appliedByStmt.raw().all(kind, name) as [number, string | null][]).map(([v, a]) => [v, a === null ? null : (JSON.parse(a) as AppliedBy)]));
      return (versionsStmt.all(kind, name) as VersionRow[]).map((row) => ({ ...toRecord(row), applied_by: by.get(row.version) ?? null }));
    },
    generation,
  };
}

function toRecord(row: VersionRow): VersionRecord {
  const definition = row.definition === null ? null : deepFreeze(JSON.parse(row.definition) as Definition);
  if (definition) setDefinitionOrigin(definition, appliedOrigin(row));
  return { kind: row.kind, name: row.name, version: row.version, hash: row.hash, applied_at: row.applied_at, definition };
}

/**
 * Where a definition was read from, kept with its version so that problems found when it is used (a source file
 * gone, a column missing) name its file and line: JSON `{file, line}`, or null for objects built in code or sent
 * over HTTP (their origin is a `(code)[i]` label, not a file).
 */
function storedOrigin(def: Definition): string | null {
  const from = fileOrigin(def);
  return from === null ? null : JSON.stringify(from);
}

/**
 * The origin of a definition read from the registry: the file it was applied from and the line of the object there
 * (whatever the path inside it: the file may have changed since, and a problem's JSON path and object name pin it
 * down), or `registry vN` for objects applied from code or over HTTP.
 */
function appliedOrigin(row: VersionRow): DefinitionOrigin {
  const stored = row.origin === null ? null : (JSON.parse(row.origin) as { file: string; line: number | null });
  if (!stored) return { file: `registry v${row.version}`, locate: () => ({}) };
  return { file: stored.file, locate: () => (stored.line === null ? {} : { line: stored.line, column: 1 }) };
}


/**
 * An apply made against generation `expected` (`ApplyOptions.expectedGeneration`) while the registry is at `actual`:
 * another apply came in between (a teammate's change the caller has not seen, which its full set would revert).
 */
function registryChanged(expected: number, actual: number): ConflictError {
  return new ConflictError(
    `the registry changed since generation ${expected} (it is at generation ${actual}: another apply came in between); nothing was applied: ` +
      'plan again against the current registry, review its changes, and apply with the new generation',
    { expected_generation: expected, generation: actual },
    'registry_changed',
    2,
  );
}

/**
 * SQLITE_BUSY after the busy timeout: another process held the state database's write lock too long. Which
 * process is not known (an apply, a materialization or push recording its run, a prune, an operator's sqlite3
 * session or backup), so the message does not guess.
 */
function translateBusy(e: unknown): unknown {
  if (e instanceof FeatureguardError || !isBusy(e)) return e;
  return new ConflictError(
    'the registry cannot be changed now: another process has been writing the state database for too long ' +
      '(an apply, a materialization, a prune, a backup or an open sqlite3 session); nothing was applied, try again',
    undefined,
    'registry_busy',
  );
}
