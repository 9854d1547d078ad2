/**
 * Values from the data on the pages, in Chromium: a 3,000-character category
 * (in a slice and a check message) wraps instead of pushing the verdict columns
 * off screen, a right-to-left override (U+202E) in a value is shown as
 * `[U+202E]` instead of reversing the rest of the message, and long category
 * names on a drift chart's axis are cut to fit instead of running into each
 * other. Also over HTTP: an attempt's HTTP status is shown once, and a later
 * skipped drift result does not hide the history's decision-metric chart.
 */
import type { AddressInfo } from 'node:net';
import { serve, type ServerType } from '@hono/node-server';
import { Hono } from 'hono';
import type { Browser, Page } from 'playwright-core';
import { launchChromium } from './chromium.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordAttempt } from '../../src/alerts/attempts.js';
import { fitLabel } from '../../src/charts/histogram.js';
import type { CheckResult, Run } from '../../src/runs/types.js';
import { uiRoutes } from '../../src/server/ui/index.js';
import { createUiFixture, setStartedAt, type UiFixture } from './fixture.js';
import fc from 'fast-check';

const RLO = '\u202e';
const LONG = 'A'.repeat(3000);
/** Ten categories as long as real ones get (route names, user agents). */
const CATEGORIES = Array.from({ length: 10 }, (_, i) => `${String.fromCharCode(65 + i)}-category-with-a-long-name-${i}`);

let f: UiFixture;
let app: Hono;
let hostile: Run;
let server: ServerType;
let browser: Browser;
let page: Page;
let base: string;

/** A warned run of the fixture's view whose checks carry values from the data. */
function hostileRun(fx: UiFixture): Run {
  const run = fx.project.runs.create({ kind: 'materialize', view: 'airport_hourly', window_start: '2001-07-01T00:00:00.000Z', window_end: '2001-08-01T00:00:00.000Z' });
  const drift = (slice: string | null, message: string, details: Record<string, unknown> | null): CheckResult => ({
    run_id: run.id, check: 'drift', feature: 'origin_name', slice, status: 'warn', policy: 'warn', method: 'jensenshannon', value: 0.4,
    thresholds: { warn: 0.1 }, metrics: { psi: 0.5, js_distance: 0.4 }, message, details,
  });
  const results: CheckResult[] = [
    drift(null, 'origin_name drifted from the previous run (jensenshannon 0.4 >= 0.1)', {
      categories: { values: CATEGORIES, reference: CATEGORIES.map((_, i) => 100 + i), current: CATEGORIES.map((_, i) => 200 - 10 * i) },
    }),
    drift(`category=${LONG}`, `origin_name drifted in slice category=${LONG} (jensenshannon 0.4 >= 0.1)`, null),
    drift(`category=${RLO}gnp.exe`, `origin_name [category=${RLO}gnp.exe] drifted from the previous run (p 7.72e-54 < 0.05)`, null),
  ];
  fx.project.runs.addResults(results);
  fx.project.runs.update(run.id, { status: 'warned', counts: { pass: 0, warn: 3, fail: 0, error: 0, skipped: 0 }, message: results[2].message, rows_in: 10, rows_out: 10, finished_at: new Date().toISOString() });
  // A receiver that answered 500: the stored error is the status itself.
  recordAttempt(fx.project.state, { run_id: run.id, alert: 'retrain_hook', url: 'https://hooks.example/retrain', attempt: 1, status_code: 500, ok: false, error: 'HTTP 500', at: '2026-11-23T06:05:01.200Z', duration_ms: 12 });
  setStartedAt(fx.project, run.id, '2026-11-23T06:05:00.000Z');
  return fx.project.runs.get(run.id);
}

