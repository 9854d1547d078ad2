/**
 * Alerts whose configuration changed under the state they kept: matches held back by a `min_interval` that was then
 * removed (or set to 0, or its alert renamed), against a real HTTP receiver on 127.0.0.1 and the real state database.
 */
import { writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { afterEach, describe, expect, it } from 'vitest';
import { listAlertAttempts } from '../../src/alerts/dispatch.js';
import { givenUpByAlert } from '../../src/alerts/given-up.js';
import { sendHeldBackSummaries } from '../../src/alerts/held-back.js';
import { listRedeliveries, redeliverAndReport } from '../../src/alerts/redelivery.js';
import type { AlertConfig } from '../../src/definitions/types.js';
import { openProject, type Project } from '../../src/project.js';
import { push } from '../../src/serving/push.js';
import { guardBench, type GuardBench } from './helpers.js';

const servers: Server[] = [];
const opened: Project[] = [];
let bench: GuardBench | undefined;
afterEach(async () => {
  for (const p of opened.splice(0)) await p.close();
  await bench?.close();
  bench = undefined;
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
  delete process.env.FEATUREGUARD_ALERT_BACKOFF_MS;
});

interface Receiver { url: string; bodies: Record<string, unknown>[]; headers: Record<string, string | string[] | undefined>[]; up: boolean }

/** A receiver that answers 204 (503 while `up` is false) and keeps the bodies and headers it got. */
async function receiver(): Promise<Receiver> {
  const rx: Receiver = { url: '', bodies: [], headers: [], up: true };
  const { bodies, headers } = rx;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      bodies.push(JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>);
      headers.push(req.headers);
      res.writeHead(rx.up ? 204 : 503).end();
    });
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  rx.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  return rx;
}

const BAD = [{ airport: null, event_timestamp: '2024-01-02T00:00:00Z', delay: 1, carrier: 'AA' }];

async function pushBad(project: Project): Promise<string> {
  const e = (await push(project, { view: 'delays', rows: BAD }).catch((x: unknown) => x)) as { details: { run_id: string } };
  return e.details.run_id;
}

/** Three refused pushes under `min_interval: 1h`: the first delivered, two held back. Then the project reopened with `alert`. */
async function heldBackThenReconfigured(alert: (url: string) => AlertConfig) {
  const rx = await receiver();
  bench = await guardBench({ alerts: [{ name: 'schema', url: rx.url, checks: ['schema'], statuses: ['fail'], min_interval: '1h' }] });
  const runIds = [await pushBad(bench.project), await pushBad(bench.project), await pushBad(bench.project)];
  expect(rx.bodies).toHaveLength(1);
  writeFileSync(join(bench.dir, 'featureguard.yaml'), stringify({ project: 'guards_test', alerts: [alert(rx.url)] }));
  const project = openProject(bench.dir);
  opened.push(project);
  return { rx, runIds, project };
}

const heldCount = (project: Project) => project.state.prepare("SELECT coalesce(sum(suppressed), 0) FROM alert_throttle WHERE alert = 'schema'").pluck().get();

describe('min_interval changed under matches it held back', () => {
  it('removed: the next match is sent and reports the matches held back (suppressed), which are then no longer counted', async () => {
    const { rx, project } = await heldBackThenReconfigured((url) => ({ name: 'schema', url, checks: ['schema'], statuses: ['fail'] }));
    await pushBad(project);
    expect(rx.bodies).toHaveLength(2);
    expect(rx.bodies[1]).toMatchObject({ event: 'featureguard.run', suppressed: 2 });
    expect(heldCount(project)).toBe(0);
    // The match after that has nothing held back to report.
    await pushBad(project);
    expect(rx.bodies[2]).not.toHaveProperty('suppressed');
  });

  it('set to 0: the held-back summary is sent at once (the interval no longer applies), once', async () => {
    const { rx, runIds, project } = await heldBackThenReconfigured((url) => ({ name: 'schema', url, checks: ['schema'], statuses: ['fail'], min_interval: '0' }));
    process.env.FEATUREGUARD_ALERT_BACKOFF_MS = '1';
    const attempts = await sendHeldBackSummaries(project);
    expect(attempts.map((a) => [a.run_id, a.ok])).toEqual([[runIds[2], true]]);
    expect(rx.bodies[1]).toMatchObject({ event: 'featureguard.held_back', alert: 'schema', suppressed: 2, runs: [{ id: runIds[1] }, { id: runIds[2] }] });
    expect(heldCount(project)).toBe(0);
    expect(await sendHeldBackSummaries(project)).toEqual([]);
    expect(listAlertAttempts(project, runIds[2]).filter((a) => a.ok)).toHaveLength(1);
  });

  it('alert renamed: once the old name has been gone a week its held-back matches are counted as given up', async () => {
    const { project } = await heldBackThenReconfigured((url) => ({ name: 'schema_v2', url, checks: ['schema'], statuses: ['fail'], min_interval: '1h' }));
    await sendHeldBackSummaries(project, Date.now() + 8 * 86_400_000);
    expect(givenUpByAlert(project.state)).toEqual([{ alert: 'schema', total: 2 }]);
  });
});

