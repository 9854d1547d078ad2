/**
 * The checks table's in-place sort in Chromium agrees with the server's sort at the address it writes (a review
 * finding: clicking "Feature" kept the rows' previous order inside ties, the server the stored check order, so
 * reloading the written `?sort=…&dir=…` showed another order).
 */
import type { AddressInfo } from 'node:net';
import { serve, type ServerType } from '@hono/node-server';
import { Hono } from 'hono';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SORT_COLUMNS } from '../../src/server/ui/run-detail-page.js';
import { uiRoutes } from '../../src/server/ui/index.js';
import { launchChromium } from './chromium.js';
import { createUiFixture, type UiFixture } from './fixture.js';

let f: UiFixture;
let server: ServerType;
let browser: Browser;
let page: Page;
let base: string;

beforeAll(async () => {
  f = await createUiFixture();
  const app = new Hono().route('/ui', uiRoutes(f.project));
  server = await new Promise<ServerType>((res) => {
    const s = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, () => res(s));
  });
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  browser = await launchChromium();
  page = await browser.newPage();
  page.setDefaultTimeout(5000);
});

afterAll(async () => {
  await browser?.close();
  await new Promise<void>((res) => (server ? server.close(() => res()) : res()));
  await f?.close();
});

/** Each row as its check, feature, slice and status: the drifted run's rows differ in those. */
const rowsOf = (p: Page) =>
  p.$$eval('#checks-table tbody tr', (trs) => trs.map((tr) => Array.from((tr as HTMLTableRowElement).cells).slice(0, 4).map((c) => c.getAttribute('data-v')).join('|')));

describe('sorting the checks in place', () => {
  it('orders ties as the server does at the written address, for every column and both directions', async () => {
    // The drifted run: schema pass, then three warnings (drift, drift in a slice, anomaly), all on mean_delay.
    const url = `${base}/ui/runs/${f.drifted.id}`;
    const server = await browser.newPage();
    const differences: string[] = [];
    for (const col of SORT_COLUMNS) {
      await page.goto(url);
      for (const click of [1, 2]) {
        await page.locator(`th[data-col=${col}] a.sort`).click();
        const inPlace = await rowsOf(page);
        const written = new URL(page.url());
        expect(written.searchParams.get('sort')).toBe(col);
        await server.goto(`${base}${written.pathname}${written.search}`);
        const reloaded = await rowsOf(server);
        if (JSON.stringify(inPlace) !== JSON.stringify(reloaded)) differences.push(`${col} click ${click} (${written.search}): ${inPlace.join(', ')} ≠ ${reloaded.join(', ')}`);
      }
    }
    await server.close();
    expect(differences).toEqual([]);
  });
});
