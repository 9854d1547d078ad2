/**
 * The run page's "Redeliver now" button in a real browser (Debian's Chromium via playwright-core), on a server
 * without keys: the page shows the waiting redelivery, the button's form post passes the server's cross-site
 * checks (Chromium sends `Sec-Fetch-Site: same-origin` and its Origin), the receiver gets the delivery, and the
 * page comes back without the button. A page of another origin posting the same form is refused.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve, type ServerType } from '@hono/node-server';
import type { Browser } from 'playwright-core';
import { launchChromium } from './chromium.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NOT_JUDGED, fireAlerts } from '../../src/alerts/dispatch.js';
import { listRedeliveries } from '../../src/alerts/redelivery.js';
import { createApp } from '../../src/server/app.js';
import { guardBench, type GuardBench } from '../guards/helpers.js';


let bench: GuardBench;
let receiver: Server;
let server: ServerType;
let other: ServerType;
let browser: Browser;
let base: string;
let runId: string;
const received: string[] = [];
let up = false;

beforeAll(async () => {
  receiver = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push(Buffer.concat(chunks).toString('utf8'));
      res.writeHead(up ? 204 : 503).end();
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  process.env.FEATUREGUARD_ALERT_BACKOFF_MS = '10';
  bench = await guardBench({ alerts: [{ name: 'failures', url: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`, statuses: ['failed'] }] });
  const run = bench.project.runs.create({ kind: 'push', view: 'delays', options: {} });
  bench.project.runs.update(run.id, { status: 'failed', finished_at: new Date().toISOString() });
  await fireAlerts(bench.project, run.id, NOT_JUDGED);
  runId = run.id;
  const app = createApp(bench.project);
  server = await new Promise<ServerType>((res) => {
    const s = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, () => res(s));
  });
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  // Another origin (another port) serving a copy of the form, as a page of another site would.
  const form = `<form method="post" action="${base}/ui/runs/${runId}/redeliver"><button type="submit">Go</button></form>`;
  other = await new Promise<ServerType>((res) => {
    const s = serve({ fetch: () => new Response(form, { headers: { 'content-type': 'text/html' } }), hostname: '127.0.0.1', port: 0 }, () => res(s));
  });
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  for (const s of [server, other, receiver]) await new Promise<void>((r) => (s ? s.close(() => r()) : r()));
  await bench?.close();
  delete process.env.FEATUREGUARD_ALERT_BACKOFF_MS;
});

describe('Redeliver now, in Chromium', () => {
  it("refuses the form posted from another origin's page", async () => {
    const page = await browser.newPage();
    await page.goto(`http://127.0.0.1:${(other.address() as AddressInfo).port}/`);
    const [response] = await Promise.all([page.waitForResponse((r) => r.url().includes('/redeliver')), page.getByRole('button', { name: 'Go' }).click()]);
    expect(response.status()).toBe(403);
    expect(received).toHaveLength(3); // the three first tries only
    await page.close();
  });

  it('shows the waiting redelivery, and the button sends it and comes back to the run', async () => {
    const page = await browser.newPage();
    const problems: string[] = [];
    page.on('pageerror', (e) => problems.push(e.message));
    await page.goto(`${base}/ui/runs/${runId}`);
    expect(await page.locator('p.redelivery').innerText()).toMatch(/failures: redelivery 1 due/);
    up = true;
    await page.getByRole('button', { name: 'Redeliver now' }).click();
    await page.waitForURL(`${base}/ui/runs/${runId}#alerts`);
    expect(received).toHaveLength(4);
    expect(JSON.parse(received[3])).toMatchObject({ alert: 'failures', run: { id: runId }, redelivery: 1 });
    expect(await page.getByRole('button', { name: 'Redeliver now' }).count()).toBe(0);
    expect(listRedeliveries(bench.project)).toEqual([]);
    expect(problems).toEqual([]);
    await page.close();
  });
});
