/**
 * Every delivery carries a stable id, in its body (`delivery_id`) and in `X-Featureguard-Delivery`, the same on
 * every try and redelivery of it: run deliveries and held-back summaries, against a real receiver on 127.0.0.1.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { NOT_JUDGED, fireAlerts } from '../../src/alerts/dispatch.js';
import { sendHeldBackSummaries } from '../../src/alerts/held-back.js';
import { listRedeliveries, sendDueRedeliveries } from '../../src/alerts/redelivery.js';
import { guardBench, type GuardBench } from './helpers.js';

interface Got { body: Record<string, unknown>; id: string | undefined }

let server: Server | undefined;
let bench: GuardBench | undefined;
afterEach(async () => {
  await bench?.close();
  bench = undefined;
  await new Promise((r) => (server ? server.close(r) : r(undefined)));
  server = undefined;
  delete process.env.FEATUREGUARD_ALERT_BACKOFF_MS;
});

/** A receiver answering 503 while `up` is false, 204 after. */
async function receiver(): Promise<{ url: string; got: Got[]; up: { value: boolean } }> {
  const got: Got[] = [];
  const up = { value: false };
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      got.push({ body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>, id: req.headers['x-featureguard-delivery'] as string | undefined });
      res.writeHead(up.value ? 204 : 503).end();
    });
  });
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, got, up };
}

describe('delivery ids', () => {
  it("a run delivery's tries and redeliveries carry one id, in the body and the X-Featureguard-Delivery header", async () => {
    const rx = await receiver();
    process.env.FEATUREGUARD_ALERT_BACKOFF_MS = '1';
    bench = await guardBench({ alerts: [{ name: 'failures', url: rx.url, statuses: ['failed'] }] });
    const project = bench.project;
    const run = project.runs.create({ kind: 'materialize', view: 'delays' });
    project.runs.update(run.id, { status: 'failed', finished_at: new Date().toISOString() });
    await fireAlerts(project, run.id, NOT_JUDGED);
    expect(rx.got).toHaveLength(3);
    rx.up.value = true;
    expect(await sendDueRedeliveries(project, { now: Date.parse(listRedeliveries(project, run.id)[0].next_at) })).toMatchObject({ delivered: 1 });
    expect(rx.got).toHaveLength(4);
    const id = rx.got[0].body.delivery_id;
    expect(id).toEqual(expect.any(String));
    for (const g of rx.got) expect([g.body.delivery_id, g.id]).toEqual([id, id]);
    // Another run's delivery has another id.
    const other = project.runs.create({ kind: 'materialize', view: 'delays' });
    project.runs.update(other.id, { status: 'failed', finished_at: new Date().toISOString() });
    await fireAlerts(project, other.id, NOT_JUDGED);
    expect(rx.got[4].id).not.toBe(id);
  });

  it("a held-back summary's tries, and the summary of the same runs sent again after they failed, carry one id", async () => {
    const rx = await receiver();
    rx.up.value = true;
    process.env.FEATUREGUARD_ALERT_BACKOFF_MS = '1';
    bench = await guardBench({ alerts: [{ name: 'failures', url: rx.url, statuses: ['failed'], min_interval: '1h' }] });
    const project = bench.project;
    for (let i = 0; i < 3; i++) {
      const run = project.runs.create({ kind: 'materialize', view: 'delays' });
      project.runs.update(run.id, { status: 'failed', finished_at: new Date().toISOString() });
      await fireAlerts(project, run.id, NOT_JUDGED);
    }
    expect(rx.got).toHaveLength(1);
    const back = () => project.state.prepare('UPDATE alert_throttle SET last_sent_at = last_sent_at - 3600000').run();
    back();
    rx.up.value = false;
    expect(await sendHeldBackSummaries(project)).toHaveLength(3);
    back();
    rx.up.value = true;
    expect((await sendHeldBackSummaries(project)).map((a) => a.ok)).toEqual([true]);
    const summaries = rx.got.slice(1);
    expect(summaries).toHaveLength(4);
    const id = summaries[0].body.delivery_id;
    expect(id).toEqual(expect.any(String));
    expect(id).not.toBe(rx.got[0].body.delivery_id);
    for (const g of summaries) expect([g.body.event, g.body.delivery_id, g.id]).toEqual(['featureguard.held_back', id, id]);
  });
});
