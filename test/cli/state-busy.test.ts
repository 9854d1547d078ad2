/**
 * A CLI command that finds the state database locked by another process for longer than its busy timeout (an
 * operator's sqlite3 session, a backup, a long prune) fails with the retryable conflict `state_busy` (exit 3), not
 * `internal` (a review finding: a script retrying on `*_busy` took it for a bug).
 */
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
    const { ended } = await holdWriteLock(join(dir, '.featureguard', 'state.db'), 22_000);
    try {
      const json = await runCli(['--project', dir, '--json', 'runs', 'prune', '--older-than', '1d']);
      expect(json.code).toBe(3);
      const error = (JSON.parse(json.err) as { error: { code: string; message: string; details: { code: string } } }).error;
      expect(error.code).toBe('state_busy');
      expect(error.message).toMatch(/another process .*write lock.*try again/);
      expect(error.details.code).toMatch(/^SQLITE_BUSY/);
      const text = await runCli(['--project', dir, 'runs', 'prune', '--older-than', '1d']);
      expect([text.code, text.err]).toEqual([3, expect.stringMatching(/^error: .*try again/)]);
    } finally {
      await ended;
    }
  }, 40_000);
});
