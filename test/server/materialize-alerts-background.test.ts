/**
 * A materialization started over HTTP whose alert goes to a receiver that never answers (5 s per try, 3 tries): the
 * 202 and the job's end do not wait for the delivery, which goes on in the background of the server; `close()`
 * cuts it (recorded as interrupted, kept for the next process) instead of waiting for it.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { listAlertAttempts } from '../../src/alerts/dispatch.js';
import { openProject, type Project } from '../../src/project.js';
import { startServer, type RunningServer } from '../../src/server/serve.js';
import { createFixture, type Fixture } from './fixture.js';

let fx: Fixture;
let project: Project;
let receiver: Server;
let server: RunningServer | undefined;
const hits: string[] = [];

beforeAll(async () => {
  // Reads the request, never answers.
  receiver = createServer((req) => {
    req.resume();
    hits.push(req.url ?? '');
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  fx = await createFixture();
  const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
  appendFileSync(join(fx.dir, 'featureguard.yaml'), `alerts:\n  - {name: every_run, url: "${url}", statuses: [success, warned, blocked, failed]}\n`);
  project = openProject(fx.dir);
});
afterAll(async () => {
  await server?.close();
  await project?.close();
  await fx?.close();
  receiver?.closeAllConnections();
  await new Promise((r) => receiver?.close(r));
});

it('answers 202 and ends the job without waiting for the webhook; close() cuts the delivery', async () => {
  server = await startServer(project, { port: 0, quiet: true, scheduler: false, logger: pino({ level: 'silent' }) });
  const t0 = Date.now();
  const res = await fetch(`${server.url}/v1/materialize`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ views: ['origin_delays'], start: '2001-01-01', end: '2001-01-02' }),
  });
  expect(res.status).toBe(202);
  expect(Date.now() - t0).toBeLessThan(3000);
  const job = (await res.json()) as { id: string; runs: { run_id: string }[] };
  const runId = job.runs[0].run_id;
  let polled: { status: string } = { status: 'running' };
  for (let i = 0; i < 200 && polled.status === 'running'; i++) {
    await new Promise((r) => setTimeout(r, 50));
    polled = (await (await fetch(`${server.url}/v1/materialize/${job.id}`)).json()) as { status: string };
  }
  // Done while the first try (5 s) is still waiting for the receiver: nothing recorded yet.
  expect(polled.status).toBe('done');
  const doneAfter = Date.now() - t0;
  expect(doneAfter).toBeLessThan(4500);
  expect(project.runs.get(runId).status).toMatch(/^(success|warned)$/);
  for (let i = 0; i < 100 && hits.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
  expect(hits).toEqual(['/hook']);
  expect(listAlertAttempts(project, runId)).toEqual([]);
  // Stopping cuts the try in flight instead of waiting for the receiver.
  const c0 = Date.now();
  await server.close();
  server = undefined;
  expect(Date.now() - c0).toBeLessThan(3000);
  const attempts = listAlertAttempts(project, runId);
  expect(attempts).toHaveLength(1);
  expect(attempts[0]).toMatchObject({ alert: 'every_run', ok: false, error: expect.stringMatching(/interrupted/) });
}, 60_000);
