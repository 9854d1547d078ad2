/**
 * Ctrl-C in the middle of a command: the run it started is marked failed
 * (not left `running` in the quality log for good), its temp files go (the
 * signal is sent while the output is being written), and an earlier output at
 * the same path stays whole.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyFlightsProject } from '../helpers/flights.js';
import { runCli } from './cli-io.js';

let root: string;
let dir: string;
beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'fg-interrupt-'));
  dir = await copyFlightsProject(join(root, 'flights'), { data: 'link' });
  expect((await runCli(['--project', dir, 'apply'])).code).toBe(0);
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('an interrupted command', () => {
  it('marks its run failed and leaves an earlier output as it was', async () => {
    const out = join(root, 'out', 'train.parquet');
    await runCli(['--project', dir, 'dataset', 'build', '--features', 'airport_hourly:departures', '--entities-sql', "SELECT 'SEA' AS origin, TIMESTAMP '2001-03-01' AS event_timestamp", '--out', out]);
    expect(existsSync(out)).toBe(true);
    const child = spawn(process.execPath, ['--import', 'tsx', join(__dirname, 'interrupt-child.ts'), '--project', dir, 'dataset', 'build', '--service', 'delay_model', '--entities', join(dir, 'data', 'training_entities.parquet'), '--out', out], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    let done = false;
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => ((done = true), resolve(code))));
    // Wait until the build writes its output (a temp file beside the target), then interrupt it. On a loaded
    // machine the build takes a while to get there: wait as long as it runs (up to 100 s).
    const state = join(dir, '.featureguard', 'state.db');
    let writing = false;
    for (let i = 0; i < 5000 && !writing && !done; i++) {
      await new Promise((r) => setTimeout(r, 20));
      writing = readdirSync(join(root, 'out')).some((f) => f.includes('.featureguard-') && f.endsWith('.tmp'));
    }
    expect(writing, stderr).toBe(true);
    child.kill('SIGINT');
    expect(await exited).toBe(130);
    const db = new Database(state, { readonly: true });
    try {
      const run = db.prepare("SELECT id, status, message FROM runs WHERE kind = 'dataset' AND service = 'delay_model'").get() as { id: string };
      expect(run).toEqual({ id: expect.any(String), status: 'failed', message: 'interrupted (SIGINT) before it finished' });
      expect(stderr).toContain(`interrupted: run ${run.id} marked failed`);
    } finally {
      db.close();
    }
    // The earlier dataset is whole (its manifest still matches it) and no temp file is left.
    expect(readdirSync(join(root, 'out')).sort()).toEqual(['train.parquet', 'train.parquet.manifest.json']);
    expect((await runCli(['--project', dir, 'dataset', 'verify', `${out}.manifest.json`])).code).toBe(0);
  }, 150_000);

  it('serve: a first signal stops gracefully, a second one at once (exit 130)', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(__dirname, 'interrupt-child.ts'), '--project', dir, 'serve', '--port', '0', '--no-scheduler', '--quiet'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    for (let i = 0; i < 600 && !/featureguard serving/.test(stdout); i++) await new Promise((r) => setTimeout(r, 50));
    const port = Number(/"url":"http:\/\/127\.0\.0\.1:(\d+)"/.exec(stdout)?.[1]);
    expect(port, stdout + stderr).toBeGreaterThan(0);
    // A client holding a connection open (headers that never finish) keeps the graceful stop waiting.
    const { connect } = await import('node:net');
    const sock = connect(port, '127.0.0.1');
    sock.on('error', () => undefined);
    await new Promise((r) => sock.once('connect', r));
    sock.write('GET /health HTTP/1.1\r\nhost: x\r\n');
    child.kill('SIGTERM');
    // Lifecycle messages are lines of the server's JSON log, like its 'featureguard serving'.
    const logLines = () => stdout.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { msg: string; signal?: string });
    for (let i = 0; i < 200 && !logLines().some((l) => l.signal === 'SIGTERM'); i++) await new Promise((r) => setTimeout(r, 25));
    expect(logLines().find((l) => l.signal === 'SIGTERM')?.msg, stdout + stderr).toContain('a second signal stops at once');
    child.kill('SIGINT');
    expect(await exited).toBe(130);
    expect(logLines().find((l) => l.signal === 'SIGINT')?.msg, stdout + stderr).toContain('stopped at once (SIGINT)');
    sock.destroy();
  }, 60_000);

  it('a reader that goes away (| head) ends the output quietly: the exit code is the command\'s, no stack trace (a CLI review finding)', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(__dirname, 'interrupt-child.ts'), '--project', dir, '--json', 'describe', 'airport_hourly', '--versions'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    // Like `| true`: the reader is gone before the first line is written.
    child.stdout.destroy();
    const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
    expect([code, stderr]).toEqual([0, '']);
  }, 60_000);
});
