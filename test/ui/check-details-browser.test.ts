/**
 * A check's details opened in Chromium: a push refusal's problems with a 3,000-character column name and
 * message, and a hostile one, wrap inside the checks table (the page stays as wide as the window) and run no script.
 */
import type { AddressInfo } from 'node:net';
import { serve, type ServerType } from '@hono/node-server';
import { Hono } from 'hono';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { uiRoutes } from '../../src/server/ui/index.js';
import { launchChromium } from './chromium.js';
import { createUiFixture, type UiFixture } from './fixture.js';

const LONG = 'B'.repeat(3000);
let f: UiFixture;
let server: ServerType;
let browser: Browser;
let page: Page;
let base: string;
let runId: string;

beforeAll(async () => {
  f = await createUiFixture();
  const run = f.project.runs.create({ kind: 'push', view: 'airport_hourly' });
  const problems = [
    { row: 0, path: `/0/${LONG}`, message: 'is not a column of the view' },
    { row: 1, path: '/1/<img src=x onerror=alert(1)>', message: `must be string ${LONG}` },
    ...Array.from({ length: 120 }, (_, i) => ({ row: i + 2, path: `/${i + 2}/origin`, message: 'must be string' })),
  ];
  f.project.runs.addResults([{ run_id: run.id, check: 'schema', feature: null, slice: null, status: 'fail', policy: 'block', method: 'rows', value: problems.length, thresholds: null, metrics: { rows: 122 }, message: 'many problem(s) in pushed rows', details: { problems, [LONG]: LONG } }]);
  f.project.runs.update(run.id, { status: 'blocked', finished_at: new Date().toISOString(), message: 'many problem(s) in pushed rows' });
  runId = run.id;
  const app = new Hono().route('/ui', uiRoutes(f.project));
  server = await new Promise<ServerType>((res) => {
    const s = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, () => res(s));
  });
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  browser = await launchChromium();
  page = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
  page.setDefaultTimeout(5000);
});

afterAll(async () => {
  await browser?.close();
  await new Promise<void>((res) => (server ? server.close(() => res()) : res()));
  await f?.close();
});

describe('a check’s details in Chromium', () => {
  it('opens the problems list: 100 shown, the rest counted, long values wrapped, nothing run', async () => {
    let dialogs = 0;
    page.on('dialog', async (d) => {
      dialogs++;
      await d.dismiss();
    });
    await page.goto(`${base}/ui/runs/${runId}`);
    await page.locator('#checks-table summary', { hasText: '122 problems' }).click();
    await page.locator('#checks-table summary', { hasText: 'details' }).click();
    const items = page.locator('#checks-table ul.problems li');
    expect(await items.count()).toBe(100);
    expect(await items.nth(1).innerText()).toContain('/1/<img src=x onerror=alert(1)>');
    expect(await page.locator('#checks-table').innerText()).toContain('and 22 more');
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(1280);
    const status = await page.locator('#checks-table thead th[data-col="status"]').boundingBox();
    expect(status!.x + status!.width).toBeLessThanOrEqual(1280);
    expect(await page.locator('main img').count()).toBe(0);
    expect(dialogs).toBe(0);
  });
});
