/**
 * The CLI's output written to a full disk (stdout or stderr on /dev/full: ENOSPC): the command's work stays done,
 * and it exits 3 (a runtime failure) saying the disk is full. The stream's error was rethrown from its handler: a
 * Node stack trace and exit 1, which a CI script reads as "a guard blocked".
 */
import { spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './cli-io.js';
import { writeSmallProject } from './small-project.js';

const FULL = '/dev/full';

let dir: string;
beforeAll(async () => {
  dir = writeSmallProject('fg-write-error-');
  expect((await runCli(['--project', dir, 'apply'])).code).toBe(0);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The CLI as its executable runs it, with stdout or stderr written to /dev/full and the other stream captured. */
function runToFullDisk(argv: string[], full: 'stdout' | 'stderr'): Promise<{ code: number | null; text: string }> {
  const fd = openSync(FULL, 'w');
  const stdio: ['ignore', 'pipe' | number, 'pipe' | number] = full === 'stdout' ? ['ignore', fd, 'pipe'] : ['ignore', 'pipe', fd];
  const child = spawn(process.execPath, ['--import', 'tsx', join(__dirname, 'interrupt-child.ts'), ...argv], { stdio });
  closeSync(fd);
  let text = '';
  (full === 'stdout' ? child.stderr : child.stdout)!.on('data', (d: Buffer) => (text += d.toString()));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, text })));
}

describe.skipIf(!existsSync(FULL))('output to a full disk', () => {
  it('a materialization whose --json result cannot be written: its run stays recorded, exit 3, "the disk is full", no stack trace', async () => {
    const r = await runToFullDisk(['--project', dir, '--json', 'materialize', '--start', '2001-01-01', '--end', '2001-01-03'], 'stdout');
    expect(r.code).toBe(3);
    expect(JSON.parse(r.text).error).toMatchObject({ code: 'output_failed' });
    expect(r.text).toContain('the disk is full');
    expect(r.text).not.toMatch(/\n\s+at /);
    const runs = JSON.parse((await runCli(['--project', dir, '--json', 'runs', 'list', '--kind', 'materialize'])).out);
    expect(runs.runs[0].status).toBe('success');
  }, 60_000);

  it('list to a full disk exits 3 with a one-line message', async () => {
    const r = await runToFullDisk(['--project', dir, 'list'], 'stdout');
    expect(r.code).toBe(3);
    expect(r.text.trim()).toMatch(/^error: cannot write the output: ENOSPC.*: the disk is full$/);
  }, 60_000);

  it('an error said to a full stderr exits 3, not 1', async () => {
    const r = await runToFullDisk(['--project', dir, 'describe', 'nope'], 'stderr');
    expect(r.code).toBe(3);
    expect(r.text).toBe('');
  }, 60_000);
});
