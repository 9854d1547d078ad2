/**
 * The CLI's output read by a reader that went away (`2>&1 | true`, `| head -1`):
 * the command keeps its exit code. An unhandled EPIPE on stderr exited 1, a
 * guard's "blocked", where an unknown run or command is a usage error (2).
 */
import { spawn } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './cli-io.js';
import { writeSmallProject } from './small-project.js';

let dir: string;
beforeAll(async () => {
  dir = writeSmallProject('fg-closed-pipe-');
  expect((await runCli(['--project', dir, 'apply'])).code).toBe(0);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The CLI as its executable runs it, with stdout and stderr read by nobody: both pipes are closed at once. */
function exitCodeWithClosedPipes(argv: string[]): Promise<number | null> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(__dirname, 'interrupt-child.ts'), ...argv], { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout.destroy();
  child.stderr.destroy();
  return new Promise((resolve) => child.on('exit', (code) => resolve(code)));
}

describe('output to a closed pipe', () => {
  it('an unknown run or command still exits 2', async () => {
    expect(await exitCodeWithClosedPipes(['--project', dir, 'runs', 'show', 'no-such-run'])).toBe(2);
    expect(await exitCodeWithClosedPipes(['runs', 'lsit'])).toBe(2);
  }, 60_000);

  it('apply refusing a breaking change still exits 2', async () => {
    const defs = join(dir, 'features', 'defs.yaml');
    writeFileSync(defs, readFileSync(defs, 'utf8').replace('type: int64', 'type: float64'));
    expect(await exitCodeWithClosedPipes(['--project', dir, 'apply'])).toBe(2);
  }, 60_000);
});
