/**
 * Redelivery of alerts whose every try failed, against real HTTP receivers on
 * 127.0.0.1 and the real state database: kept with their body, sent again on a
 * doubling schedule until `redeliver_for` ends, once across processes, by the SDK,
 * the CLI and `serve`.
 */
import Database from 'better-sqlite3';
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { pino } from 'pino';
import { stringify } from 'yaml';
import { afterEach, describe, expect, it } from 'vitest';
import { NOT_JUDGED, fireAlerts, listAlertAttempts } from '../../src/alerts/dispatch.js';
import { recordAttempt } from '../../src/alerts/attempts.js';
import { listRedeliveries, releaseRedelivery, scheduleRedelivery, sendDueRedeliveries } from '../../src/alerts/redelivery.js';
import { verifySignature } from '../../src/alerts/signature.js';
import type { AlertConfig } from '../../src/definitions/types.js';
import { openProject } from '../../src/project.js';
import { runReport } from '../../src/runs/run-report.js';
import { pruneRuns } from '../../src/runs/prune.js';
import { keyStoreFor } from '../../src/auth/keys.js';
import { createApp } from '../../src/server/app.js';
import { startServer } from '../../src/server/serve.js';
import { runInterruptCleanups } from '../../src/state/interrupt.js';
import { openFeatureStore } from '../../src/sdk/feature-store.js';
import { runCli } from '../cli/cli-io.js';
import { guardBench, type GuardBench } from './helpers.js';

interface Receiver { url: string; bodies: string[]; signatures: (string | undefined)[]; up: boolean }

const servers: Server[] = [];
let bench: GuardBench | undefined;
afterEach(async () => {
  await bench?.close();
  bench = undefined;
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
  delete process.env.FEATUREGUARD_ALERT_BACKOFF_MS;
  delete process.env.FG_REDELIVERY_SECRET;
});

/** A receiver that answers 503 while `up` is false and 204 after. */
async function receiver(): Promise<Receiver> {
  const rx: Receiver = { url: '', bodies: [], signatures: [], up: false };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      rx.bodies.push(Buffer.concat(chunks).toString('utf8'));
      rx.signatures.push(req.headers['x-featureguard-signature'] as string | undefined);
      res.writeHead(rx.up ? 204 : 503).end();
    });
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  rx.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  return rx;
}

/** A bench with `alerts`, and a failed push run whose alert on failed runs is fired (its 3 tries 10 ms apart). */
async function failedDelivery(alerts: (url: string) => AlertConfig[]) {
  process.env.FEATUREGUARD_ALERT_BACKOFF_MS = '10';
  const rx = await receiver();
  bench = await guardBench({ alerts: alerts(rx.url) });
  const run = bench.project.runs.create({ kind: 'push', view: 'delays', options: {} });
  bench.project.runs.update(run.id, { status: 'failed', finished_at: new Date().toISOString() });
  const t0 = Date.now();
  await fireAlerts(bench.project, run.id, NOT_JUDGED);
  return { rx, runId: run.id, project: bench.project, t0 };
}

const MIN = 60_000;

/** A receiver that accepts every request and never answers (each try would wait its 5 s timeout); `got` counts them. */
async function silentReceiver(): Promise<{ url: string; got: () => number; server: Server }> {
  let got = 0;
  const server = createServer((req) => {
    req.resume();
    req.on('end', () => got++);
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, got: () => got, server };
}

/** A receiver that answers 204 after 300 ms; `got` counts the requests. */
async function slowReceiver(): Promise<{ url: string; got: () => number }> {
  let got = 0;
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      got++;
      setTimeout(() => res.writeHead(204).end(), 300);
    });
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, got: () => got };
}

/** A failed push run of the bench whose alerts fired (and failed: the receiver is down). */
async function failedRun(project: GuardBench['project']): Promise<string> {
  const run = project.runs.create({ kind: 'push', view: 'delays', options: {} });
  project.runs.update(run.id, { status: 'failed', finished_at: new Date().toISOString() });
  await fireAlerts(project, run.id, NOT_JUDGED);
  return run.id;
}

