/**
 * The online store's epoch an incremental materialization resolves its windows in. Windows count only in the
 * epoch they were written into (a Redis restarted without persistence has a new one), so an incremental run
 * whose epoch cannot be read as it starts (the store briefly not answering) cannot tell what the store still
 * holds: it fails, saying so, rather than counting the windows of every epoch and writing only the tail window
 * into a store that lost its values. Its run checks the epoch again as it writes: one that changed since (the
 * store lost its values meanwhile) fails it too, and the next run starts afresh.
 *
 * @example
 * const atStart = await epochAtStart(project, options.incremental);   // before resolving the windows
 * checkEpochAtStart(atStart, await store.epoch());                    // in the run, before writing
 */
import { FeatureguardError } from '../errors.js';
import type { Project } from '../project.js';

/** The epoch read as the materialization started, why it could not be, or null (not incremental). */
export type EpochAtStart = { readonly epoch: string } | { readonly error: unknown } | null;

/** Read the epoch for an incremental materialization (null otherwise); never rejects. */
export async function epochAtStart(project: Project, incremental: boolean | undefined): Promise<EpochAtStart> {
  if (!incremental) return null;
  try {
    return { epoch: await (await project.onlineStore()).epoch() };
  } catch (error) {
    return { error };
  }
}

/** The epoch the windows were resolved in (undefined: every epoch's, for a run that is not incremental). */
export function resolvedEpoch(atStart: EpochAtStart): string | undefined {
  return atStart !== null && 'epoch' in atStart ? atStart.epoch : undefined;
}

/** Throws (503 `store_unavailable`) when an incremental run's window cannot be trusted in the store's epoch `now`. */
export function checkEpochAtStart(atStart: EpochAtStart, now: string): void {
  if (atStart === null) return;
  if ('error' in atStart) {
    const reason = atStart.error instanceof Error ? atStart.error.message.split('\n')[0] : String(atStart.error);
    throw new FeatureguardError(
      'store_unavailable',
      `could not read the online store's epoch as the run started (${reason}), so its incremental window could not be checked against what the store holds; nothing was written (the next incremental run resolves it again)`,
      { status: 503, exitCode: 3, cause: atStart.error },
    );
  }
  if (atStart.epoch !== now) {
    throw new FeatureguardError(
      'store_unavailable',
      `the online store lost its values after the run resolved its incremental window (its epoch changed); nothing was written (the next incremental run starts afresh)`,
      { status: 503, exitCode: 3 },
    );
  }
}
