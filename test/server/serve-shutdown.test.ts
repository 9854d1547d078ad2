/**
 * `close()` of a running server while a scheduled materialization is under
 * way: the server stops listening and taking work at once (`/ready` 503, new
 * materializations 503), then waits for the run. `/ready` also says when the
 * state database file was removed or replaced under the server.
 */
import { copyFileSync, renameSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startServer } from '../../src/server/serve.js';
import { createFixture, type Fixture } from './fixture.js';
import { addPipedView } from './piped-view.js';

let fx: Fixture;
beforeAll(async () => {
  fx = await createFixture();
});
afterAll(async () => {
  await fx?.close();
});

/** A connection with a request begun (its headers unfinished), as a client's in flight when the stop comes. */
async function begun(port: number, head: string): Promise<{ sock: Socket; finish(rest: string): Promise<string> }> {
  const sock = connect(port, '127.0.0.1');
  sock.on('error', () => undefined);
  await new Promise((r) => sock.once('connect', r));
  sock.write(head);
  let got = '';
  sock.on('data', (d) => (got += String(d)));
  const ended = new Promise<void>((r) => sock.once('close', () => r()));
  return {
    sock,
    async finish(rest) {
      sock.write(rest);
      await Promise.race([ended, new Promise((r) => setTimeout(r, 5000))]);
      return got;
    },
  };
}

it('on close during a scheduled run, stops listening, answers /ready and new materializations 503 at once, then waits for the run (a review finding)', async () => {
  const piped = addPipedView(fx, '* * * * * *');
  const server = await startServer(fx.project, { port: 0, quiet: true, logger: pino({ level: 'silent' }) });
  let closed = false;
  try {
    // A scheduled run of `piped` under way (blocked reading its pipe).
    let schedules: { view: string; last_run: { status: string } | null }[] = [];
    for (let i = 0; i < 100 && schedules.find((s) => s.view === 'piped')?.last_run?.status !== 'running'; i++) {
      await new Promise((r) => setTimeout(r, 100));
      schedules = ((await (await fetch(`${server.url}/v1/schedules`)).json()) as { schedules: typeof schedules }).schedules;
    }
    expect(schedules.find((s) => s.view === 'piped')?.last_run?.status).toBe('running');
    const ready = await begun(server.port, 'GET /ready HTTP/1.1\r\nhost: 127.0.0.1\r\n');
    const body = '{"views": ["origin_delays"], "incremental": true}';
    const materialize = await begun(server.port, `POST /v1/materialize HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\n`);
    const closing = server.close().then(() => (closed = true));
    await new Promise((r) => setTimeout(r, 200));
    await expect(fetch(`${server.url}/health`)).rejects.toThrow();
    const readyAnswer = await ready.finish('\r\n');
    expect(readyAnswer).toMatch(/^HTTP\/1\.1 503 /);
    expect(readyAnswer.toLowerCase()).toContain('connection: close');
    expect(readyAnswer).toContain('"server":{"ok":false,"error":"the server is stopping"}');
    const materializeAnswer = await materialize.finish(`\r\n${body}`);
    expect(materializeAnswer).toMatch(/^HTTP\/1\.1 503 /);
    expect(materializeAnswer).toContain('"code":"shutting_down"');
    // The scheduled run is still awaited.
    expect(closed).toBe(false);
    piped.release();
    await closing;
    expect(server.app.context.jobs.list().filter((j) => j.trigger === 'api')).toEqual([]);
  } finally {
    piped.release();
    if (!closed) await server.close().catch(() => undefined);
  }
}, 30_000);

it('/ready is 503 once the state database file was removed or replaced under the server (a review finding: 200, writes going to the removed file)', async () => {
  const other = await createFixture();
  const server = await startServer(other.project, { port: 0, quiet: true, scheduler: false, logger: pino({ level: 'silent' }) });
  try {
    const ready = async () => {
      const res = await fetch(`${server.url}/ready`);
      return { status: res.status, state_db: ((await res.json()) as { checks: Record<string, unknown> }).checks.state_db };
    };
    expect(await ready()).toEqual({ status: 200, state_db: { ok: true } });
    const state = join(other.dir, '.featureguard', 'state.db');
    renameSync(state, `${state}.moved`);
    expect(await ready()).toEqual({ status: 503, state_db: { ok: false, error: `${join('.featureguard', 'state.db')} was removed after the server opened it; restart the server` } });
    copyFileSync(`${state}.moved`, state); // a restore: another file at the same path
    expect(await ready()).toEqual({ status: 503, state_db: { ok: false, error: expect.stringContaining('was replaced after the server opened it') } });
    renameSync(`${state}.moved`, state); // the very file back
    expect(await ready()).toEqual({ status: 200, state_db: { ok: true } });
  } finally {
    await server.close();
    await other.close();
  }
});
