/**
 * The pages in a real browser: Debian's Chromium driven by playwright-core.
 * Opens the runs page of the flights example after real materializations (see
 * flights-fixture.ts: a clean January, a drifted June, a blocked May), logs in
 * with a read key, filters to blocked runs, opens one and reads the reason,
 * sorts its checks with the inline script, opens the drift view and finds the
 * SVG histogram with both series, and checks the registry lists the view with
 * a version diff. Screenshots go to test/artifacts/ui/ (gitignored); with
 * UPDATE_DOCS_SCREENSHOTS=1 the two README images in docs/images/ are rewritten.
 */
import { mkdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { AddressInfo } from 'node:net';
import { serve, type ServerType } from '@hono/node-server';
import type { Browser, Page } from 'playwright-core';
import { launchChromium } from './chromium.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keyStoreFor } from '../../src/auth/keys.js';
import { createApp } from '../../src/server/app.js';
import { createFlightsUiFixture, type FlightsUiFixture } from './flights-fixture.js';

const ARTIFACTS = resolve('test/artifacts/ui');
const DOCS_IMAGES = resolve('docs/images');

let fixture: FlightsUiFixture;
let server: ServerType;
let browser: Browser;
let page: Page;
let base: string;
let readKey: string;
const problems: string[] = [];

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  fixture = await createFlightsUiFixture();
  readKey = keyStoreFor(fixture.project.state).create('read', 'ui-test').key;
  const app = createApp(fixture.project); // the real server, which mounts the pages at /ui
  server = await new Promise<ServerType>((res) => {
    const s = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, () => res(s));
  });
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  browser = await launchChromium();
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  page = await context.newPage();
  page.setDefaultTimeout(5000);
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  page.on('request', (r) => {
    if (!r.url().startsWith(base)) problems.push(`external request: ${r.url()}`);
  });
});

afterAll(async () => {
  await browser?.close();
  await new Promise<void>((res) => (server ? server.close(() => res()) : res()));
  await fixture?.close();
});

async function shot(name: string): Promise<void> {
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
}

/** The README images: one viewport-sized, small PNG per page. */
async function docsShot(name: string, selector: string): Promise<void> {
  if (process.env.UPDATE_DOCS_SCREENSHOTS !== '1') return;
  mkdirSync(DOCS_IMAGES, { recursive: true });
  const file = join(DOCS_IMAGES, `${name}.png`);
  await page.setViewportSize({ width: 1200, height: 780 });
  await page.locator(selector).first().scrollIntoViewIfNeeded();
  await page.screenshot({ path: file, fullPage: false });
  await page.setViewportSize({ width: 1280, height: 900 });
  expect(statSync(file).size).toBeLessThan(150 * 1024);
}

