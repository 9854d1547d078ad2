/**
 * `serve` starting while another process holds the state database's write lock (a CLI apply, prune or backup) and
 * a killed process left a run `running`: failing that run waits for the lock, and that wait must not hold the start
 * (a review finding: the 'featureguard serving' line printed, startServer did not return, and the CLI's stop handlers
 * were never installed), nor the stop.
 */
import { spawn } from 'node:child_process';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startServer } from '../../src/server/serve.js';
import { holdWriteLock } from '../helpers/write-lock.js';
import { createFixture, type Fixture } from './fixture.js';

let fx: Fixture;
beforeAll(async () => {
  fx = await createFixture();
  // A project served before: the server's tables exist (creating them would wait for the lock, as any first start does).
  await (await startServer(fx.project, { port: 0, quiet: true, scheduler: false, logger: pino({ level: 'silent' }) })).close();
});
afterAll(async () => {
  await fx?.close();
});

const silent = pino({ level: 'silent' });
const stateFile = () => join(fx.dir, '.featureguard', 'state.db');

/** A run whose process was killed (its owner a pid that has exited). */
function orphan(): string {
  const run = fx.project.runs.create({ kind: 'dataset', service: 'delay_service' });
  fx.project.state.prepare('UPDATE run_owners SET pid = ? WHERE run_id = ?').run(spawnSync(process.execPath, ['-e', '0']).pid, run.id);
  return run.id;
}

async function until(done: () => boolean, ms: number): Promise<void> {
  for (const end = Date.now() + ms; !done() && Date.now() < end; ) await new Promise((r) => setTimeout(r, 50));
}

it('returns as soon as it listens while the state database is locked, and fails the orphan once the lock is free', async () => {
  const id = orphan();
  const lock = await holdWriteLock(stateFile(), 60_000);
  let server: Awaited<ReturnType<typeof startServer>> | undefined;
  try {
    const t0 = Date.now();
    server = await startServer(fx.project, { port: 0, quiet: true, scheduler: false, logger: silent });
    expect(Date.now() - t0).toBeLessThan(3000);
    expect((await fetch(`${server.url}/health`)).status).toBe(200);
    expect(fx.project.runs.get(id).status).toBe('running');
    await lock.release();
    // In the background, once the lock is free (its wait retries every 200 ms at most).
    await until(() => fx.project.runs.get(id).status === 'failed', 5000);
    expect(fx.project.runs.get(id)).toMatchObject({ status: 'failed', message: expect.stringContaining('stopped before it finished') });
  } finally {
    await lock.release();
    await server?.close();
  }
}, 30_000);

it('close() while the lock is still held does not wait for it: the orphan is left to the next process', async () => {
  const id = orphan();
  const lock = await holdWriteLock(stateFile(), 60_000);
  try {
    const started = Date.now();
    const server = await startServer(fx.project, { port: 0, quiet: true, scheduler: false, shutdownGraceMs: 1000, logger: silent });
    expect(Date.now() - started).toBeLessThan(3000);
    await new Promise((r) => setTimeout(r, 300)); // its wait for the lock under way
    const t0 = Date.now();
    await server.close();
    expect(Date.now() - t0).toBeLessThan(2000);
    expect(fx.project.runs.get(id).status).toBe('running');
  } finally {
    await lock.release();
  }
  // The next start fails it.
  const next = await startServer(fx.project, { port: 0, quiet: true, scheduler: false, logger: silent });
  try {
    await until(() => fx.project.runs.get(id).status === 'failed', 5000);
    expect(fx.project.runs.get(id).status).toBe('failed');
  } finally {
    await next.close();
  }
}, 30_000);

it('`featureguard serve` stops on the first SIGHUP after its serving line while the lock is held', async () => {
  const id = orphan();
  const lock = await holdWriteLock(stateFile(), 60_000);
  try {
    const child = spawn(process.execPath, ['--import', 'tsx', join(__dirname, '..', 'cli', 'interrupt-child.ts'), '--project', fx.dir, 'serve', '--port', '0', '--quiet', '--no-scheduler'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
    await until(() => /featureguard serving/.test(output) || child.exitCode !== null, 30_000);
    expect(output).toMatch(/featureguard serving/);
    const t0 = Date.now();
    child.kill('SIGHUP');
    const timedOut = new Promise<'hung'>((r) => setTimeout(() => r('hung'), 5000).unref());
    const result = await Promise.race([exited, timedOut]);
    if (result === 'hung') child.kill('SIGKILL');
    expect(result, output).toEqual({ code: 0, signal: null });
    expect(Date.now() - t0).toBeLessThan(5000);
    expect(output).toMatch(/featureguard stopped/);
  } finally {
    await lock.release();
  }
  expect(fx.project.runs.get(id).status).toBe('running'); // left to the next process, which fails it
}, 60_000);

it('the catch-up of a slot whose run was killed still comes after that run is failed, once the lock is free', async () => {
  // A daily slot 3 s ago, and its run, started by a process killed since.
  const slot = new Date(Date.now() - 3000);
  const s = fx.project.registry.current();
  fx.project.registry.apply([...s.entities.values(), ...s.sources.values(), { ...s.views.get('origin_delays')!, schedule: `${slot.getUTCSeconds()} ${slot.getUTCMinutes()} ${slot.getUTCHours()} * * *` }, ...s.services.values()]);
  const crashed = fx.project.runs.create({ kind: 'materialize', view: 'origin_delays', options: { incremental: true } });
  fx.project.state.prepare('UPDATE run_owners SET pid = ? WHERE run_id = ?').run(spawnSync(process.execPath, ['-e', '0']).pid, crashed.id);
  const materializations = () => fx.project.runs.list({ view: 'origin_delays', kind: 'materialize' }).runs;
  const lock = await holdWriteLock(stateFile(), 60_000);
  let server: Awaited<ReturnType<typeof startServer>> | undefined;
  try {
    const t0 = Date.now();
    server = await startServer(fx.project, { port: 0, quiet: true, logger: silent });
    expect(Date.now() - t0).toBeLessThan(3000);
    await new Promise((r) => setTimeout(r, 500));
    expect(materializations().map((r) => r.id)).toEqual([crashed.id]); // no catch-up yet: the crashed run is not failed
    await lock.release();
    await until(() => materializations().some((r) => r.status === 'success' || r.status === 'warned'), 20_000);
    expect(fx.project.runs.get(crashed.id).status).toBe('failed');
    expect(materializations().map((r) => r.status)).toEqual([expect.stringMatching(/^(success|warned)$/), 'failed']);
  } finally {
    await lock.release();
    await server?.close();
  }
}, 60_000);