beforeAll(async () => {
  f = await createUiFixture();
  hostile = hostileRun(f);
  app = new Hono().route('/ui', uiRoutes(f.project));
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

describe('values from the data in Chromium', () => {
  it('wraps a 3,000-character value: the page stays as wide as the window, the status column on screen', async () => {
    for (const path of [`/ui/runs/${hostile.id}`, `/ui/runs/${hostile.id}/drift/origin_name`]) {
      await page.goto(`${base}${path}`);
      const width = await page.evaluate(() => document.documentElement.scrollWidth);
      expect(width, path).toBeLessThanOrEqual(1280);
    }
    await page.goto(`${base}/ui/runs/${hostile.id}`);
    const status = await page.locator('#checks-table thead th[data-col="status"]').boundingBox();
    expect(status!.x + status!.width).toBeLessThanOrEqual(1280);
  });

  it('shows a right-to-left override as [U+202E] instead of reversing the message', async () => {
    await page.goto(`${base}/ui/runs/${hostile.id}`);
    const text = await page.locator('main').innerText();
    expect(text).not.toContain(RLO);
    expect(text).toContain('origin_name [category=[U+202E]gnp.exe] drifted from the previous run (p 7.72e-54 < 0.05)');
    await page.goto(`${base}/ui/runs/${hostile.id}/drift/origin_name`);
    expect(await page.locator('main').innerText()).toContain('Slice category=[U+202E]gnp.exe');
    expect(await page.title()).not.toContain(RLO);
  });

  it('cuts long category names on the chart axis so that no two overlap', async () => {
    await page.goto(`${base}/ui/runs/${hostile.id}/drift/origin_name`);
    const boxes = await page.locator('#overall svg .x-axis text:not(.axis-label)').evaluateAll((els) =>
      els.map((e) => {
        const r = e.getBoundingClientRect();
        return { left: r.left, right: r.right, text: e.textContent ?? '' };
      }),
    );
    expect(boxes.length).toBeGreaterThanOrEqual(5);
    expect(boxes.some((b) => b.text.endsWith('…'))).toBe(true);
    for (let i = 1; i < boxes.length; i++) expect(boxes[i].left, `${boxes[i - 1].text} | ${boxes[i].text}`).toBeGreaterThan(boxes[i - 1].right);
  });
});

describe('over HTTP', () => {
  it('shows an attempt that got HTTP 500 as "HTTP 500" once', async () => {
    const html = await (await app.request(`/ui/runs/${hostile.id}`)).text();
    const table = html.slice(html.indexOf('<table class="alerts">'));
    expect(table).toContain('HTTP 500');
    expect(table).not.toContain('HTTP 500 HTTP 500');
    // A stored error that says more than the status keeps both.
    const blocked = await (await app.request(`/ui/runs/${f.blocked.id}`)).text();
    expect(blocked).toContain('HTTP 503 Service Unavailable');
  });

  it('keeps the decision-metric chart when the newest run skipped the drift check', async () => {
    const x = await createUiFixture();
    try {
      // The fixture's newest drift result decided by wasserstein; a later run with too few rows skipped it.
      const later = x.project.runs.create({ kind: 'push', view: 'airport_hourly' });
      x.project.runs.addResults([{ run_id: later.id, check: 'drift', feature: 'mean_delay', slice: null, status: 'skipped', policy: 'warn', method: null, value: null, thresholds: null, metrics: null, message: 'too few rows (2) to compare', details: null }]);
      x.project.runs.update(later.id, { status: 'success', finished_at: new Date().toISOString() });
      setStartedAt(x.project, later.id, '2026-11-24T06:05:00.000Z');
      const html = await (await new Hono().route('/ui', uiRoutes(x.project)).request('/ui/features/airport_hourly/mean_delay')).text();
      expect(html).toContain('Decision metric: wasserstein');
    } finally {
      await x.close();
    }
  });
});

describe('fitLabel', () => {
  it('keeps labels that fit and cuts the others to a prefix with … that fits', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 40 }), fc.integer({ min: 0, max: 300 }), (label, px) => {
        const out = fitLabel(label, px);
        const width = (s: string) => [...s].reduce((a, c) => a + ((c.codePointAt(0) ?? 0) >= 0x2e80 ? 13 : 8.5), 0);
        if (width(label) <= px) return out === label;
        expect(out.endsWith('…')).toBe(true);
        expect(label.startsWith(out.slice(0, -1))).toBe(true);
        expect(out === '…' || width(out) <= px).toBe(true);
        // The longest such prefix: one more character would not fit.
        const kept = [...out.slice(0, -1)].length;
        const next = [...label].slice(0, kept + 1).join('');
        expect(width(`${next}…`)).toBeGreaterThan(px);
        return true;
      }),
    );
  });
});
