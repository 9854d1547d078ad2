/**
 * `featureguard serve` as its executable runs it, stopped by signals: a
 * closed terminal (SIGHUP) stops it gracefully as SIGTERM does; a request
 * still running at the end of the grace time has its run failed and the exit
 * says the stop was not clean.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createServer as createTcpServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { writeSmallProject } from '../cli/small-project.js';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createFixture, type Fixture } from './fixture.js';
import { addPipedView } from './piped-view.js';

let fx: Fixture;
beforeAll(async () => {
  fx = await createFixture();
});
afterAll(async () => {
  await fx?.close();
});

interface Serving {
  child: ChildProcess;
  port: number;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** The JSON log lines so far. */
  log(): { msg: string; level: number; signal?: string }[];
  output(): string;
}

/** `serve` in a child process (the CLI's signal handling), once it listens. */
async function serve(args: string[], env: Record<string, string> = {}): Promise<Serving> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(__dirname, '..', 'cli', 'interrupt-child.ts'), '--project', fx.dir, 'serve', '--port', '0', '--quiet', ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  for (let i = 0; i < 600 && !/featureguard serving/.test(stdout) && child.exitCode === null; i++) await new Promise((r) => setTimeout(r, 50));
  const port = Number(/"url":"http:\/\/127\.0\.0\.1:(\d+)"/.exec(stdout)?.[1]);
  expect(port, stdout + stderr).toBeGreaterThan(0);
  return {
    child,
    port,
    exited,
    log: () => stdout.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l)),
    output: () => stdout + stderr,
  };
}

it('SIGHUP (the terminal closed) stops serve gracefully, as SIGTERM does (a review finding: it was killed without cleanup)', async () => {
  const s = await serve(['--no-scheduler']);
  s.child.kill('SIGHUP');
  expect(await s.exited, s.output()).toEqual({ code: 0, signal: null });
  expect(s.log().find((l) => l.signal === 'SIGHUP')?.msg, s.output()).toMatch(/^stopping/);
  expect(s.log().at(-1)?.msg).toBe('featureguard stopped');
}, 60_000);

it('a signal while serve is still starting is not its default action (a review finding: a SIGHUP right after the serving line killed it)', async () => {
  // An online store that accepts the connection and never answers: serve is starting (opening it) for seconds.
  let connected = 0;
  const silent = createTcpServer((socket) => {
    connected++;
    socket.on('data', () => undefined);
  });
  await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
  try {
    const dir = writeSmallProject('fg-serve-starting-');
    writeFileSync(join(dir, 'featureguard.yaml'), `project: small\ndefinitions: features\nonline_store: {type: redis, url: 'redis://127.0.0.1:${(silent.address() as AddressInfo).port}'}\n`);
    const child = spawn(process.execPath, ['--import', 'tsx', join(__dirname, '..', 'cli', 'interrupt-child.ts'), '--project', dir, 'serve', '--port', '0', '--quiet', '--no-scheduler'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
    for (let i = 0; i < 600 && connected === 0; i++) await new Promise((r) => setTimeout(r, 20));
    expect(connected, output).toBeGreaterThan(0);
    child.kill('SIGHUP');
    // It ends as its start does (here: the store does not answer), not killed by the signal.
    const end = await exited;
    expect(end.signal, output).toBeNull();
    expect(output).toMatch(/unavailable/);
  } finally {
    silent.close();
  }
}, 60_000);

it('a request still running when the grace time ends has its run failed, and serve exits 143 (a review finding: the project was closed under it, its run left running, exit 0)', async () => {
  const piped = addPipedView(fx);
  const s = await serve(['--no-scheduler', '--grace', '0.3']);
  try {
    // A dataset build blocked reading the view's pipe.
    const before = new Date().toISOString();
    void fetch(`http://127.0.0.1:${s.port}/v1/datasets`, {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ features: ['piped:x'], entities: { origin: ['SEA'], event_timestamp: ['2001-01-01T05:30:00Z'] } }),
    }).catch(() => undefined);
    const building = () => fx.project.runs.list({ kind: 'dataset' }).runs.find((r) => r.started_at >= before);
    for (let i = 0; i < 200 && building()?.status !== 'running'; i++) await new Promise((r) => setTimeout(r, 50));
    expect(building()?.status, s.output()).toBe('running');
    s.child.kill('SIGTERM');
    // Its connection is cut after 0.3 s, then it gets 2 s to end; blocked on the pipe, it does not.
    for (let i = 0; i < 200 && !s.log().some((l) => /stopped after the grace time/.test(l.msg)) && s.child.exitCode === null; i++) await new Promise((r) => setTimeout(r, 50));
    piped.release(); // DuckDB's thread, blocked opening the pipe, would hold the exit
    expect(await s.exited, s.output()).toEqual({ code: 143, signal: null });
    expect(s.log().find((l) => /stopped after the grace time/.test(l.msg))).toMatchObject({ level: 40, msg: expect.stringMatching(/1 request\(s\) still open after the 0.3 s grace time were cut; 1 still running.*marked failed/) });
    expect(building()).toMatchObject({ status: 'failed', message: 'interrupted (SIGTERM) before it finished' });
  } finally {
    piped.release();
    s.child.kill('SIGKILL');
  }
}, 60_000);