describe('alert redelivery', () => {
  it('keeps a delivery whose every try failed and sends it once it is due: same payload, a new sent_at, signed, attempts counted on', async () => {
    process.env.FG_REDELIVERY_SECRET = 'r3deliver';
    const { rx, runId, project, t0 } = await failedDelivery((url) => [{ name: 'failures', url, statuses: ['failed'], secret_env: 'FG_REDELIVERY_SECRET' }]);
    expect(rx.bodies).toHaveLength(3);
    const [waiting] = listRedeliveries(project, runId);
    expect(waiting).toMatchObject({ run_id: runId, alert: 'failures', round: 1 });
    expect(Date.parse(waiting.next_at) - t0).toBeGreaterThanOrEqual(MIN);
    expect(Date.parse(waiting.until!) - Date.parse(waiting.next_at)).toBeLessThanOrEqual(24 * 60 * MIN - MIN);
    expect(runReport(project, runId).redeliveries).toEqual([waiting]);

    // Not due yet: nothing sent.
    expect(await sendDueRedeliveries(project, { now: Date.parse(waiting.next_at) - 1 })).toMatchObject({ attempts: [], delivered: 0, failed: 0 });
    expect(rx.bodies).toHaveLength(3);

    rx.up = true;
    const due = Date.parse(waiting.next_at);
    const r = await sendDueRedeliveries(project, { now: due });
    expect(r).toMatchObject({ delivered: 1, failed: 0, given_up: 0 });
    expect(rx.bodies).toHaveLength(4);
    const original = JSON.parse(rx.bodies[0]) as Record<string, unknown>;
    const again = JSON.parse(rx.bodies[3]) as Record<string, unknown>;
    expect(again).toEqual({ ...original, sent_at: new Date(due).toISOString(), redelivery: 1 });
    expect(verifySignature(rx.bodies[3], rx.signatures[3], 'r3deliver')).toBe(true);
    expect(listAlertAttempts(project, runId).map((a) => [a.attempt, a.ok])).toEqual([[1, false], [2, false], [3, false], [4, true]]);
    expect(listRedeliveries(project)).toEqual([]);
    // Delivered: not sent again, due or not.
    expect((await sendDueRedeliveries(project, { all: true })).attempts).toEqual([]);
  });

  it("numbers its attempts on from the run's count when pruning removed the run's attempts (a run trimmed to its summary)", async () => {
    const { rx, runId, project } = await failedDelivery((url) => [{ name: 'failures', url, statuses: ['failed'] }]);
    // What `runs prune` does to a run it trims (it holds the newest tamper checksums of a day): its attempts go, it stays.
    const trim = () => project.state.prepare('DELETE FROM alert_attempts WHERE run_id = ?').run(runId);
    trim();
    const round = async () => (await sendDueRedeliveries(project, { now: Date.parse(listRedeliveries(project, runId)[0].next_at) })).attempts.map((a) => [a.attempt, a.ok]);
    expect(await round()).toEqual([[4, false]]);
    trim();
    rx.up = true;
    expect(await round()).toEqual([[5, true]]);
  });

  it('records a try that arrived while another process held the state database locked past its busy wait: not redelivered', async () => {
    let locker: Database.Database | undefined;
    // A receiver that answers once another connection has locked the state database, released 300 ms later.
    const locking = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        locker = new Database(bench!.project.state.name);
        locker.exec('BEGIN IMMEDIATE');
        res.writeHead(204).end();
        setTimeout(() => locker!.exec('COMMIT'), 300);
      });
    });
    servers.push(locking);
    await new Promise<void>((r) => locking.listen(0, '127.0.0.1', r));
    bench = await guardBench({ alerts: [{ name: 'failures', url: `http://127.0.0.1:${(locking.address() as AddressInfo).port}/hook`, statuses: ['failed'] }] });
    const project = bench.project;
    project.state.pragma('busy_timeout = 100'); // 10 s in use: the lock outlasts the first record's wait
    try {
      const run = project.runs.create({ kind: 'push', view: 'delays', options: {} });
      project.runs.update(run.id, { status: 'failed', finished_at: new Date().toISOString() });
      expect((await fireAlerts(project, run.id, NOT_JUDGED)).map((a) => [a.attempt, a.ok])).toEqual([[1, true]]);
      expect(listAlertAttempts(project, run.id).map((a) => [a.attempt, a.ok])).toEqual([[1, true]]);
      expect(listRedeliveries(project)).toEqual([]);
    } finally {
      locker?.close();
    }
  });

  it('does not redeliver a kept delivery whose arrived try is recorded (forgetting it failed)', async () => {
    const { rx, runId, project } = await failedDelivery((url) => [{ name: 'failures', url, statuses: ['failed'] }]);
    const alert = project.config.alerts![0];
    const other = project.runs.create({ kind: 'push', view: 'delays', options: {} });
    scheduleRedelivery(project.state, alert, other.id, '{"event":"featureguard.run"}', Date.now() - 2 * MIN);
    recordAttempt(project.state, { run_id: other.id, alert: 'failures', url: rx.url, attempt: 1, status_code: 204, ok: true, error: null, at: new Date().toISOString(), duration_ms: 1 });
    releaseRedelivery(project.state, alert, other.id, 1);
    rx.up = true;
    expect(await sendDueRedeliveries(project, { all: true })).toMatchObject({ delivered: 1, given_up: 0 });
    expect(rx.bodies.map((b) => JSON.parse(b).run?.id)).toEqual([runId, runId, runId, runId]);
    expect(listRedeliveries(project)).toEqual([]);
  });

  it('tries again 1, 2, 4, … minutes apart (at most an hour) and gives up once redeliver_for has passed', async () => {
    const { rx, runId, project } = await failedDelivery((url) => [{ name: 'failures', url, statuses: ['failed'], redeliver_for: '3h' }]);
    const first = listRedeliveries(project, runId)[0];
    const start = Date.parse(first.until!) - 3 * 60 * MIN; // the first failure
    // The schedule, computed independently: round k is due (1 + 2 + … + 2^(k-1)) minutes (each wait at most 60) after the first failure.
    const expected: number[] = [];
    for (let k = 1, at = start; ; k++) {
      at += Math.min(60, 2 ** (k - 1)) * MIN;
      if (at > start + 3 * 60 * MIN) break;
      expected.push(at - start);
    }
    const seen: number[] = [];
    for (let i = 0; i < 50; i++) {
      const [w] = listRedeliveries(project, runId);
      if (!w) break;
      expect(w.round).toBe(seen.length + 1);
      seen.push(Date.parse(w.next_at) - start);
      const r = await sendDueRedeliveries(project, { now: Date.parse(w.next_at) });
      expect(r.failed).toBe(1);
    }
    expect(seen).toEqual(expected);
    expect(seen.slice(0, 8).map((ms) => ms / MIN)).toEqual([1, 3, 7, 15, 31, 63, 123, 183].filter((m) => m <= 180));
    expect(rx.bodies).toHaveLength(3 + expected.length);
    expect(listAlertAttempts(project, runId).map((a) => a.attempt)).toEqual(Array.from({ length: 3 + expected.length }, (_, i) => i + 1));
  });

  it('is sent once when two processes sharing the state database send the due ones at the same time', async () => {
    const { rx, runId, project } = await failedDelivery((url) => [{ name: 'failures', url, statuses: ['failed'] }]);
    rx.up = true;
    const other = openProject(bench!.dir);
    try {
      const now = Date.parse(listRedeliveries(project, runId)[0].next_at);
      const results = await Promise.all([sendDueRedeliveries(project, { now }), sendDueRedeliveries(other, { now })]);
      expect(results.map((r) => r.delivered).sort()).toEqual([0, 1]);
      expect(rx.bodies).toHaveLength(4);
    } finally {
      await other.close();
    }
  });

  it('`all` leaves a redelivery another process is sending; one due after its window is given up unsent', async () => {
    const { rx, runId, project } = await failedDelivery((url) => [{ name: 'failures', url, statuses: ['failed'], redeliver_for: '1h' }]);
    const slow = await slowReceiver();
    // The alert now points at a receiver that takes 300 ms to answer, in both processes: the sweep's try is on the wire a while.
    const config = { ...project.config, alerts: [{ name: 'failures', url: slow.url, statuses: ['failed'], redeliver_for: '1h' }] };
    const sweeping = { state: project.state, config };
    const other = openProject(bench!.dir);
    try {
      const due = Date.parse(listRedeliveries(project, runId)[0].next_at);
      const sweep = sendDueRedeliveries(sweeping, { now: due });
      await new Promise((r) => setTimeout(r, 100));
      expect(await sendDueRedeliveries({ state: other.state, config }, { all: true, now: due })).toEqual({ attempts: [], delivered: 0, failed: 0, given_up: 0, held_back: 0 });
      expect(await sweep).toMatchObject({ delivered: 1 });
      expect(slow.got()).toBe(1);
      expect(listAlertAttempts(project, runId).map((a) => [a.attempt, a.ok])).toEqual([[1, false], [2, false], [3, false], [4, true]]);
      expect(rx.bodies).toHaveLength(3);
    } finally {
      await other.close();
    }
    // Another run whose redelivery comes due only after its window: given up unsent (a server down for a day).
    const late = await failedRun(project);
    const [w] = listRedeliveries(project, late);
    expect(await sendDueRedeliveries(project, { now: Date.parse(w.until!) + 1 })).toEqual({ attempts: [], delivered: 0, failed: 0, given_up: 1, held_back: 0 });
    expect(listRedeliveries(project)).toEqual([]);
  });

  it('two `--all` calls at once end, each trying a waiting redelivery at most once', async () => {
    const { rx, project } = await failedDelivery((url) => [{ name: 'failures', url, statuses: ['failed'] }]);
    const alert = project.config.alerts![0];
    for (let i = 0; i < 149; i++) {
      const run = project.runs.create({ kind: 'push', view: 'delays', options: {} });
      scheduleRedelivery(project.state, alert, run.id, '{}');
      releaseRedelivery(project.state, alert, run.id);
    }
    const other = openProject(bench!.dir);
    try {
      const [a, b] = await Promise.all([sendDueRedeliveries(project, { all: true }), sendDueRedeliveries(other, { all: true })]);
      expect(a.failed).toBeLessThanOrEqual(150);
      expect(b.failed).toBeLessThanOrEqual(150);
      expect(a.failed + b.failed).toBeGreaterThanOrEqual(150);
      expect(rx.bodies.length).toBe(3 + a.failed + b.failed);
      expect(listRedeliveries(project)).toHaveLength(150);
    } finally {
      await other.close();
    }
  });

  it("the run page's Redeliver now button tries the run's redeliveries: same-site posts only, write scope once keys exist", async () => {
    const { rx, runId, project } = await failedDelivery((url) => [{ name: 'failures', url, statuses: ['failed'] }]);
    const app = createApp(project);
    const page = await (await app.request(`/ui/runs/${runId}`)).text();
    expect(page).toContain(`<form method="post" action="/ui/runs/${runId}/redeliver">`);
    const press = (headers: Record<string, string>) => app.request(`/ui/runs/${runId}/redeliver`, { method: 'POST', headers });
    expect((await press({ 'sec-fetch-site': 'cross-site' })).status).toBe(403);
    expect(rx.bodies).toHaveLength(3);
    const pressed = await press({ 'sec-fetch-site': 'same-origin' });
    expect(pressed.status).toBe(303);
    expect(pressed.headers.get('location')).toBe(`/ui/runs/${runId}#alerts`);
    expect(rx.bodies).toHaveLength(4);
    expect(listRedeliveries(project, runId)).toMatchObject([{ round: 2 }]);
    // Once keys exist: a read key may look, not redeliver; a write key may.
    const keys = keyStoreFor(project.state);
    const read = keys.create('read').key;
    const write = keys.create('write').key;
    const withKeys = createApp(project);
    const pageFor = async (key: string) => (await withKeys.request(`/ui/runs/${runId}`, { headers: { authorization: `Bearer ${key}` } })).text();
    expect(await pageFor(read)).not.toContain('Redeliver now');
    expect(await pageFor(read)).toContain('redelivery 2 due');
    expect(await pageFor(write)).toContain('Redeliver now');
    const refused = await withKeys.request(`/ui/runs/${runId}/redeliver`, { method: 'POST', headers: { 'sec-fetch-site': 'same-origin', authorization: `Bearer ${read}` } });
    expect(refused.status).toBe(403);
    expect(await refused.text()).toContain('Not allowed');
    expect(rx.bodies).toHaveLength(4);
    rx.up = true;
    expect((await withKeys.request(`/ui/runs/${runId}/redeliver`, { method: 'POST', headers: { 'sec-fetch-site': 'same-origin', authorization: `Bearer ${write}` } })).status).toBe(303);
    expect(rx.bodies).toHaveLength(5);
    expect(listRedeliveries(project)).toEqual([]);
    expect(await pageFor(write)).not.toContain('Redeliver now');
  });

  it('drains a backlog: up to 2,000 due a call, every waiting one with `all`; a read-only state database sends nothing', async () => {
    const { rx, project } = await failedDelivery((url) => [{ name: 'failures', url, statuses: ['failed'] }]);
    rx.up = true;
    const alert = project.config.alerts![0];
    const t0 = Date.now();
    // 249 more runs whose deliveries failed (as fireAlerts keeps them), due at once, and 10 not due for an hour.
    for (let i = 0; i < 259; i++) {
      const run = project.runs.create({ kind: 'push', view: 'delays', options: {} });
      scheduleRedelivery(project.state, alert, run.id, '{"event":"featureguard.run"}', i < 249 ? t0 : t0 + 3600_000);
      releaseRedelivery(project.state, alert, run.id);
    }
    const readOnly = new Database(project.state.name, { readonly: true });
    try {
      expect(await sendDueRedeliveries({ state: readOnly, config: project.config }, { now: t0 + 2 * MIN })).toEqual({ attempts: [], delivered: 0, failed: 0, given_up: 0, held_back: 0 });
    } finally {
      readOnly.close();
    }
    expect(await sendDueRedeliveries(project, { now: t0 + 2 * MIN })).toMatchObject({ delivered: 250, failed: 0 });
    expect(listRedeliveries(project)).toHaveLength(10);
    expect(await sendDueRedeliveries(project, { all: true, now: t0 + 2 * MIN })).toMatchObject({ delivered: 10 });
    expect(rx.bodies.length).toBe(3 + 260);
  });

  it('keeps nothing for alerts with min_interval (their failures count in the next delivery), redeliver_for 0 or under a minute, and drops those of an alert gone for a week', async () => {
    const { runId, project } = await failedDelivery((url) => [
      { name: 'throttled', url, statuses: ['failed'], min_interval: '1h' },
      { name: 'never', url, statuses: ['failed'], redeliver_for: '0' },
      // Its window would end before the first round (a minute after the first try): nothing to redeliver.
      { name: 'short', url, statuses: ['failed'], redeliver_for: '30s' },
      { name: 'kept', url, statuses: ['failed'] },
    ]);
    expect(listAlertAttempts(project, runId).filter((a) => !a.ok)).toHaveLength(12);
    expect(listRedeliveries(project, runId).map((w) => w.alert)).toEqual(['kept']);
    // A process whose featureguard.yaml lacks the alert (an older one, during a rolling deploy) leaves it to the
    // processes that have it; after a week it drops it unsent.
    writeFileSync(join(bench!.dir, 'featureguard.yaml'), stringify({ project: 'guards_test' }));
    const other = openProject(bench!.dir);
    try {
      expect(await sendDueRedeliveries(other, { all: true, now: Date.now() + 6 * 24 * 60 * MIN })).toEqual({ attempts: [], delivered: 0, failed: 0, given_up: 0, held_back: 0 });
      // Not this process's to redeliver: no window to show.
      expect(listRedeliveries(other)).toMatchObject([{ alert: 'kept', until: null }]);
      expect(await sendDueRedeliveries(other, { all: true, now: Date.now() + 7 * 24 * 60 * MIN + MIN })).toEqual({ attempts: [], delivered: 0, failed: 0, given_up: 1, held_back: 0 });
      expect(listRedeliveries(other)).toEqual([]);
    } finally {
      await other.close();
    }
  });

  it('the metrics show failing min_interval and redeliver_for 0 alerts too, and count deliveries given up', async () => {
    const { rx, runId, project } = await failedDelivery((url) => [
      { name: 'throttled', url, statuses: ['failed'], min_interval: '1h' },
      { name: 'never', url, statuses: ['failed'], redeliver_for: '0' },
      { name: 'kept', url, statuses: ['failed'], redeliver_for: '1h' },
    ]);
    const metrics = async () => (await (await createApp(project).request('/metrics')).text()).split('\n').filter((l) => l.startsWith('featureguard_alert_'));
    const value = (lines: string[], name: string, alert: string) => lines.find((l) => l.startsWith(`${name}{alert="${alert}"}`))?.split(' ')[1];
    let m = await metrics();
    // Every try failed: the min_interval match is held back (counted in the next delivery), the kept one waits for a
    // round, and the one never redelivered is given up at once.
    expect(value(m, 'featureguard_alert_undelivered', 'throttled')).toBe('1');
    expect(Number(value(m, 'featureguard_alert_undelivered_since_seconds', 'throttled'))).toBeGreaterThan(Date.now() / 1000 - 60);
    expect(value(m, 'featureguard_alert_undelivered', 'kept')).toBe('1');
    expect(value(m, 'featureguard_alert_undelivered', 'never')).toBeUndefined();
    expect(value(m, 'featureguard_alert_given_up_total', 'never')).toBe('1');
    // The kept one's window ends before its next round: given up, counted, gone from the gauge.
    expect(await sendDueRedeliveries(project, { now: Date.parse(listRedeliveries(project, runId)[0].until!) + 1 })).toMatchObject({ given_up: 1 });
    m = await metrics();
    expect(value(m, 'featureguard_alert_undelivered', 'kept')).toBeUndefined();
    expect(value(m, 'featureguard_alert_given_up_total', 'kept')).toBe('1');
    // A held-back match while the receiver is still down stays counted; once a delivery arrives (it reports both),
    // the min_interval alert leaves the gauge: the rule resolves because the trigger arrived.
    rx.up = true;
    await failedRun(project);
    m = await metrics();
    expect(value(m, 'featureguard_alert_undelivered', 'throttled')).toBeUndefined();
    expect(rx.bodies.map((b) => JSON.parse(b)).filter((b) => b.alert === 'throttled').at(-1)).toMatchObject({ suppressed: 1 });
    expect(value(m, 'featureguard_alert_given_up_total', 'never')).toBe('1');
  });

  it('a stopping serve cuts a redelivery backlog against a receiver that never answers: it ends at once, every unsent one kept and due', async () => {
    const silent = await silentReceiver();
    bench = await guardBench({ alerts: [{ name: 'failures', url: silent.url, statuses: ['failed'] }] });
    const project = bench.project;
    const alert = project.config.alerts![0];
    // 250 due redeliveries: three batches, 15 s of timeouts.
    for (let i = 0; i < 250; i++) {
      const run = project.runs.create({ kind: 'push', view: 'delays', options: {} });
      scheduleRedelivery(project.state, alert, run.id, '{"event":"featureguard.run"}', Date.now() - 2 * MIN);
      releaseRedelivery(project.state, alert, run.id, 3);
    }
    const running = await startServer(project, { port: 0, quiet: true, scheduler: false, dropSweepMs: 20, logger: pino({ level: 'silent' }) });
    for (let i = 0; i < 500 && silent.got() < 100; i++) await new Promise((r) => setTimeout(r, 10));
    expect(silent.got()).toBe(100); // the first batch is on the wire
    const t0 = Date.now();
    await running.close();
    expect(Date.now() - t0).toBeLessThan(2000);
    silent.server.closeAllConnections();
    expect(silent.got()).toBe(100);
    // Every one still kept, free for the next process and due; the cut tries are recorded as interrupted.
    expect(project.state.prepare('SELECT count(*) FROM alert_redeliveries WHERE claimed_until = 0 AND next_at <= ? AND round = 1').pluck().get(Date.now())).toBe(250);
    const cut = project.state.prepare("SELECT attempt, error FROM alert_attempts WHERE alert = 'failures'").all() as { attempt: number; error: string }[];
    expect(cut).toHaveLength(100);
    expect(cut.every((a) => a.attempt === 4 && a.error === 'interrupted: the process stopped during this try')).toBe(true);
  });

  it('a stopping serve cuts the alert delivery of its own materialization to a receiver that never answers, keeping it for redelivery (a review finding: 5 s per try)', async () => {
    const silent = await silentReceiver();
    bench = await guardBench({ alerts: [{ name: 'any', url: silent.url, statuses: ['success', 'warned', 'blocked', 'failed'] }] });
    const running = await startServer(bench.project, { port: 0, quiet: true, scheduler: false, logger: pino({ level: 'silent' }) });
    const started = await running.app.request('/v1/materialize', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ views: ['delays'], start: '2024-01-01', end: '2024-01-02' }) });
    expect(started.status).toBe(202);
    for (let i = 0; i < 1000 && silent.got() < 1; i++) await new Promise((r) => setTimeout(r, 10));
    expect(silent.got()).toBe(1); // the first try is on the wire
    const t0 = Date.now();
    await running.close();
    // Before: the close waited for the three tries' 5 s timeouts and their backoff.
    expect(Date.now() - t0).toBeLessThan(3000);
    silent.server.closeAllConnections();
    expect(silent.got()).toBe(1);
    const [kept] = listRedeliveries(bench.project);
    expect(kept).toMatchObject({ alert: 'any' });
  });

  it('keeps a delivery that an interrupt cut, and forgets the redeliveries of runs pruned from the quality log', async () => {
    const held: (() => void)[] = [];
    // A receiver that holds the request: the delivery is in flight when the interrupt comes.
    const holding = createServer((req, res) => {
      req.resume();
      req.on('end', () => held.push(() => res.writeHead(204).end()));
    });
    servers.push(holding);
    await new Promise<void>((r) => holding.listen(0, '127.0.0.1', r));
    bench = await guardBench({ alerts: [{ name: 'failures', url: `http://127.0.0.1:${(holding.address() as AddressInfo).port}/hook`, statuses: ['failed'] }] });
    const run = bench.project.runs.create({ kind: 'push', view: 'delays', options: {} });
    bench.project.runs.update(run.id, { status: 'failed', finished_at: new Date().toISOString() });
    const delivering = fireAlerts(bench.project, run.id, NOT_JUDGED, { timeoutMs: 20_000 });
    for (let i = 0; i < 200 && held.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
    runInterruptCleanups('SIGINT');
    expect(listRedeliveries(bench.project, run.id)).toMatchObject([{ alert: 'failures', round: 1 }]);
    held.forEach((end) => end());
    await delivering;
    // Pruned with its run.
    pruneRuns(bench.project.state, { before: new Date(Date.now() + MIN), keep: 0 });
    expect(listRedeliveries(bench.project)).toEqual([]);
  });

  it('sends again a delivery whose process was killed while it was on the wire (kill -9), numbering its tries from 1', async () => {
    const rx = await receiver();
    let arrived = 0;
    // A receiver that never answers the first request: the CLI is killed while it waits.
    const holding = createServer((req) => {
      req.resume();
      req.on('end', () => arrived++);
    });
    servers.push(holding);
    await new Promise<void>((r) => holding.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(holding.address() as AddressInfo).port}/hook`;
    bench = await guardBench({ alerts: [{ name: 'volume', url, statuses: ['fail'], checks: ['anomaly'] }] });
    const child = spawn(process.execPath, ['--import', 'tsx', join(__dirname, '..', 'cli', 'interrupt-child.ts'), '--project', bench.dir, 'check', '--view', 'delays', '--start', '2025-01-01', '--end', '2025-01-02'], { stdio: 'ignore' });
    const exited = new Promise((r) => child.on('exit', r));
    for (let i = 0; i < 3000 && arrived === 0; i++) await new Promise((r) => setTimeout(r, 20));
    expect(arrived).toBe(1);
    child.kill('SIGKILL');
    await exited;
    const [waiting] = listRedeliveries(bench.project);
    expect(waiting).toMatchObject({ alert: 'volume', round: 1 });
    expect(listAlertAttempts(bench.project, waiting.run_id)).toEqual([]);
    // Firing the run's alerts again (the next process marking it failed, when its process died before that) sends
    // nothing: the kept delivery is the one to send.
    expect(await fireAlerts(bench.project, waiting.run_id, { verdict: null, results: bench.project.runs.results(waiting.run_id) })).toEqual([]);
    expect(arrived).toBe(1);
    // Pointed at a receiver that answers now.
    writeFileSync(join(bench.dir, 'featureguard.yaml'), stringify({ project: 'guards_test', alerts: [{ name: 'volume', url: rx.url, statuses: ['fail'], checks: ['anomaly'] }] }));
    rx.up = true;
    const other = openProject(bench.dir);
    try {
      // Held as long as the killed process's tries could have taken (3 × 5 s and their backoff, and a minute): not before.
      expect(await sendDueRedeliveries(other, { now: Date.parse(waiting.next_at) })).toMatchObject({ delivered: 0 });
      expect(await sendDueRedeliveries(other, { now: Date.now() + 2 * MIN })).toMatchObject({ delivered: 1 });
      expect(listAlertAttempts(other, waiting.run_id).map((a) => [a.attempt, a.ok])).toEqual([[1, true]]);
      expect(JSON.parse(rx.bodies[0])).toMatchObject({ alert: 'volume', run: { id: waiting.run_id }, redelivery: 1 });
    } finally {
      await other.close();
    }
  });

  it('is sent by `featureguard alerts redeliver`, POST /v1/alerts/redeliver, the SDK and serve in its sweep', async () => {
    const { rx, runId, project } = await failedDelivery((url) => [{ name: 'failures', url, statuses: ['failed'] }]);
    const dir = bench!.dir;
    // The CLI: nothing due yet, so nothing sent; --all sends it now, and it fails again (the receiver is down).
    const notDue = await runCli(['--project', dir, '--json', 'alerts', 'redeliver']);
    expect(notDue.code).toBe(0);
    expect(JSON.parse(notDue.out)).toMatchObject({ delivered: 0, failed: 0, waiting: [{ run_id: runId, round: 1 }] });
    const all = await runCli(['--project', dir, 'alerts', 'redeliver', '--all', '--run', runId]);
    // Failed again: a cron job sees it.
    expect(all.code).toBe(3);
    expect(all.out).toContain('redelivered 0, failed 1; 1 waiting');
    expect(all.out).toContain(`${runId} failures redelivery 2 due`);
    expect(rx.bodies).toHaveLength(4);
    expect((await runCli(['--project', dir, 'alerts', 'redeliver', '--run', 'nope'])).code).not.toBe(0);
    expect((await runCli(['--project', dir, 'runs', 'show', runId])).out).toMatch(/failures redelivery 2: due .* \(tried until .*\)/);
    const page = await (await createApp(project).request(`/ui/runs/${runId}`)).text();
    const metrics = await (await createApp(project).request('/metrics')).text();
    expect(metrics).toContain('featureguard_alert_undelivered{alert="failures"} 1');
    expect(metrics).toMatch(/featureguard_alert_undelivered_since_seconds\{alert="failures"\} \d+/);
    expect(page).toMatch(/<strong>failures<\/strong>: redelivery 2 due/);

    // The API (write scope): a bad body is a 400, an unknown run a 404, nothing sent.
    const api = createApp(project, { ui: false });
    const post = (body: string) => api.request('/v1/alerts/redeliver', { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    expect((await post('{"all": "yes"}')).status).toBe(400);
    expect((await post('{"run_id": "nope"}')).status).toBe(404);
    const viaApi = await post(JSON.stringify({ all: true, run_id: runId }));
    expect(viaApi.status).toBe(200);
    expect(await viaApi.json()).toMatchObject({ delivered: 0, failed: 1, waiting_total: 1, waiting: [{ run_id: runId, round: 3 }] });
    expect(rx.bodies).toHaveLength(5);

    // The SDK.
    const store = await openFeatureStore(dir);
    try {
      expect(await store.redeliverAlerts({ all: true })).toMatchObject({ delivered: 0, failed: 1 });
    } finally {
      await store.close();
    }
    expect(rx.bodies).toHaveLength(6);

    // serve: once it is due.
    rx.up = true;
    project.state.prepare('UPDATE alert_redeliveries SET next_at = 0').run();
    const running = await startServer(project, { port: 0, quiet: true, scheduler: false, dropSweepMs: 20, logger: pino({ level: 'silent' }) });
    try {
      for (let i = 0; i < 200 && listRedeliveries(project).length > 0; i++) await new Promise((r) => setTimeout(r, 20));
    } finally {
      await running.close();
    }
    expect(rx.bodies).toHaveLength(7);
    expect(JSON.parse(rx.bodies[6])).toMatchObject({ run: { id: runId }, redelivery: 4 });
    expect(listAlertAttempts(project, runId).at(-1)).toMatchObject({ attempt: 7, ok: true });
    expect(await (await createApp(project).request('/metrics')).text()).not.toContain('featureguard_alert_undelivered{');
  });
});
