/**
 * Work to undo when the CLI is interrupted (Ctrl-C, a kill) in the middle of a
 * command: temp files of a dataset being written. The CLI's signal handler runs
 * these synchronously before it exits; a command unregisters its cleanup once
 * the work is done or undone on the normal path.
 *
 * @example
 * const done = onInterrupt(() => rmSync(temp, { force: true }));
 * try { write(temp); renameSync(temp, out); } finally { done(); }
 */
const cleanups = new Set<() => void>();

export function onInterrupt(cleanup: () => void): () => void {
  cleanups.add(cleanup);
  return () => cleanups.delete(cleanup);
}

/** Run every registered cleanup (errors are ignored: the process is exiting). */
export function runInterruptCleanups(): void {
  for (const c of [...cleanups]) {
    try {
      c();
    } catch {
      // best effort
    }
  }
  cleanups.clear();
}
