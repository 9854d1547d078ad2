/**
 * Alerts against a real HTTP receiver on 127.0.0.1 that fails the first
 * attempt: signature, retries with backoff, every attempt recorded.
 */
import { spawn, spawnSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { NOT_JUDGED, deliver, fireAlerts, listAlertAttempts, sendDueAlerts } from '../../src/alerts/dispatch.js';
import { runInterruptCleanups } from '../../src/state/interrupt.js';
import { failUnfinishedRuns } from '../../src/runs/run-store.js';
import { sendHeldBackSummaries } from '../../src/alerts/held-back.js';
import { verifySignature } from '../../src/sdk/index.js';
import { checkDataset, checkView } from '../../src/guards/check-run.js';
import { runGuardStage } from '../../src/guards/stage.js';
import { materialize } from '../../src/materialize/materialize.js';
import { acquireLeases } from '../../src/materialize/lease.js';
import { buildDatasetStream, getHistoricalFeatures } from '../../src/offline/historical.js';
import { push } from '../../src/serving/push.js';
import { createApp } from '../../src/server/app.js';
import { startServer } from '../../src/server/serve.js';
import { guardBench, type GuardBench } from './helpers.js';
import { runCli } from '../cli/cli-io.js';
import { openFeatureStore } from '../../src/sdk/feature-store.js';

interface Received { body: string; signature: string | undefined }

async function receiver(failFirst: number): Promise<{ server: Server; url: string; received: Received[] }> {
  const received: Received[] = [];
  let n = 0;
  const server = createServer((req: IncomingMessage, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      n++;
      received.push({ body: Buffer.concat(chunks).toString('utf8'), signature: req.headers['x-featureguard-signature'] as string | undefined });
      res.statusCode = n <= failFirst ? 503 : 204;
      res.end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, received };
}

let bench: GuardBench | undefined;
let server: Server | undefined;
afterEach(async () => {
  await bench?.close();
  bench = undefined;
  await new Promise((r) => (server ? server.close(r) : r(undefined)));
  server = undefined;
  delete process.env.FEATUREGUARD_ALERT_BACKOFF_MS;
});

/** A receiver that answers nothing until the test ends the responses it holds (a delivery in flight). */
async function holdingReceiver(): Promise<{ url: string; held: ServerResponse[] }> {
  const held: ServerResponse[] = [];
  server = createServer((req, res) => {
    req.resume();
    req.on('end', () => held.push(res));
  });
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, held };
}


/** A bench whose alert `schema` (min_interval 1h) fires on refused pushes, and `n` such pushes made. */
async function storm(n: number) {
  const rx = await receiver(0);
  server = rx.server;
  bench = await guardBench({ alerts: [{ name: 'schema', url: rx.url, checks: ['schema'], statuses: ['fail'], min_interval: '1h' }] });
  const b = bench;
  const pushBad = async (): Promise<string> => {
    const e = (await push(b.project, { view: 'delays', rows: [{ airport: null, event_timestamp: '2024-01-02T00:00:00Z', delay: 1, carrier: 'AA' }] }).catch((x: unknown) => x)) as { details: { run_id: string } };
    return e.details.run_id;
  };
  const runIds: string[] = [];
  for (let i = 0; i < n; i++) runIds.push(await pushBad());
  return { rx, runIds, pushBad, project: b.project };
}

/**
 * `storm(3)` against a receiver that holds every held-back summary (answers runs at once), with the interval ended:
 * a summary is due for the two held-back runs.
 */
async function stormHoldingSummaries() {
  const held: ServerResponse[] = [];
  const received: string[] = [];
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      received.push(body);
      if (JSON.parse(body).event === 'featureguard.held_back' && held.length === 0) held.push(res);
      else res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  bench = await guardBench({ alerts: [{ name: 'schema', url, checks: ['schema'], statuses: ['fail'], min_interval: '1h' }] });
  const project = bench.project;
  const runIds: string[] = [];
  for (let i = 0; i < 3; i++) {
    const e = (await push(project, { view: 'delays', rows: [{ airport: null, event_timestamp: '2024-01-02T00:00:00Z', delay: 1, carrier: 'AA' }] }).catch((x: unknown) => x)) as { details: { run_id: string } };
    runIds.push(e.details.run_id);
  }
  project.state.prepare('UPDATE alert_throttle SET last_sent_at = last_sent_at - 3600000').run();
  return { held, received, runIds, project };
}

const throttleRow = (project: { state: GuardBench['project']['state'] }) => project.state.prepare('SELECT suppressed, claim FROM alert_throttle').get() as { suppressed: number; claim: string | null };

describe('alerts', () => {
  it('a push over HTTP answers without waiting for its webhooks; their attempts are recorded once delivered', async () => {
    const held: ServerResponse[] = [];
    let got = 0;
    server = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        got++;
        held.push(res);
      });
    });
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
    bench = await guardBench({ alerts: [{ name: 'schema', url, checks: ['schema'], statuses: ['fail'] }] });
    const app = createApp(bench.project, { ui: false });
    const res = await app.request('/v1/push', {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ view: 'delays', rows: [{ airport: null, event_timestamp: '2024-01-02T00:00:00Z', delay: 1, carrier: 'AA' }] }),
    });
    expect(res.status).toBe(400);
    const runId = ((await res.json()) as { error: { details: { run_id: string } } }).error.details.run_id;
    // Answered while the receiver still holds the webhook request.
    for (let i = 0; i < 200 && got === 0; i++) await new Promise((r) => setTimeout(r, 10));
    expect(got).toBe(1);
    expect(listAlertAttempts(bench.project, runId)).toEqual([]);
    for (const r of held) r.writeHead(204).end();
    await app.context.background.idle();
    expect(listAlertAttempts(bench.project, runId)).toMatchObject([{ alert: 'schema', attempt: 1, ok: true }]);
  });

  it('a push refused for rows that do not fit the view is a blocked run in the quality log, and alerts fire', async () => {
    const rx = await receiver(0);
    server = rx.server;
    bench = await guardBench({ alerts: [{ name: 'schema', url: rx.url, checks: ['schema'], statuses: ['fail'] }] });
    const rows = [
      { airport: 'SEA', event_timestamp: '2024-01-02T00:00:00Z', delay: 1, carrier: 'AA' },
      { airport: null, event_timestamp: '2024-01-02T00:00:00Z', delay: 1, carrier: 'AA' },
    ];
    const error = await push(bench.project, { view: 'delays', rows }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'invalid_rows', status: 400, message: expect.stringMatching(/row 1 \(counting from 0\) at \/1\/airport/) });
    const runId = (error as { details: { run_id: string } }).details.run_id;
    expect(bench.project.runs.get(runId)).toMatchObject({ kind: 'push', view: 'delays', status: 'blocked', rows_in: 2, rows_out: 0, counts: { fail: 1 } });
    expect(bench.project.runs.results(runId)).toMatchObject([{ check: 'schema', method: 'rows', status: 'fail', policy: 'block', details: { problems: [expect.objectContaining({ row: 1 })] } }]);
    expect(rx.received).toHaveLength(1);
    expect(JSON.parse(rx.received[0].body)).toMatchObject({ run: expect.objectContaining({ id: runId, status: 'blocked' }) });
  });

  it('min_interval: a storm of refused pushes pages once, later matches are recorded as not sent and counted in the next delivery', async () => {
    const { rx, runIds, pushBad, project } = await storm(3);
    expect(rx.received).toHaveLength(1);
    expect(JSON.parse(rx.received[0].body)).toMatchObject({ run: { id: runIds[0] }, suppressed: 0 });
    for (const id of runIds.slice(1)) {
      expect(listAlertAttempts(project, id)).toEqual([expect.objectContaining({ alert: 'schema', attempt: 0, ok: false, error: expect.stringMatching(/^not sent: within min_interval 1h of the delivery at /) })]);
    }
    // An hour later (the last delivery moved back), the next match is sent and says how many were held back.
    project.state.prepare('UPDATE alert_throttle SET last_sent_at = last_sent_at - 3600000').run();
    await pushBad();
    expect(rx.received).toHaveLength(2);
    expect(JSON.parse(rx.received[1].body)).toMatchObject({ suppressed: 2 });
  });

  it('min_interval: matches held back until the interval ends are summed up in one held_back event, retried an interval later if it fails', async () => {
    const { rx, runIds, pushBad, project } = await storm(3);
    expect(rx.received).toHaveLength(1);
    // Within the interval: nothing due.
    expect(await sendHeldBackSummaries(project)).toEqual([]);
    // Once it has ended (the last delivery moved back an hour): one summary naming the two held-back runs,
    // recorded on the latest.
    const throttle = () => project.state.prepare('SELECT last_sent_at, suppressed FROM alert_throttle').get() as { last_sent_at: number; suppressed: number };
    const firstDelivery = listAlertAttempts(project, runIds[0]).find((a) => a.ok)!.at;
    project.state.prepare('UPDATE alert_throttle SET last_sent_at = last_sent_at - 3600000').run();
    process.env.FEATUREGUARD_ALERT_BACKOFF_MS = '1';
    const attempts = await sendHeldBackSummaries(project);
    expect(attempts.map((a) => [a.run_id, a.ok])).toEqual([[runIds[2], true]]);
    expect(rx.received).toHaveLength(2);
    const summary = JSON.parse(rx.received[1].body);
    expect(summary).toMatchObject({
      event: 'featureguard.held_back', alert: 'schema', target: { view: 'delays' }, suppressed: 2, since: firstDelivery,
      runs: [{ id: runIds[1], kind: 'push', view: 'delays', status: 'blocked' }, { id: runIds[2] }],
    });
    expect(summary.runs).toHaveLength(2);
    const summaryAt = listAlertAttempts(project, runIds[2]).find((a) => a.ok)!.at;
    // It counts as a delivery: nothing more is due, and a match within the next interval is held back.
    expect(await sendHeldBackSummaries(project)).toEqual([]);
    const late = [await pushBad(), await pushBad()];
    expect(rx.received).toHaveLength(2);
    // A summary that reaches no one: the count is kept, and it is tried again only once the next interval ended.
    project.state.prepare('UPDATE alert_throttle SET last_sent_at = last_sent_at - 3600000').run();
    const port = (rx.server.address() as AddressInfo).port;
    await new Promise((r) => rx.server.close(r));
    const failed = await sendHeldBackSummaries(project);
    expect(failed.map((a) => [a.run_id, a.ok])).toEqual([[late[1], false], [late[1], false], [late[1], false]]);
    expect(throttle()).toEqual({ last_sent_at: expect.any(Number), suppressed: 2 });
    expect(Date.now() - throttle().last_sent_at).toBeLessThan(60_000);
    expect(await sendHeldBackSummaries(project)).toEqual([]);
    // The retry, an interval later, lists the same runs and counts since the last summary that arrived.
    await new Promise<void>((r) => rx.server.listen(port, '127.0.0.1', r));
    project.state.prepare('UPDATE alert_throttle SET last_sent_at = last_sent_at - 3600000').run();
    expect((await sendHeldBackSummaries(project)).map((a) => a.ok)).toEqual([true]);
    expect(JSON.parse(rx.received[2].body)).toMatchObject({ suppressed: 2, since: summaryAt, runs: [{ id: late[0] }, { id: late[1] }] });
  });

  it('a match held back while the delivery before it retried is in the next summary', async () => {
    const rx = await receiver(1); // the first try fails: the delivery succeeds on its retry
    server = rx.server;
    bench = await guardBench({ alerts: [{ name: 'schema', url: rx.url, checks: ['schema'], statuses: ['fail'], min_interval: '1h' }] });
    process.env.FEATUREGUARD_ALERT_BACKOFF_MS = '300';
    const project = bench.project;
    const bad = [{ airport: null, event_timestamp: '2024-01-02T00:00:00Z', delay: 1, carrier: 'AA' }];
    const runOf = (p: Promise<unknown>) => p.then(() => '', (e: { details: { run_id: string } }) => e.details.run_id);
    const first = runOf(push(project, { view: 'delays', rows: bad }));
    await new Promise((r) => setTimeout(r, 100)); // the first delivery is waiting for its retry
    const held = await runOf(push(project, { view: 'delays', rows: bad }));
    await first;
    expect(rx.received).toHaveLength(2); // the failed try and its successful retry
    project.state.prepare('UPDATE alert_throttle SET last_sent_at = last_sent_at - 3600000').run();
    expect((await sendHeldBackSummaries(project)).map((a) => a.ok)).toEqual([true]);
    expect(JSON.parse(rx.received[2].body)).toMatchObject({ event: 'featureguard.held_back', suppressed: 1, runs: [{ id: held }] });
  });

  it('a held-back summary whose runs were all pruned sends nothing and gives the interval back', async () => {
    const { rx, runIds, pushBad, project } = await storm(2);
    project.state.prepare('DELETE FROM runs WHERE id = ?').run(runIds[1]);
    project.state.prepare('UPDATE alert_throttle SET last_sent_at = last_sent_at - 3600000').run();
    expect(await sendHeldBackSummaries(project)).toEqual([]);
    // Nothing was delivered for an interval: the next match is sent at once.
    await pushBad();
    expect(rx.received.map((r) => JSON.parse(r.body).event)).toEqual(['featureguard.run', 'featureguard.run']);
  });

  it('a held-back summary whose process is killed while sending it keeps its count: once its claim runs out the next sweep sends it', async () => {
    const { held, received, runIds, project } = await stormHoldingSummaries();
    // The sweep's summary stays on the wire, as in a process killed (-9) meanwhile: nothing settles it.
    const killed = sendHeldBackSummaries(project, Date.now(), { timeoutMs: 60_000 });
    for (let i = 0; i < 200 && held.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
    expect(held).toHaveLength(1);
    expect(throttleRow(project)).toMatchObject({ suppressed: 2 });
    // The next sweep (a restarted serve) leaves it while the claim holds, then sends it with the whole count.
    expect(await sendHeldBackSummaries(project)).toEqual([]);
    const attempts = await sendHeldBackSummaries(project, Date.now() + 2 * 3_600_000);
    expect(attempts.map((a) => [a.run_id, a.ok])).toEqual([[runIds[2], true]]);
    expect(JSON.parse(received[received.length - 1])).toMatchObject({ event: 'featureguard.held_back', suppressed: 2, runs: [{ id: runIds[1] }, { id: runIds[2] }] });
    expect(throttleRow(project)).toMatchObject({ suppressed: 0, claim: null });
    // The killed one's claim was taken over: arriving after all, it leaves the count alone.
    held[0].writeHead(204).end();
    await killed;
    expect(throttleRow(project)).toMatchObject({ suppressed: 0, claim: null });
  });

  it('a held-back summary cut by an interrupt is recorded as such and keeps its count for the next one', async () => {
    const { held, runIds, project } = await stormHoldingSummaries();
    const cut = sendHeldBackSummaries(project, Date.now(), { timeoutMs: 20_000 });
    for (let i = 0; i < 200 && held.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
    runInterruptCleanups('SIGINT');
    expect(listAlertAttempts(project, runIds[2])).toMatchObject([{ attempt: 0 }, { attempt: 1, ok: false, error: 'held-back summary (featureguard.held_back) of 2 runs: interrupted: the process stopped during this try' }]);
    expect(throttleRow(project)).toMatchObject({ suppressed: 2, claim: null });
    held[0].writeHead(204).end();
    await cut;
  });

  it('a held-back summary stopped by its signal (serve stopping) ends at once and is due again for the next process', async () => {
    const { held, received, runIds, project } = await stormHoldingSummaries();
    const stopping = new AbortController();
    const sending = sendHeldBackSummaries(project, Date.now(), { timeoutMs: 20_000, signal: stopping.signal });
    for (let i = 0; i < 200 && held.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
    const t0 = Date.now();
    stopping.abort();
    expect(await sending).toMatchObject([{ run_id: runIds[2], ok: false, error: 'held-back summary (featureguard.held_back) of 2 runs: interrupted: the process stopped during this try' }]);
    expect(Date.now() - t0).toBeLessThan(1000);
    expect(throttleRow(project)).toMatchObject({ suppressed: 2, claim: null });
    // Not an interval later: the next sweep sends it (the receiver answers this one).
    expect((await sendHeldBackSummaries(project)).map((a) => a.ok)).toEqual([true]);
    expect(JSON.parse(received[received.length - 1])).toMatchObject({ event: 'featureguard.held_back', suppressed: 2 });
    held[0].end();
  });

  it('serve sends the held-back summary by itself once the interval has ended', async () => {
    const { rx, project } = await storm(2);
    const running = await startServer(project, { port: 0, quiet: true, scheduler: false, heldBackSweepMs: 20, logger: pino({ level: 'silent' }) });
    try {
      await new Promise((r) => setTimeout(r, 100));
      expect(rx.received).toHaveLength(1);
      project.state.prepare('UPDATE alert_throttle SET last_sent_at = last_sent_at - 3600000').run();
      for (let i = 0; i < 100 && rx.received.length < 2; i++) await new Promise((r) => setTimeout(r, 20));
      expect(JSON.parse(rx.received[1].body)).toMatchObject({ event: 'featureguard.held_back', suppressed: 1 });
    } finally {
      await running.close();
    }
  });

  it("never records a webhook URL's path or password in an attempt's error", async () => {
    bench = await guardBench();
    const run = bench.project.runs.create({ kind: 'check', view: 'delays' });
    // featureguard.yaml refuses such a URL; an error quoting one must not carry it into the quality log anyway.
    const [a] = await deliver(bench.project.state, { name: 'page', url: 'http://bot:S3cret@127.0.0.1:9/T0/SECRETTOKEN' }, run.id, '{}', { tries: 1 });
    expect(a.ok).toBe(false);
    expect(a.error).not.toMatch(/S3cret|SECRETTOKEN/);
    expect(listAlertAttempts(bench.project, run.id)[0].error).toContain('http://127.0.0.1:9/…');
  });

  it('POSTs a signed run summary on a matching run, retries after a failure and records every attempt', async () => {
    const rx = await receiver(1);
    server = rx.server;
    process.env.FG_TEST_SECRET = 's3cret';
    process.env.FEATUREGUARD_ALERT_BACKOFF_MS = '20';
    bench = await guardBench({
      alerts: [
        { name: 'retrain', url: `${rx.url}/T0/B0?token=hook-secret`, secret_env: 'FG_TEST_SECRET', checks: ['drift'], statuses: ['fail'] },
        { name: 'other_view', url: rx.url, views: ['not_this_view'] },
      ],
    });
    const clean = await bench.runWindow('2024-01-01', '2024-01-08');
    expect(rx.received).toHaveLength(0);
    expect(listAlertAttempts(bench.project, clean.runId)).toEqual([]);

    const g = await bench.runWindow('2024-01-08', '2024-01-15', { transform: 'SELECT * REPLACE (delay * 3 AS delay) FROM w' });
    expect(rx.received).toHaveLength(2);
    const [first, second] = rx.received;
    expect(first.body).toBe(second.body);
    expect(verifySignature(second.body, second.signature, 's3cret')).toBe(true);
    expect(verifySignature(second.body, second.signature, 'wrong')).toBe(false);
    expect(verifySignature(second.body, [String(second.signature), String(second.signature)], 's3cret')).toBe(false); // a header sent twice
    const payload = JSON.parse(second.body);
    expect(payload).toMatchObject({ event: 'featureguard.run', alert: 'retrain', run: { id: g.runId, view: 'delays', status: 'warned' }, verdict: 'warn' });
    expect(payload.matched.some((m: { check: string; feature: string; status: string }) => m.check === 'drift' && m.feature === 'delay' && m.status === 'fail')).toBe(true);
    // Why each result matched, without calling back: its thresholds and policy as the run recorded them, and where the run is.
    const recorded = bench.project.runs.results(g.runId);
    for (const m of payload.matched as { check: string; method: string | null; feature: string | null; slice: string | null; thresholds: unknown; policy: unknown }[]) {
      const r = recorded.find((x) => x.check === m.check && x.method === m.method && x.feature === m.feature && x.slice === m.slice);
      expect([m.thresholds, m.policy]).toEqual([r?.thresholds, r?.policy ?? null]);
    }
    expect(Object.keys(payload.matched.find((m: { check: string }) => m.check === 'drift').thresholds ?? {})).not.toEqual([]);
    expect(payload.links).toEqual({ api: `/v1/runs/${g.runId}`, ui: `/ui/runs/${g.runId}` });
    const attempts = listAlertAttempts(bench.project, g.runId);
    expect(attempts.map((a) => [a.alert, a.attempt, a.status_code, a.ok])).toEqual([
      ['retrain', 1, 503, false],
      ['retrain', 2, 204, true],
    ]);
    // The hook's path and query (its secret, for many services) stay out of the quality log.
    expect(attempts.map((a) => a.url)).toEqual([`${new URL(rx.url).origin}/…`, `${new URL(rx.url).origin}/…`]);
    expect(JSON.stringify(bench.project.state.prepare('SELECT * FROM alert_attempts').all())).not.toMatch(/hook-secret|\/T0\//);
  });

  it('fires a service-level retraining trigger on materializations of the views the service consumes', async () => {
    const rx = await receiver(0);
    server = rx.server;
    bench = await guardBench({
      services: [
        { kind: 'feature_service', name: 'delay_model', features: ['delays:delay'] },
        { kind: 'feature_service', name: 'carrier_model', features: ['delays:carrier'] },
      ],
      alerts: [
        { name: 'retrain', url: rx.url, checks: ['drift'], statuses: ['fail'], services: ['delay_model'] },
        { name: 'carrier_retrain', url: rx.url, checks: ['drift'], statuses: ['fail'], services: ['carrier_model'] },
      ],
    });
    await bench.runWindow('2024-01-01', '2024-01-08');
    const g = await bench.runWindow('2024-01-08', '2024-01-15', { transform: 'SELECT * REPLACE (delay * 3 AS delay) FROM w' });
    expect(bench.project.runs.get(g.runId)).toMatchObject({ kind: 'materialize', view: 'delays', service: null });
    // delay drifted: the model that uses it is told; the one that only uses carrier is not.
    expect(rx.received.map((r) => JSON.parse(r.body).alert)).toEqual(['retrain']);
    const payload = JSON.parse(rx.received[0].body);
    expect(payload.run).toMatchObject({ id: g.runId, view: 'delays', service: null });
    expect(payload.matched.map((m: { check: string; feature: string }) => `${m.check}:${m.feature}`)).toContain('drift:delay');
    expect(listAlertAttempts(bench.project, g.runId).map((a) => [a.alert, a.ok])).toEqual([['retrain', true]]);
  });

  it('alerts a materialization with its final status: guards passed but the online write failed is `failed`', async () => {
    const rx = await receiver(0);
    server = rx.server;
    bench = await guardBench({ alerts: [{ name: 'failures', url: rx.url, statuses: ['failed'] }] });
    // The real guard stage, then the online store goes away before the write (a disk or Redis failure).
    const [r] = await materialize(bench.project, {
      start: '2024-01-01', end: '2024-01-08', views: ['delays'],
      guardStage: async (input) => {
        const g = await runGuardStage(input);
        await (await bench!.project.onlineStore()).close();
        return g;
      },
    });
    expect(r.status).toBe('failed');
    expect(r.checks.length).toBeGreaterThan(0);
    expect(rx.received).toHaveLength(1);
    const body = JSON.parse(rx.received[0].body) as { run: { id: string; status: string }; verdict: string };
    expect(body.run).toMatchObject({ id: r.run!.id, status: 'failed' });
    expect(body.verdict).toBe('pass');
    expect(listAlertAttempts(bench.project, r.run!.id)).toHaveLength(1);
  });

  it('alerts a dataset build once its outputs are written or failed: a write failure after passing guards is `failed`', async () => {
    const rx = await receiver(0);
    server = rx.server;
    bench = await guardBench({ alerts: [{ name: 'builds', url: rx.url, statuses: ['failed', 'success', 'warned'] }], services: [{ kind: 'feature_service', name: 'svc', features: ['delays:delay'] }] });
    const entities = [{ airport: 'SEA', event_timestamp: '2024-01-10T00:00:00Z' }, { airport: 'JFK', event_timestamp: '2024-01-11T00:00:00Z' }];
    const ok = await getHistoricalFeatures(bench.project, { service: 'svc', entities, out: join(bench.dir, 'out', 'ok.parquet') });
    expect(rx.received).toHaveLength(1);
    expect(JSON.parse(rx.received[0].body).run).toMatchObject({ id: ok.run.id, status: ok.status });
    // The output folder turns out to be a file once the guards passed (it was fine when the build started).
    const onProgress = (e: { phase: string }) => {
      if (e.phase === 'write') writeFileSync(join(bench!.dir, 'blocker'), 'not a folder');
    };
    await expect(getHistoricalFeatures(bench.project, { service: 'svc', entities, out: join(bench.dir, 'blocker', 'x.parquet'), onProgress })).rejects.toMatchObject({ code: 'output_write_failed' });
    expect(rx.received).toHaveLength(2);
    const body = JSON.parse(rx.received[1].body) as { run: { status: string }; verdict: string };
    expect(body.run.status).toBe('failed');
  });

  it('alerts a materialization that failed before its guards judged it (its source gone) to an alert on failed runs only', async () => {
    const rx = await receiver(0);
    server = rx.server;
    bench = await guardBench({ alerts: [{ name: 'failures', url: rx.url, statuses: ['failed'] }, { name: 'checks', url: rx.url, statuses: ['fail'] }] });
    rmSync(join(bench.dir, 'data', 'rows.parquet'));
    const [r] = await materialize(bench.project, { start: '2024-01-01', end: '2024-01-08', views: ['delays'] });
    expect([r.status, r.checks]).toEqual(['failed', []]);
    expect(rx.received).toHaveLength(1);
    const body = JSON.parse(rx.received[0].body) as { alert: string; run: { id: string; status: string }; verdict: unknown; matched: unknown[] };
    expect(body).toMatchObject({ alert: 'failures', run: { id: r.run!.id, status: 'failed' }, verdict: null, matched: [] });
  });

  it('alerts a check that failed before its guards judged it (its source gone), as a materialization; a dataset file the caller got wrong alerts nothing', async () => {
    const rx = await receiver(0);
    server = rx.server;
    bench = await guardBench({ alerts: [{ name: 'failures', url: rx.url, statuses: ['failed'] }], services: [{ kind: 'feature_service', name: 'svc', features: ['delays'] }] });
    rmSync(join(bench.dir, 'data', 'rows.parquet'));
    const e = (await checkView(bench.project, { view: 'delays', start: '2024-01-01', end: '2024-01-08' }).catch((x: unknown) => x)) as { code: string };
    expect(e.code).toBe('source_unreadable');
    const [run] = bench.project.runs.list({ kind: 'check' }).runs;
    expect(rx.received.map((r) => JSON.parse(r.body))).toMatchObject([{ alert: 'failures', run: { id: run.id, status: 'failed' }, verdict: null, matched: [] }]);
    const garbage = join(bench.dir, 'garbage.parquet');
    writeFileSync(garbage, 'not parquet');
    await expect(checkDataset(bench.project, { file: garbage, service: 'svc' })).rejects.toMatchObject({ code: 'bad_dataset_file' });
    expect(rx.received).toHaveLength(1);
  });

  it('alerts the runs a killed process left running once they are failed: by the CLI, by openFeatureStore, and by serve at start and in its sweep', async () => {
    const rx = await receiver(0);
    server = rx.server;
    bench = await guardBench({ alerts: [{ name: 'failures', url: rx.url, statuses: ['failed'] }, { name: 'drift', url: rx.url, statuses: ['fail'], checks: ['drift'] }] });
    const b = bench;
    // A materialization killed (kill -9, out of memory) after its guards recorded a drift failure.
    const orphan = (): string => {
      const run = b.project.runs.create({ kind: 'materialize', view: 'delays' });
      b.project.runs.addResults([{ run_id: run.id, check: 'drift', method: 'psi', feature: 'delay', slice: null, status: 'fail', value: 0.4, thresholds: { fail: 0.25 }, metrics: null, message: 'drifted', details: null }]);
      b.project.state.prepare('UPDATE run_owners SET pid = ? WHERE run_id = ?').run(spawnSync(process.execPath, ['-e', '0']).pid, run.id);
      return run.id;
    };
    const alerted = () => rx.received.map((r) => JSON.parse(r.body) as { alert: string; run: { id: string; status: string }; verdict: unknown; matched: { check: string }[] });
    const viaCli = orphan();
    expect((await runCli(['--project', b.dir, 'runs', 'list'])).code).toBe(0);
    const viaSdk = orphan();
    await (await openFeatureStore(b.dir)).close();
    const atStart = orphan();
    const running = await startServer(b.project, { port: 0, quiet: true, scheduler: false, dropSweepMs: 20, logger: pino({ level: 'silent' }) });
    let inSweep = '';
    try {
      for (let i = 0; i < 100 && rx.received.length < 6; i++) await new Promise((r) => setTimeout(r, 20));
      inSweep = orphan();
      for (let i = 0; i < 100 && rx.received.length < 8; i++) await new Promise((r) => setTimeout(r, 20));
    } finally {
      await running.close();
    }
    // Each run once per alert: the run failed, and the drift its guards had found.
    const got = alerted().map((a) => `${a.run.id} ${a.alert} ${a.run.status} ${a.verdict} ${a.matched.map((m) => m.check).join(',')}`).sort();
    const want = [viaCli, viaSdk, atStart, inSweep].flatMap((id) => [`${id} drift failed null drift`, `${id} failures failed null drift`]).sort();
    expect(got).toEqual(want);
  });

  it('a killed run alerts once per alert (not again where its guards alerted already, not with the guards off), and not before serve is serving', async () => {
    const rx = await receiver(0);
    server = rx.server;
    bench = await guardBench({ alerts: [{ name: 'failures', url: rx.url, statuses: ['failed'] }, { name: 'drift', url: rx.url, statuses: ['fail'], checks: ['drift'] }] });
    const b = bench;
    const deadPid = spawnSync(process.execPath, ['-e', '0']).pid;
    const orphan = (options?: Record<string, unknown>): string => {
      const run = b.project.runs.create({ kind: 'check', view: 'delays', ...(options ? { options } : {}) });
      b.project.runs.addResults([{ run_id: run.id, check: 'drift', method: 'psi', feature: 'delay', slice: null, status: 'fail', value: 0.4, thresholds: { fail: 0.25 }, metrics: null, message: 'drifted', details: null }]);
      b.project.state.prepare('UPDATE run_owners SET pid = ? WHERE run_id = ?').run(deadPid, run.id);
      return run.id;
    };
    // Its guards alerted `drift` before the process was killed (a check run alerts while still running).
    const alerted = orphan();
    await fireAlerts(b.project, alerted, { verdict: 'block', results: b.project.runs.results(alerted) }, { tries: 1 });
    expect(rx.received.map((r) => (JSON.parse(r.body) as { alert: string }).alert)).toEqual(['drift']);
    const guardsOff = orphan({ guards: false });
    // A serve that cannot start (its port is taken) leaves them running, alerts and all, for the next process.
    const taken = createServer();
    await new Promise<void>((r) => taken.listen(0, '127.0.0.1', r));
    const port = (taken.address() as AddressInfo).port;
    await expect(startServer(b.project, { port, host: '127.0.0.1', quiet: true, scheduler: false, logger: pino({ level: 'silent' }) })).rejects.toMatchObject({ code: 'listen_failed' });
    await new Promise((r) => taken.close(r));
    expect([b.project.runs.get(alerted).status, b.project.runs.get(guardsOff).status]).toEqual(['running', 'running']);
    const running = await startServer(b.project, { port: 0, quiet: true, scheduler: false, logger: pino({ level: 'silent' }) });
    try {
      for (let i = 0; i < 100 && rx.received.length < 2; i++) await new Promise((r) => setTimeout(r, 20));
      await new Promise((r) => setTimeout(r, 100));
    } finally {
      await running.close();
    }
    expect([b.project.runs.get(alerted).status, b.project.runs.get(guardsOff).status]).toEqual(['failed', 'failed']);
    // The killed run: `failures` once (new), `drift` not again; the run with the guards off: nothing.
    const bodies = rx.received.map((r) => JSON.parse(r.body) as { alert: string; run: { id: string; status: string } });
    expect(bodies.slice(1).map((x) => [x.run.id, x.alert, x.run.status])).toEqual([[alerted, 'failures', 'failed']]);
  });

  it('alerts a run a signal interrupted (its handler can only mark it failed) from the next process, once', async () => {
    const rx = await receiver(0);
    server = rx.server;
    bench = await guardBench({ alerts: [{ name: 'failures', url: rx.url, statuses: ['failed'] }] });
    const run = bench.project.runs.create({ kind: 'materialize', view: 'delays' });
    // What the CLI's SIGTERM/SIGINT handler does before the process exits.
    expect(failUnfinishedRuns('interrupted (SIGTERM) before it finished')).toContain(run.id);
    expect(rx.received).toHaveLength(0);
    expect((await runCli(['--project', bench.dir, 'runs', 'list'])).code).toBe(0);
    await (await openFeatureStore(bench.dir)).close();
    const bodies = rx.received.map((r) => JSON.parse(r.body) as { alert: string; run: { id: string; status: string } });
    expect(bodies.map((b) => [b.run.id, b.alert, b.run.status])).toEqual([[run.id, 'failures', 'failed']]);
  });

  it("alerts a materialization of another host's stopped process when the next materialization takes over its expired lease", async () => {
    const rx = await receiver(0);
    server = rx.server;
    bench = await guardBench({ alerts: [{ name: 'failures', url: rx.url, statuses: ['failed'] }] });
    const state = bench.project.state;
    // A materialization under its lease, whose process ran on another host (only the expired lease tells it stopped).
    acquireLeases(state, ['delays'], 'materialize-elsewhere');
    const old = bench.project.runs.create({ kind: 'materialize', view: 'delays' });
    state.prepare('UPDATE run_owners SET host = ? WHERE run_id = ?').run('elsewhere/pid:1', old.id);
    state.prepare('UPDATE materialization_leases SET host = ?, pid = 1, expires_at = 0 WHERE view = ?').run('elsewhere/pid:1', 'delays');
    const [r] = await materialize(bench.project, { start: '2024-01-01', end: '2024-01-08', views: ['delays'] });
    expect(r.status).toBe('success');
    expect(bench.project.runs.get(old.id)).toMatchObject({ status: 'failed', message: expect.stringContaining('lease expired') });
    expect(rx.received.map((x) => JSON.parse(x.body) as { run: { id: string; status: string } }).map((b) => [b.run.id, b.run.status])).toEqual([[old.id, 'failed']]);
  });

  it("leaves a taken-over run's alerts due when the materialization runs under a stopped server's signal", async () => {
    // The lease takeover sent them without the server's stop signal (`alertSignal`): a stopping serve could not cut them.
    const rx = await receiver(0);
    server = rx.server;
    bench = await guardBench({ alerts: [{ name: 'failures', url: rx.url, statuses: ['failed'] }] });
    const state = bench.project.state;
    acquireLeases(state, ['delays'], 'materialize-elsewhere');
    const old = bench.project.runs.create({ kind: 'materialize', view: 'delays' });
    state.prepare('UPDATE run_owners SET host = ? WHERE run_id = ?').run('elsewhere/pid:1', old.id);
    state.prepare('UPDATE materialization_leases SET host = ?, pid = 1, expires_at = 0 WHERE view = ?').run('elsewhere/pid:1', 'delays');
    const stopped = new AbortController();
    stopped.abort();
    const [r] = await materialize(bench.project, { start: '2024-01-01', end: '2024-01-08', views: ['delays'], alertSignal: stopped.signal });
    expect(r.status).toBe('success');
    expect(bench.project.runs.get(old.id)).toMatchObject({ status: 'failed', message: expect.stringContaining('lease expired') });
    expect(rx.received).toHaveLength(0);
    // Still due, and not taken: the next process (here, without a stop) sends it.
    await sendDueAlerts(bench.project);
    expect(rx.received.map((x) => JSON.parse(x.body) as { run: { id: string } }).map((b) => b.run.id)).toEqual([old.id]);
  });

  it("hands a streamed dataset's alert deliveries to the server (which waits for them when it stops)", async () => {
    const rx = await receiver(0);
    server = rx.server;
    bench = await guardBench({ alerts: [{ name: 'builds', url: rx.url, statuses: ['success', 'warned'] }], services: [{ kind: 'feature_service', name: 'svc', features: ['delays:delay'] }] });
    const handed: Promise<void>[] = [];
    const stream = await buildDatasetStream(bench.project, { service: 'svc', entities: [{ airport: 'SEA', event_timestamp: '2024-01-10T00:00:00Z' }] }, 'json', { deliverAlerts: (d) => handed.push(d) });
    for await (const _ of stream.body) void _;
    expect(handed).toHaveLength(1);
    await handed[0];
    expect(JSON.parse(rx.received[0].body).run.id).toBe(stream.run.id);
  });

  it('POST /v1/datasets answers a build that failed before its guards without waiting for the alert; a bad request alerts nothing', async () => {
    const { held, url } = await holdingReceiver();
    bench = await guardBench({ alerts: [{ name: 'failures', url, statuses: ['failed'] }] });
    const app = createApp(bench.project, { ui: false, errorLog: () => undefined });
    const ask = (entities: unknown) => app.request('/v1/datasets', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ features: ['delays:delay'], entity_rows: entities, format: 'json' }) });
    const bad = await ask([{ airport: 'SEA', event_timestamp: 'yesterday' }]);
    expect(bad.status).toBe(400);
    rmSync(join(bench.dir, 'data', 'rows.parquet'));
    const broken = await ask([{ airport: 'SEA', event_timestamp: '2024-01-10T00:00:00Z' }]);
    // Answered while the receiver still holds the delivery.
    expect((await broken.json()).error.code).toBe('source_unreadable');
    for (let i = 0; i < 100 && held.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
    expect(held).toHaveLength(1);
    for (const res of held) res.end();
    await app.context.background.idle();
    const failed = bench.project.runs.list({ kind: 'dataset', status: 'failed' }).runs;
    // The bad request records no run (refused before any work); the broken build's failed run alerts once.
    expect(failed.map((r) => listAlertAttempts(bench!.project, r.id).length)).toEqual([1]);
  });

  it('a delivery cut by an interrupt is recorded as such and gives its min_interval slot back', async () => {
    const { held, url } = await holdingReceiver();
    bench = await guardBench({ alerts: [{ name: 'failures', url, statuses: ['failed'], min_interval: '1h' }] });
    const failedRun = () => {
      const r = bench!.project.runs.create({ kind: 'push', view: 'delays', options: {} });
      bench!.project.runs.update(r.id, { status: 'failed', finished_at: new Date().toISOString() });
      return r.id;
    };
    const first = failedRun();
    const delivering = fireAlerts(bench.project, first, NOT_JUDGED, { timeoutMs: 20_000 });
    for (let i = 0; i < 200 && held.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
    runInterruptCleanups('SIGINT');
    expect(listAlertAttempts(bench.project, first)).toMatchObject([{ attempt: 1, ok: false, error: 'interrupted: the process stopped during this try' }]);
    // The slot is free again: the next match is sent, not held, and counts the cut one.
    const second = failedRun();
    const next = fireAlerts(bench.project, second, NOT_JUDGED, { timeoutMs: 20_000 });
    for (let i = 0; i < 200 && held.length < 2; i++) await new Promise((r) => setTimeout(r, 10));
    expect(held).toHaveLength(2);
    for (const res of held) res.end();
    await Promise.all([delivering, next]);
  });

  it('a min_interval delivery whose process is killed on the wire (kill -9) is held back on its run, summed up once its claim ran out', async () => {
    // A receiver that never answers the first request (the CLI is killed while it waits), and answers the rest.
    const bodies: string[] = [];
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        bodies.push(Buffer.concat(chunks).toString('utf8'));
        if (bodies.length > 1) res.writeHead(204).end();
      });
    });
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
    bench = await guardBench({ alerts: [{ name: 'volume', url, statuses: ['fail'], checks: ['anomaly'], min_interval: '1h' }] });
    const child = spawn(process.execPath, ['--import', 'tsx', join(__dirname, '..', 'cli', 'interrupt-child.ts'), '--project', bench.dir, 'check', '--view', 'delays', '--start', '2025-01-01', '--end', '2025-01-02'], { stdio: 'ignore' });
    const exited = new Promise((r) => child.on('exit', r));
    for (let i = 0; i < 3000 && bodies.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
    expect(bodies).toHaveLength(1);
    child.kill('SIGKILL');
    await exited;
    const project = bench.project;
    const runId = JSON.parse(bodies[0]).run.id as string;
    // Recorded on its run as held back, and counted so.
    expect(listAlertAttempts(project, runId)).toEqual([expect.objectContaining({ alert: 'volume', attempt: 0, ok: false, error: expect.stringMatching(/^delivery begun, no try arrived/) })]);
    expect(throttleRow(project)).toMatchObject({ suppressed: 1 });
    // While the killed delivery's claim holds (its tries' time and a minute), no summary; then one, an hour early.
    expect(await sendHeldBackSummaries(project)).toEqual([]);
    process.env.FEATUREGUARD_ALERT_BACKOFF_MS = '1';
    expect((await sendHeldBackSummaries(project, Date.now() + 2 * 60_000)).map((a) => [a.run_id, a.ok])).toEqual([[runId, true]]);
    expect(JSON.parse(bodies[1])).toMatchObject({ event: 'featureguard.held_back', alert: 'volume', suppressed: 1, since: null, runs: [{ id: runId }] });
    expect(throttleRow(project)).toMatchObject({ suppressed: 0, claim: null });
  });

  it('records a receiver slower than the timeout as timed out, saying it may have got the delivery', async () => {
    let got = 0;
    server = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        got++;
        setTimeout(() => res.writeHead(204).end(), 600);
      });
    });
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
    bench = await guardBench();
    const run = bench.project.runs.create({ kind: 'push', view: 'delays', options: {} });
    const [a] = await deliver(bench.project.state, { name: 'slow', url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook` }, run.id, '{}', { tries: 1, timeoutMs: 200 });
    expect(got).toBe(1);
    expect(a).toMatchObject({ ok: false, status_code: null, error: 'timed out after 0.2 s (the receiver may have got it: answer within 0.2 s and do the work asynchronously)' });
    expect(listAlertAttempts(bench.project, run.id)[0].error).toBe(a.error);
  });

  it('does not follow a redirect: the attempt fails, saying so, and the signed body goes nowhere else', async () => {
    process.env.FEATUREGUARD_ALERT_BACKOFF_MS = '10';
    const hits: string[] = [];
    server = createServer((req, res) => {
      hits.push(`${req.method} ${req.url}`);
      req.resume();
      req.on('end', () => {
        res.writeHead(307, { location: '/elsewhere' });
        res.end();
      });
    });
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
    bench = await guardBench();
    const run = bench.project.runs.create({ kind: 'push', view: 'delays', options: {} });
    const attempts = await deliver(bench.project.state, { name: 'moved', url }, run.id, '{}', { tries: 2 });
    expect(attempts.map((a) => [a.ok, a.status_code, a.error])).toEqual([[false, 307, expect.stringContaining('redirect (not followed')], [false, 307, expect.stringContaining('redirect')]]);
    expect(hits).toEqual(['POST /hook', 'POST /hook']);
  });

  it("reads a few KB of the receiver's answer and cuts the rest: an endless body is neither buffered nor waited for", async () => {
    let cut = false;
    server = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        res.writeHead(200, { 'content-type': 'application/octet-stream' });
        const chunk = Buffer.alloc(64 * 1024, 120);
        const more = () => {
          while (!res.destroyed && res.write(chunk));
          if (!res.destroyed) res.once('drain', more);
        };
        res.on('close', () => (cut = true));
        more();
      });
    });
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
    bench = await guardBench();
    const run = bench.project.runs.create({ kind: 'push', view: 'delays', options: {} });
    const attempts = await deliver(bench.project.state, { name: 'files', url }, run.id, '{}', { tries: 1, timeoutMs: 3000 });
    expect(attempts).toMatchObject([{ ok: true, status_code: 200, error: null }]);
    expect(attempts[0].duration_ms).toBeLessThan(1500);
    for (let i = 0; i < 100 && !cut; i++) await new Promise((r) => setTimeout(r, 10));
    expect(cut).toBe(true);
  });

  it('gives up after 3 tries against a dead endpoint and records each failure', async () => {
    process.env.FEATUREGUARD_ALERT_BACKOFF_MS = '10';
    // A port that was just closed: connection refused.
    const rx = await receiver(0);
    await new Promise((r) => rx.server.close(r));
    bench = await guardBench({ alerts: [{ name: 'dead', url: rx.url, statuses: ['fail'] }] });
    const g = await bench.runWindow('2025-01-01', '2025-01-02'); // empty window: anomaly.volume fails
    const attempts = listAlertAttempts(bench.project, g.runId);
    expect(attempts.map((a) => a.attempt)).toEqual([1, 2, 3]);
    expect(attempts.every((a) => !a.ok && a.status_code === null && a.error)).toBe(true);
    expect(g.verdict).toBe('warn'); // delivery problems never change the run
  });
});
