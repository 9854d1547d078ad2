/**
 * Work a request starts but does not wait for (the alert deliveries of pushes:
 * webhook retries can take seconds). `serve` waits for it when it stops.
 *
 * @example
 * ctx.background.track(deliverAlerts());
 * await ctx.background.idle(); // on shutdown
 */
export interface BackgroundWork {
  /** Keep `work` until it settles (its failure is its own to record). */
  track(work: Promise<unknown>): void;
  /** Resolves once everything tracked so far, and anything it started, has settled. */
  idle(): Promise<void>;
}

export function createBackgroundWork(): BackgroundWork {
  const pending = new Set<Promise<unknown>>();
  return {
    track(work) {
      const settled: Promise<unknown> = work.catch(() => undefined).finally(() => pending.delete(settled));
      pending.add(settled);
    },
    async idle() {
      while (pending.size > 0) await Promise.all([...pending]);
    },
  };
}
