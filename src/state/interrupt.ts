/**
 * Work to undo when the CLI is interrupted (Ctrl-C, a kill) in the middle of a
 * command: runs left `running`, temp files of a dataset being written. The
 * CLI's signal handler runs these synchronously before it exits; a command
 * unregisters its cleanup once the work is done or undone on the normal path.
 *
 * @example
 * const done = onInterrupt(() => rmSync(temp, { force: true }));
 * try { write(temp); renameSync(temp, out); } finally { done(); }
 */
/** A cleanup; what it returns (if anything) is said to the user. */
export type InterruptCleanup = (signal: string) => string | void;

const cleanups = new Set<InterruptCleanup>();

export function onInterrupt(cleanup: InterruptCleanup): () => void {
  cleanups.add(cleanup);
  return () => cleanups.delete(cleanup);
}

/** Run every registered cleanup, synchronously (errors are ignored: the process is exiting); returns what they said. */
export function runInterruptCleanups(signal: string): string[] {
  const said: string[] = [];
  for (const c of [...cleanups]) {
    try {
      const s = c(signal);
      if (s) said.push(s);
    } catch {
      // best effort
    }
  }
  cleanups.clear();
  return said;
}

/**
 * Run the cleanups, say what they did (one line, `said` starts it) and exit as a process ended by `signal`
 * does: 130 for SIGINT, 143 for SIGTERM, 129 for SIGHUP.
 */
export function exitInterrupted(signal: NodeJS.Signals, say: (line: string) => void, said: string): never {
  const done = runInterruptCleanups(signal);
  say(`${said}${done.length > 0 ? `: ${done.join('; ')}` : ''}`);
  process.exit(128 + (signal === 'SIGINT' ? 2 : signal === 'SIGHUP' ? 1 : 15));
}
