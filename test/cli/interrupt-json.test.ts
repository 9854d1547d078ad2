/**
 * An interrupt under `--json` is reported as featureguard's other errors are under `--json`: one
 * `{"error": {code, message, details}}` document on stderr (it was the plain text `interrupted: run … marked failed`).
 * The interrupt comes before the build's run exists (its entity rows are read first), so no run is marked or left.
 * The command is held reading its entity file from a FIFO, so the signal comes while it runs.
 */
import { execFileSync, spawn } from 'node:child_process';
import { open } from 'node:fs/promises';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { runCli } from './cli-io.js';
import { writeSmallProject } from './small-project.js';

let dir: string;
beforeAll(async () => {
  dir = writeSmallProject('fg-interrupt-json-');
  expect((await runCli(['--project', dir, 'apply'])).code).toBe(0);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it('Ctrl-C during a --json dataset build: exit 130, the error as JSON on stderr, stdout empty', async () => {
  const fifo = join(dir, 'entities.csv');
  execFileSync('mkfifo', [fifo]);
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', join(__dirname, 'interrupt-child.ts'), '--project', dir, '--json', 'dataset', 'build', '--entities', fifo, '--features', 'stats:n', '--out', join(dir, 'out.parquet')],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  // Opening the FIFO's write end waits for the build to open it: the command is running, its handlers set.
  const writer = await open(fifo, 'w');
  child.kill('SIGINT');
  await new Promise((r) => setTimeout(r, 300));
  await writer.write('origin,event_timestamp\nSEA,2001-01-02T00:00:00Z\n');
  await writer.close();
  expect(await exited).toBe(130);
  expect(stdout).toBe('');
  const { error } = JSON.parse(stderr);
  expect(error).toMatchObject({ code: 'interrupted', details: { signal: 'SIGINT' } });
  // The signal came while the entity file was read, before the build's run is created (refused input records none):
  // no run to mark failed, and none left `running`.
  expect(error.message).toBe('interrupted');
  const runs = await runCli(['--project', dir, '--json', 'runs', 'list', '--kind', 'dataset']);
  expect(runs.code).toBe(0);
  expect(JSON.parse(runs.out).runs).toEqual([]);
}, 60_000);
