/**
 * A `services:` alert with `min_interval` throttles per service (the retraining trigger of one model), whichever run
 * of the service or of a view it consumes matched, and its bodies name the services that matched.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { NOT_JUDGED, fireAlerts, listAlertAttempts } from '../../src/alerts/dispatch.js';
import { sendHeldBackSummaries } from '../../src/alerts/held-back.js';
import { guardBench, type GuardBench } from './helpers.js';

let server: Server | undefined;
let bench: GuardBench | undefined;
afterEach(async () => {
  await bench?.close();
  bench = undefined;
  await new Promise((r) => (server ? server.close(r) : r(undefined)));
  server = undefined;
});

async function receiver(): Promise<{ url: string; bodies: Record<string, unknown>[] }> {
  const bodies: Record<string, unknown>[] = [];
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      bodies.push(JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>);
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, bodies };
}

describe('a services: alert with min_interval', () => {
  it('throttles per service: a failed build of the service, then a failed run of a view it consumes, is one delivery naming the service', async () => {
    const rx = await receiver();
    bench = await guardBench({
      services: [{ kind: 'feature_service', name: 'delay_model', features: ['delays:delay'] }],
      alerts: [{ name: 'retrain', url: rx.url, statuses: ['failed'], services: ['delay_model'], min_interval: '1h' }],
    });
    const project = bench.project;
    const failed = (run: { kind: 'dataset' | 'materialize'; view?: string; service?: string }) => {
      const r = project.runs.create(run);
      project.runs.update(r.id, { status: 'failed', finished_at: new Date().toISOString() });
      return r.id;
    };
    const build = failed({ kind: 'dataset', service: 'delay_model' });
    await fireAlerts(project, build, NOT_JUDGED);
    const materialization = failed({ kind: 'materialize', view: 'delays' });
    await fireAlerts(project, materialization, NOT_JUDGED);
    expect(rx.bodies).toHaveLength(1);
    expect(rx.bodies[0]).toMatchObject({ event: 'featureguard.run', services: ['delay_model'], run: { id: build }, suppressed: 0 });
    expect(listAlertAttempts(project, materialization)).toMatchObject([{ attempt: 0, error: expect.stringMatching(/within min_interval 1h/) }]);
    // Once the interval has ended, the summary for the service lists the view's run it held back.
    project.state.prepare('UPDATE alert_throttle SET last_sent_at = last_sent_at - 3600000').run();
    expect((await sendHeldBackSummaries(project)).map((a) => [a.run_id, a.ok])).toEqual([[materialization, true]]);
    expect(rx.bodies[1]).toMatchObject({ event: 'featureguard.held_back', target: { service: 'delay_model' }, suppressed: 1, runs: [{ id: materialization }] });
  });

  it('names every service of its filter a view run matched through', async () => {
    const rx = await receiver();
    bench = await guardBench({
      services: [
        { kind: 'feature_service', name: 'delay_model', features: ['delays:delay'] },
        { kind: 'feature_service', name: 'carrier_model', features: ['delays:carrier'] },
        { kind: 'feature_service', name: 'other_model', features: ['delays:delay'] },
      ],
      alerts: [{ name: 'retrain', url: rx.url, statuses: ['failed'], services: ['carrier_model', 'delay_model'], min_interval: '1h' }],
    });
    const r = bench.project.runs.create({ kind: 'materialize', view: 'delays' });
    bench.project.runs.update(r.id, { status: 'failed', finished_at: new Date().toISOString() });
    await fireAlerts(bench.project, r.id, NOT_JUDGED);
    expect(rx.bodies).toMatchObject([{ services: ['carrier_model', 'delay_model'], run: { id: r.id, view: 'delays', service: null } }]);
  });
});
