/**
 * A `services:` alert with `min_interval` over two services consuming one view: a run of the view counts in the
 * first service's slot only, so each held-back match is summarised once, by the slot that counted it (a regression
 * review finding: summaries told a run's slot from its view, so the second service's summary took the first's
 * delivery for its own, found nothing since and was put back on every sweep, its count never reported; in the other
 * order a run was reported twice). The slot is now recorded with each attempt.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, expect, it } from 'vitest';
import { NOT_JUDGED, fireAlerts } from '../../src/alerts/dispatch.js';
import { sendHeldBackSummaries } from '../../src/alerts/held-back.js';
import { guardBench, type GuardBench } from './helpers.js';

let server: Server | undefined;
let bench: GuardBench | undefined;
afterEach(async () => {
  await bench?.close();
  await new Promise((r) => (server ? server.close(r) : r(undefined)));
});

it('summarises every held-back match once, under the service whose slot counted it', async () => {
  const bodies: { event: string; target?: { service?: string }; suppressed?: number; runs?: { id: string }[]; run?: { id: string } }[] = [];
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      bodies.push(JSON.parse(Buffer.concat(chunks).toString('utf8')));
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  bench = await guardBench({
    services: [
      { kind: 'feature_service', name: 'carrier_model', features: ['delays:carrier'] },
      { kind: 'feature_service', name: 'delay_model', features: ['delays:delay'] },
    ],
    alerts: [{ name: 'retrain', url, statuses: ['failed'], services: ['carrier_model', 'delay_model'], min_interval: '1h' }],
  });
  const project = bench.project;
  const failed = async (run: { kind: 'dataset' | 'materialize'; view?: string; service?: string }) => {
    const r = project.runs.create(run);
    project.runs.update(r.id, { status: 'failed', finished_at: new Date().toISOString() });
    await fireAlerts(project, r.id, NOT_JUDGED);
    return r.id;
  };
  await failed({ kind: 'materialize', view: 'delays' }); // sent, in carrier_model's slot (the first listed)
  await failed({ kind: 'dataset', service: 'delay_model' }); // sent, in delay_model's slot
  const v2 = await failed({ kind: 'materialize', view: 'delays' }); // held back in carrier_model's slot
  const b2 = await failed({ kind: 'dataset', service: 'delay_model' }); // held back in delay_model's slot
  expect(bodies.filter((b) => b.event === 'featureguard.run')).toHaveLength(2);
  // The interval ends.
  project.state.prepare('UPDATE alert_throttle SET last_sent_at = last_sent_at - 3600000').run();
  await sendHeldBackSummaries(project);
  const summaries = bodies.filter((b) => b.event === 'featureguard.held_back').map((b) => [b.target?.service, b.suppressed, b.runs?.map((r) => r.id)]);
  expect(summaries.sort()).toEqual([['carrier_model', 1, [v2]], ['delay_model', 1, [b2]]]);
  expect(project.state.prepare('SELECT target, suppressed FROM alert_throttle ORDER BY target').all()).toEqual([
    { target: 'service:carrier_model', suppressed: 0 },
    { target: 'service:delay_model', suppressed: 0 },
  ]);
}, 60_000);
