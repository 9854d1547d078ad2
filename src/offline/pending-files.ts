/**
 * Files in a source's folder that are not its rows as they are listed: a file featureguard is still writing
 * (`writingName`, renamed into place when complete), and files a pending compaction merged into a file already
 * in place (`compactedAway`, from the journals under `compactionJournalDir`). A glob's reads leave both out.
 * Re-exported by `source-sql.ts`.
 *
 * @example
 * writingName('/p/data/push-x.parquet'); // '/p/data/.push-x.parquet.featureguard-writing'
 * const away = compactedAway(stateDir, listed); // files whose rows a listed merged file holds
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/** The end of the name featureguard writes a file under until it is complete (`writingName`). */
export const WRITING_SUFFIX = '.featureguard-writing';

/** The name featureguard writes a file under until it is complete (then renamed): hidden, and never read as a source's. */
export function writingName(final: string): string {
  return join(dirname(final), `.${basename(final)}${WRITING_SUFFIX}`);
}

export function isWritingName(file: string): boolean {
  return /(^|[\\/])\.[^\\/]*\.featureguard-writing$/.test(file);
}

/** A file `featureguard compact` merged pushed files into: see push-file-name.ts, where pushed files' names are made. */
export { COMPACTED_FILE } from './push-file-name.js';

/** Where a compaction (`serving/push-compact.ts`) keeps the journal of each merge until it is finished. */
export function compactionJournalDir(stateDir: string): string {
  return join(stateDir, 'compacting');
}

/**
 * The files the pending compaction journals under `stateDir` list as merged into a file of `listed`: the merged
 * file is in place (it was renamed in after its journal was written), so they hold rows it holds. Read after the
 * listing: a compaction that finished meanwhile removed them, and reading them fails (a vanished file) rather than
 * reading rows twice. Usually the folder is absent, which costs one `existsSync`.
 */
export function compactedAway(stateDir: string, listed: readonly string[]): Set<string> {
  const away = new Set<string>();
  const dir = compactionJournalDir(stateDir);
  if (!existsSync(dir)) return away;
  const here = new Set(listed);
  let names: string[];
  try {
    names = readdirSync(dir).filter((n) => n.endsWith('.json'));
  } catch {
    return away;
  }
  for (const name of names) {
    try {
      const journal = JSON.parse(readFileSync(join(dir, name), 'utf8')) as { file?: unknown; merged?: unknown };
      if (typeof journal.file === 'string' && here.has(journal.file) && Array.isArray(journal.merged)) {
        for (const f of journal.merged) if (typeof f === 'string') away.add(f);
      }
    } catch {
      // removed (finished) since the listing, or not a journal
    }
  }
  return away;
}
