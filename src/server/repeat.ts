/**
 * A background task `serve` repeats (pending online drops, retention, held-back alert summaries): one run at
 * a time (a tick while one runs is skipped, say a long Redis scan), its failure handed to `onError`, timers
 * that keep no process alive. `stop` clears the timers at once and resolves when a run in progress is done.
 *
 * @example
 * const sweep = repeat(() => dropPendingViews(project, 0).then(report), 15_000, { onError: warn });
 * await sweep.stop();
 */
export interface Repeating {
  stop(): Promise<void>;
}

export function repeat(task: () => Promise<void>, everyMs: number, opts: { onError: (err: unknown) => void; atStart?: boolean }): Repeating {
  let running: Promise<void> | null = null;
  const tick = () => {
    if (running) return;
    running = task()
      .catch(opts.onError)
      .finally(() => {
        running = null;
      });
  };
  const first = opts.atStart ? setTimeout(tick, 0) : undefined;
  first?.unref();
  const timer = setInterval(tick, everyMs);
  timer.unref();
  return {
    async stop() {
      clearTimeout(first);
      clearInterval(timer);
      await running;
    },
  };
}
