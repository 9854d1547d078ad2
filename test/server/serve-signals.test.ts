/**
 * `featureguard serve` as its executable runs it, stopped by signals: a
 * closed terminal (SIGHUP) stops it gracefully as SIGTERM does.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createFixture, type Fixture } from './fixture.js';

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
