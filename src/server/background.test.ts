import { describe, expect, it } from 'vitest';
import { createBackgroundWork } from './background.js';

function deferred(): { promise: Promise<void>; resolve: () => void; reject: (e: Error) => void } {
  let resolve!: () => void;
  let reject!: (e: Error) => void;
  const promise = new Promise<void>((res, rej) => ((resolve = res), (reject = rej)));
  return { promise, resolve, reject };
}

const settledWithin = async (p: Promise<unknown>) => Promise.race([p.then(() => true), new Promise((r) => setTimeout(() => r(false), 20))]);

describe('background work', () => {
  it('lets callers go on at once up to the limit, then makes them wait for their own work', async () => {
    const bg = createBackgroundWork(2);
    const [a, b, c] = [deferred(), deferred(), deferred()];
    expect(await settledWithin(bg.track(a.promise))).toBe(true);
    expect(await settledWithin(bg.track(b.promise))).toBe(true);
    const third = bg.track(c.promise);
    expect(bg.pending).toBe(3);
    expect(await settledWithin(third)).toBe(false);
    a.resolve();
    expect(await settledWithin(third)).toBe(false);
    c.reject(new Error('receiver down'));
    expect(await settledWithin(third)).toBe(true);
    expect(bg.pending).toBe(1);
    // Below the limit again: at once.
    const d = deferred();
    expect(await settledWithin(bg.track(d.promise))).toBe(true);
    const idle = bg.idle();
    expect(await settledWithin(idle)).toBe(false);
    b.resolve();
    d.resolve();
    expect(await settledWithin(idle)).toBe(true);
    expect(bg.pending).toBe(0);
  });
});
