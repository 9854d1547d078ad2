/**
 * A CLI command that finds the state database locked by another process for longer than its busy timeout (an
 * operator's sqlite3 session, a backup, a long prune) fails with the retryable conflict `state_busy` (exit 3), not
 * `internal` (a review finding: a script retrying on `*_busy` took it for a bug).
 */
import { execFile } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { holdWriteLock } from '../helpers/write-lock.js';
import { runCli } from './cli-io.js';
import { writeSmallProject } from './small-project.js';

let dir: string;
beforeAll(async () => {
  dir = writeSmallProject('fg-state-busy-');
  expect((await runCli(['--project', dir, 'apply'])).code).toBe(0);
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('a state database locked longer than the busy timeout', () => {
  it('is state_busy (exit 3) with what to do, in --json and in text', async () => {
    // Held long enough for a slow child start; released as soon as both have given up.
    const { release } = await holdWriteLock(join(dir, '.featureguard', 'state.db'), 25_000);
    try {
      // The text variant in a child process (the built CLI) waits out its 10 s busy timeout while this process's
      // synchronous wait runs: one after the other they took 22 s of the suite.
      const text = new Promise<{ code: number; err: string }>((resolve) => {
        execFile(process.execPath, ['bin/featureguard.js', '--project', dir, 'runs', 'prune', '--older-than', '1d'], (e, _out, err) =>
          resolve({ code: e ? Number(e.code) : 0, err: err.trim() }));
      });
      const json = await runCli(['--project', dir, '--json', 'runs', 'prune', '--older-than', '1d']);
      expect(json.code).toBe(3);
      const error = (JSON.parse(json.err) as { error: { code: string; message: string; details: { code: string } } }).error;
      expect(error.code).toBe('state_busy');
      expect(error.message).toMatch(/another process .*write lock.*try again/);
      expect(error.details.code).toMatch(/^SQLITE_BUSY/);
      const { code, err } = await text;
      expect([code, err]).toEqual([3, expect.stringMatching(/^error: .*try again/)]);
    } finally {
      await release();
    }
  }, 40_000);
});
