/**
 * Answers whose body is still being made after their handler returned (a streamed dataset). `serve` counts a
 * request as handled until its body has ended, not only until its connection let go of it: a stream cut at the
 * end of the grace time still has its run to record and its build to release, and gets the time to do so
 * before the server (and the project under it) closes.
 *
 * @example
 * holdUntilBodyEnds(c.env?.outgoing, ended); // in a route, `ended` settling once the body's work is done
 * await bodyEnded(res);                      // in the server's request tracker
 */
const bodies = new WeakMap<object, Promise<void>>();

/** Count the answer `outgoing` (Node's `ServerResponse`, Hono's `c.env.outgoing`) as open until `ended` settles. */
export function holdUntilBodyEnds(outgoing: unknown, ended: Promise<unknown>): void {
  if (outgoing === null || typeof outgoing !== 'object') return; // not served by Node (app.request in tests)
  bodies.set(outgoing, ended.then(() => undefined, () => undefined));
}

/** Resolves once the body of `outgoing`, if one was held, has ended. */
export function bodyEnded(outgoing: object): Promise<void> {
  return bodies.get(outgoing) ?? Promise.resolve();
}
