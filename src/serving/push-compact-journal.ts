/**
 * The journals of compactions (`push-compact.ts`) under `.featureguard/compacting/`: one per merge, written before its
 * merged file is renamed into place and removed once the files it merged are, so a journal still there is a
 * compaction that was stopped (a `kill -9`, a power cut) and that the next compaction finishes, or one merging now.
 * `pendingCompactions` lists them without touching anything (`compact --dry-run`).
 *
 * @example
 * for (const j of pendingCompactions(project)) console.log(j.state, j.folder, j.files);
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { listLeases } from '../materialize/lease.js';
import { compactionJournalDir } from '../offline/source-sql.js';
import type { Project } from '../project.js';
import { isThisHost, processAlive } from '../state/process-host.js';
import type { StateDb } from '../state/state-db.js';
import type { PendingCompaction } from './push-compact-types.js';

/** What is written before the merged file is renamed into place: enough to finish the compaction after a kill. */
export interface Journal {
  readonly file: string;
  readonly merged: readonly string[];
  readonly runs: readonly string[];
  /** The rows and row checksum (`fingerprintRelation`) of the merged files: the merged file must read so before they are removed. */
  readonly format?: 'parquet' | 'csv';
  readonly rows?: number;
  readonly checksum?: string;
}

/**
 * The lease of a folder being compacted, in the materialization lease table: held for every folder merged, read
 * by a view or not, so that two compactions never merge the same files (every row twice).
 */
export const folderLeaseKey = (folder: string) => `compact:${folder}`;

/**
 * The lease of `key` (a view, or a folder's `folderLeaseKey`) when a live compaction holds it (its owner is
 * `compact-…`): not expired, and of another host or a pid alive here (a killed one's lease of this host is taken
 * over by the next taker, as `acquireLeases` does).
 */
export function liveCompactionLease(db: StateDb, key: string): { owner: string; pid: number; host: string; acquired_at: string } | undefined {
  const lease = listLeases(db).find((l) => l.view === key && l.owner.startsWith('compact-'));
  return lease !== undefined && (!isThisHost(lease.host) || processAlive(lease.pid)) ? lease : undefined;
}

/** The folder of a project's journals. */
export const journalDir = (project: Pick<Project, 'stateDir'>) => compactionJournalDir(project.stateDir);

/** The journals in `dir`, by path, in name order; one that does not parse (being written) is left out. */
export function readJournals(dir: string): { path: string; journal: Journal }[] {
  if (!existsSync(dir)) return [];
  const out: { path: string; journal: Journal }[] = [];
  for (const name of readdirSync(dir).filter((n) => n.endsWith('.json')).sort()) {
    const path = join(dir, name);
    try {
      out.push({ path, journal: JSON.parse(readFileSync(path, 'utf8')) as Journal });
    } catch {
      // being written by a compaction that has not renamed it yet, or removed meanwhile
    }
  }
  return out;
}

/**
 * The journals of `project` with their state: `running` when a live process holds the lease of the folder
 * (`compact:<folder>`), else `interrupted`. Reads only: no lease is taken, no file changed.
 */
export function pendingCompactions(project: Pick<Project, 'stateDir' | 'state'>): PendingCompaction[] {
  const journals = readJournals(journalDir(project));
  if (journals.length === 0) return [];
  return journals.map(({ path, journal }) => {
    const folder = dirname(journal.file);
    const lease = liveCompactionLease(project.state, folderLeaseKey(folder));
    const live = lease !== undefined;
    return {
      journal: path, folder, file: journal.file, files: journal.merged.length, merged: journal.merged, rows: typeof journal.rows === 'number' ? journal.rows : null,
      state: live ? 'running' : 'interrupted', ...(live ? { pid: lease.pid } : {}),
    };
  });
}
