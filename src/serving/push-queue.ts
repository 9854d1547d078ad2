/**
 * Admission of pushes: the pushes of one view in a process run one after another, in the order they arrive (a
 * FIFO per view); pushes of different views run side by side. Run all at once, concurrent pushes of one view
 * shared the engine, the state database and the online store's lock and all answered near the end together (50
 * one-row pushes: the first answer after 4.3 s, the last after 4.8 s); queued, each answers as soon as its turn is
 * done, and an idempotency key's retry (push-idempotency.ts) finds the first push's answer. `pushesWaiting` is
 * the `featureguard_push_queue_depth` gauge of `/metrics`.
 *
 * @example
 * const result = await inViewQueue(project, 'origin_delays', () => pushOnce(project, request, options));
 */

/** The last push admitted per view, per owner (a project): the next one of that view waits for it. */
const tails = new WeakMap<object, Map<string, Promise<void>>>();

/** Pushes of this process waiting for an earlier push of their view to finish. */
let waiting = 0;

/** How many pushes of this process wait for an earlier push of their view to finish (the `/metrics` gauge). */
export function pushesWaiting(): number {
  return waiting;
}

/** Run `work` once every push of `view` (of `owner`) admitted before it has finished, failed or not. */
export async function inViewQueue<T>(owner: object, view: string, work: () => Promise<T>): Promise<T> {
  let views = tails.get(owner);
  if (!views) tails.set(owner, (views = new Map()));
  const before = views.get(view);
  let release!: () => void;
  const mine = new Promise<void>((resolve) => (release = resolve));
  views.set(view, mine);
  try {
    if (before !== undefined) {
      waiting++;
      try {
        await before;
      } finally {
        waiting--;
      }
    }
    return await work();
  } finally {
    release();
    if (views.get(view) === mine) views.delete(view);
  }
}
