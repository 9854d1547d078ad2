import { describe, expect, it } from 'vitest';
import { repeat } from './repeat.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('repeat', () => {
  it('runs one at a time (ticks during a run are skipped), reports failures, and stop waits for the run in progress', async () => {
    let started = 0;
    let finished = 0;
    const errors: unknown[] = [];
    const r = repeat(
      async () => {
        started++;
        await sleep(60);
        finished++;
        if (started === 1) throw new Error('first fails');
      },
      10,
      { atStart: true, onError: (e) => errors.push(e) },
    );
    await sleep(30); // one run under way, several ticks skipped meanwhile
    expect([started, finished]).toEqual([1, 0]);
    await sleep(60);
    expect(errors).toEqual([new Error('first fails')]);
    await r.stop();
    expect(finished).toBe(started); // the run in progress, if any, finished before stop resolved
    const after = started;
    await sleep(40);
    expect(started).toBe(after); // no run after stop
  });
});
