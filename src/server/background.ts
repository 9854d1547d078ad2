/**
 * Work a request starts but does not wait for (the alert deliveries of pushes:
 * webhook retries can take seconds). `serve` waits for it when it stops.
 *
 * Bounded: with `limit` pieces of work pending (a webhook receiver that is down
 * while pushes keep coming), `track` resolves only once the new work has settled,
 * so the request that started it waits instead of the server holding an unbounded
 * queue of deliveries in memory.
 *
 * @example
 * await ctx.background.track(deliverAlerts()); // at once, unless `limit` are pending
 * await ctx.background.idle(); // on shutdown
 */
export interface BackgroundWork {
  /** Keep `work` until it settles (its failure is its own to record); resolves when the caller may go on. */
  track(work: Promise<unknown>): Promise<void>;
  /** Resolves once everything tracked so far, and anything it started, has settled. */
  idle(): Promise<void>;
  /** Pieces of work not settled yet. */
  readonly pending: number;
}

/** Pending deliveries a server holds before requests wait for theirs (default 1000). */
export const DEFAULT_BACKGROUND_LIMIT = 1000;

export function createBackgroundWork(limit = DEFAULT_BACKGROUND_LIMIT): BackgroundWork {
  const pending = new Set<Promise<unknown>>();
  return {
    track(work) {
      const settled: Promise<void> = work.then(() => undefined, () => undefined).finally(() => pending.delete(settled));
      pending.add(settled);
      return pending.size > limit ? settled : Promise.resolve();
    },
    async idle() {
      while (pending.size > 0) await Promise.all([...pending]);
    },
    get pending() {
      return pending.size;
    },
  };
}