describe('quality review pages in Chromium', () => {
  it('asks for a key, then lists the runs', async () => {
    await page.goto(`${base}/ui/runs`);
    expect(new URL(page.url()).pathname).toBe('/ui/login');
    await shot('login');
    await page.getByLabel('API key').fill('fg_wrongwrong_' + 'x'.repeat(43));
    await page.getByRole('button', { name: 'Log in' }).click();
    expect(await page.getByRole('alert').innerText()).toContain('not valid');
    await page.getByLabel('API key').fill(readKey);
    await page.getByRole('button', { name: 'Log in' }).click();
    expect(new URL(page.url()).pathname).toBe('/ui/runs');
    problems.length = 0; // the rejected key's 401 is expected
    const cookies = await page.context().cookies();
    const c = cookies.find((x) => x.name === 'featureguard_key');
    expect(c?.httpOnly).toBe(true);
    expect(c?.sameSite).toBe('Strict');
    expect(await page.locator('table.runs tbody tr').count()).toBe(3);
    await shot('runs');
  });

  it('filters to blocked runs, opens one and shows why it was blocked', async () => {
    await page.getByLabel('Verdict').selectOption('blocked');
    await page.getByRole('button', { name: 'Apply filters' }).click();
    expect(new URL(page.url()).searchParams.get('status')).toBe('blocked');
    const rows = page.locator('table.runs tbody tr');
    expect(await rows.count()).toBe(1);
    expect(await rows.first().locator('.badge').innerText()).toMatch(/blocked/);
    await shot('runs-blocked');
    await rows.first().locator('a').first().click();
    expect(new URL(page.url()).pathname).toBe(`/ui/runs/${fixture.blocked.id}`);
    expect(await page.locator('#reason').innerText()).toMatch(/^Blocked: schema\.range: share_delayed outside \[0, 1\] in \d+ of \d+ rows \(min [0-9.e-]+, max [0-9.e-]+\)/);
    // Worst status first by default; the inline script sorts by check name in place (no reload).
    const col = (attr: string) => page.locator('#checks-table tbody tr').evaluateAll((rows, a) => rows.map((r) => r.getAttribute(a) ?? ''), attr);
    expect((await col('data-status'))[0]).toBe('fail');
    await page.locator('#checks-table th[data-col="check"] a').click();
    const checks = await col('data-check');
    expect(checks).toEqual([...checks].sort());
    expect(checks[0]).not.toBe(checks[checks.length - 1]);
    expect(page.url()).toContain('sort=check');
    // Sorted by value in place, then by the server from the link the script wrote: the same order (missing values first).
    await page.locator('#checks-table th[data-col="value"] a').click();
    const values = () => page.locator('#checks-table tbody tr td.num').evaluateAll((cells) => cells.map((c) => c.getAttribute('data-v')));
    const inPlace = await values();
    expect(inPlace).toContain('-Infinity');
    await page.goto(page.url());
    expect(await values()).toEqual(inPlace);
    await shot('run-blocked');
  });

  it('opens the drifted run and its drift view with both histograms', async () => {
    await page.goto(`${base}/ui/runs/${fixture.drifted.id}`);
    const reference = `the previous materialization (run ${fixture.reference.id.slice(0, 8)}, 2001-01-01 to 2001-02-01`;
    expect(await page.locator('#reason').innerText()).toMatch(/^Done with warnings: drift on (mean|p90)_delay: \w+ drifted from /);
    expect(await page.locator('#reason').innerText()).toContain(`drifted from ${reference}; `);
    await shot('run-drifted');
    await docsShot('run-detail', 'h1');
    await page.locator('ul.drift-links a', { hasText: 'mean_delay' }).click();
    expect(new URL(page.url()).pathname).toBe(`/ui/runs/${fixture.drifted.id}/drift/mean_delay`);
    // The page says what the run was compared with, as the check named it, linking to that run.
    const compared = page.locator('p.muted', { hasText: 'compared with' });
    expect(await compared.innerText()).toContain(`compared with ${reference})`);
    expect(await compared.locator('a').getAttribute('href')).toMatch(new RegExp(`/runs/${fixture.reference.id}$`));
    const svg = page.locator('#overall svg.histogram');
    expect(await svg.isVisible()).toBe(true);
    for (const series of ['reference', 'current']) {
      const bars = svg.locator(`g.series[data-series="${series}"] rect.bar`);
      expect(await bars.count()).toBeGreaterThan(5);
    }
    expect(await svg.locator('.legend').textContent()).toContain('reference');
    expect(await svg.locator('.legend').textContent()).toContain('current');
    expect(Number(await page.locator('#overall tr[data-metric="psi"] td').innerText())).toBeGreaterThan(0.25);
    await shot('drift');
    await docsShot('drift', 'h1');
  });

  it('draws the feature history with thresholds', async () => {
    await page.locator('a', { hasText: 'history of mean_delay' }).click();
    expect(new URL(page.url()).pathname).toBe('/ui/features/airport_hourly/mean_delay');
    expect(await page.locator('svg.line-chart').first().isVisible()).toBe(true);
    expect(await page.locator('svg.line-chart g[data-threshold="warn"]').count()).toBeGreaterThan(0);
    await shot('history');
  });

  it('lists the views on the registry page with a version diff', async () => {
    await page.getByRole('link', { name: 'Registry', exact: true }).click();
    expect(await page.locator('section.view[data-view="airport_hourly"] h3').innerText()).toContain('airport_hourly');
    const diff = page.locator('section.view[data-view="airport_hourly"] table.diff');
    expect(await diff.first().isVisible()).toBe(true);
    const ttl = diff.locator('tr', { hasText: '/ttl' });
    expect(await ttl.innerText()).toContain('6h');
    expect(await ttl.innerText()).toContain('12h');
    // allowed_lateness beside the ttl, for the view that sets it (airport_hourly: 1h) and not for one without it.
    const summary = (view: string) => page.locator(`section.view[data-view="${view}"] > p.muted`).first().innerText();
    expect(await summary('airport_hourly')).toMatch(/ttl 12h · allowed lateness 1h · online yes/);
    expect(await summary('route_daily')).toMatch(/ttl 2d · online yes/);
    expect(await summary('route_daily')).not.toContain('lateness');
    await shot('registry');
  });

  it('ran without script errors, CSP violations or external requests', () => {
    expect(problems).toEqual([]);
  });
});
