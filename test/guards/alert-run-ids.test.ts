/**
 * Finding 5 of the alerts review: the SDK's `redeliverAlerts({ runId })` takes ids as the CLI does, `runs show`
 * tells a held-back summary's delivery from the run's own, and a delivery whose tries are on the wire is not
 * listed as a redelivery due.
 */
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { NOT_JUDGED, fireAlerts } from '../../src/alerts/dispatch.js';
import { sendHeldBackSummaries } from '../../src/alerts/held-back.js';
import { listRedeliveries } from '../../src/alerts/redelivery.js';
import { push } from '../../src/serving/push.js';
import { openFeatureStore } from '../../src/sdk/feature-store.js';
import { runCli } from '../cli/cli-io.js';
import { guardBench, type GuardBench } from './helpers.js';

const servers: Server[] = [];
let bench: GuardBench | undefined;
afterEach(async () => {
  await bench?.close();
  bench = undefined;
  for (const s of servers.splice(0)) s.closeAllConnections();
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  delete process.env.FEATUREGUARD_ALERT_BACKOFF_MS;
});

/** A receiver answering `status`, or holding the requests (`held`) when status is null. */
async function receiver(status: number | null): Promise<{ url: string; got: () => number; held: ServerResponse[] }> {
  let got = 0;
  const held: ServerResponse[] = [];
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      got++;
      if (status === null) held.push(res);
      else res.writeHead(status).end();
    });
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, got: () => got, held };
}

async function failedRun(project: GuardBench['project']): Promise<string> {
  const run = project.runs.create({ kind: 'push', view: 'delays', options: {} });
  project.runs.update(run.id, { status: 'failed', finished_at: new Date().toISOString() });
  await fireAlerts(project, run.id, NOT_JUDGED);
  return run.id;
}

describe('alerts: run ids and labels', () => {
  it('SDK redeliverAlerts({ runId }) takes an id cut to 8 characters, and refuses an unknown one', async () => {
    process.env.FEATUREGUARD_ALERT_BACKOFF_MS = '1';
    const rx = await receiver(503);
    bench = await guardBench({ alerts: [{ name: 'failures', url: rx.url, statuses: ['failed'] }] });
    const runId = await failedRun(bench.project);
    expect(rx.got()).toBe(3);
    const store = await openFeatureStore(bench.dir);
    try {
      const short = await store.redeliverAlerts({ runId: runId.slice(0, 8), all: true });
      expect(short).toMatchObject({ failed: 1 });
      expect(short.attempts).toHaveLength(1);
      expect(rx.got()).toBe(4);
      await expect(store.redeliverAlerts({ runId: 'no-such-run' })).rejects.toMatchObject({ code: 'not_found' });
      await expect(store.redeliverAlerts({ runId: 'ffffffff' })).rejects.toMatchObject({ code: 'not_found' });
    } finally {
      await store.close();
    }
  });

  it("runs show labels a held-back summary's delivery as the summary, not as the run's own", async () => {
    process.env.FEATUREGUARD_ALERT_BACKOFF_MS = '1';
    const rx = await receiver(204);
    bench = await guardBench({ alerts: [{ name: 'schema', url: rx.url, checks: ['schema'], statuses: ['fail'], min_interval: '1h' }] });
    const project = bench.project;
    const runIds: string[] = [];
    for (let i = 0; i < 3; i++) {
      const e = (await push(project, { view: 'delays', rows: [{ airport: null, event_timestamp: '2024-01-02T00:00:00Z', delay: 1, carrier: 'AA' }] }).catch((x: unknown) => x)) as { details: { run_id: string } };
      runIds.push(e.details.run_id);
    }
    project.state.prepare('UPDATE alert_throttle SET last_sent_at = last_sent_at - 3600000').run();
    expect((await sendHeldBackSummaries(project)).map((a) => a.ok)).toEqual([true]);
    const shown = (await runCli(['--project', bench.dir, 'runs', 'show', runIds[2]])).out;
    const lines = shown.split('\n').filter((l) => /^ {2}schema /.test(l));
    expect(lines).toEqual([
      // Held back by min_interval: said once, the reason after it (not `not sent: held  not sent: …`).
      expect.stringMatching(/^ {2}schema held \(not sent\): within min_interval 1h of the delivery at \S+; counted in the next one$/),
      expect.stringMatching(/^ {2}schema attempt 1: delivered 204 held-back summary \(featureguard\.held_back\) of 2 runs/),
    ]);
    // The run's own delivery (the first of the storm) carries no such label.
    expect((await runCli(['--project', bench.dir, 'runs', 'show', runIds[0]])).out).toMatch(/ {2}schema attempt 1: delivered 204$/m);
  });

  it('a delivery whose first tries are on the wire is listed in flight, not as a redelivery due', async () => {
    const rx = await receiver(null);
    bench = await guardBench({ alerts: [{ name: 'failures', url: rx.url, statuses: ['failed'] }] });
    const run = bench.project.runs.create({ kind: 'push', view: 'delays', options: {} });
    bench.project.runs.update(run.id, { status: 'failed', finished_at: new Date().toISOString() });
    const firing = fireAlerts(bench.project, run.id, NOT_JUDGED);
    for (let i = 0; i < 100 && rx.got() === 0; i++) await new Promise((r) => setTimeout(r, 10));
    expect(listRedeliveries(bench.project, run.id)).toEqual([expect.objectContaining({ alert: 'failures', in_flight: true })]);
    const shown = (await runCli(['--project', bench.dir, 'runs', 'show', run.id])).out;
    expect(shown).toMatch(/ {2}failures delivery in flight/);
    expect(shown).not.toMatch(/redelivery 1: due/);
    rx.held.forEach((r) => r.writeHead(204).end());
    await firing;
    expect(listRedeliveries(bench.project, run.id)).toEqual([]);
  });
});