describe('min_interval added under a delivery kept for redelivery', () => {
  it('the kept delivery is counted as held back (reported by the next summary or delivery), not listed as waiting', async () => {
    const rx = await receiver();
    rx.up = false;
    process.env.FEATUREGUARD_ALERT_BACKOFF_MS = '1';
    bench = await guardBench({ alerts: [{ name: 'schema', url: rx.url, checks: ['schema'], statuses: ['fail'] }] });
    const runId = await pushBad(bench.project);
    expect(rx.bodies).toHaveLength(3); // every try failed: kept for redelivery
    expect(listRedeliveries(bench.project, runId)).toHaveLength(1);
    writeFileSync(join(bench.dir, 'featureguard.yaml'), stringify({ project: 'guards_test', alerts: [{ name: 'schema', url: rx.url, checks: ['schema'], statuses: ['fail'], min_interval: '1h' }] }));
    const project = openProject(bench.dir);
    opened.push(project);
    rx.up = true;
    const report = await redeliverAndReport(project, { all: true });
    expect(report).toMatchObject({ delivered: 0, failed: 0, given_up: 0, held_back: 1, waiting: [], waiting_total: 0 });
    expect(heldCount(project)).toBe(1);
    // serve's next sweep sends the summary (nothing delivered since: no interval holds), naming the run.
    const attempts = await sendHeldBackSummaries(project);
    expect(attempts.map((a) => [a.run_id, a.ok])).toEqual([[runId, true]]);
    expect(rx.bodies[3]).toMatchObject({ event: 'featureguard.held_back', suppressed: 1, runs: [{ id: runId }] });
    expect(heldCount(project)).toBe(0);
  });

  it("a services: alert's kept delivery is counted in its service's slot and summarised under the service", async () => {
    const rx = await receiver();
    rx.up = false;
    process.env.FEATUREGUARD_ALERT_BACKOFF_MS = '1';
    const service = { kind: 'feature_service' as const, name: 'delay_model', features: ['delays:delay'] };
    const alert = { name: 'schema', url: rx.url, checks: ['schema'], statuses: ['fail'], services: ['delay_model'] };
    bench = await guardBench({ services: [service], alerts: [alert] });
    const runId = await pushBad(bench.project);
    expect(listRedeliveries(bench.project, runId)).toHaveLength(1);
    writeFileSync(join(bench.dir, 'featureguard.yaml'), stringify({ project: 'guards_test', alerts: [{ ...alert, min_interval: '1h' }] }));
    const project = openProject(bench.dir);
    opened.push(project);
    rx.up = true;
    expect(await redeliverAndReport(project, { all: true })).toMatchObject({ held_back: 1, waiting: [] });
    // Counted where its tries counted: the service's slot (the view's summary would find none of its runs).
    expect(project.state.prepare("SELECT target, suppressed FROM alert_throttle WHERE alert = 'schema'").all()).toEqual([{ target: 'service:delay_model', suppressed: 1 }]);
    const attempts = await sendHeldBackSummaries(project);
    expect(attempts.map((a) => [a.run_id, a.ok])).toEqual([[runId, true]]);
    expect(rx.bodies.at(-1)).toMatchObject({ event: 'featureguard.held_back', target: { service: 'delay_model' }, suppressed: 1, runs: [{ id: runId }] });
    expect(heldCount(project)).toBe(0);
  });
});
