/**
 * The runs page's time filter in Chromium, given a time as the pages print it (a review finding: `?since=…Z`, an
 * offset or a fraction of a second were dropped without a word and every run was listed): the field shows the
 * instant in UTC, with its seconds and fraction, and "Apply filters" sends it again; a value that names no instant
 * shows a notice.
 */
import type { AddressInfo } from 'node:net';
import { serve, type ServerType } from '@hono/node-server';
import { Hono } from 'hono';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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

describe('the runs page time filter', () => {
  it('takes a pasted UTC time with a fraction, shows it in the field and applies it again', async () => {
    // The fixture's runs started at 06:05:00 on 2026-11-20, -21 and -22: half a second later leaves the last one.
    await page.goto(`${base}/ui/runs?since=2026-11-21T07:05:00.5%2B01:00`);
    const rows = page.locator('table.runs tbody tr');
    expect(await rows.count()).toBe(1);
    expect(await page.getByLabel('Started from (UTC)').inputValue()).toBe('2026-11-21T06:05:00.5'); // Chromium's shortest form of .500
    expect(await page.getByRole('link', { name: 'Clear' }).count()).toBe(1);
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await page.waitForURL((u) => u.searchParams.get('since') === '2026-11-21T06:05:00.5');
    expect(await rows.count()).toBe(1);
    expect(await rows.first().getAttribute('data-run-id')).toBe(f.blocked.id);
  });

  it('says when a time names no instant, and lists every run', async () => {
    await page.goto(`${base}/ui/runs?until=2026-11-31T00:00Z`);
    expect(await page.getByRole('alert').innerText()).toMatch(/^invalid 'Started before' '2026-11-31T00:00Z': November 2026 has 30 days/);
    expect(await page.locator('table.runs tbody tr').count()).toBe(3);
  });
});
