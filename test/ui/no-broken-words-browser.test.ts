/**
 * Table cells keep their numbers and words whole, in Chromium (a review finding on the flights example: at every
 * window width from 1280 to 1920 px the runs table broke "34,888" into "34,88/8" and "materialize" into
 * "material/ize", and the run page split "null_timestamp" and "0.00951", because the whole page wrapped anywhere).
 * Numbers, kinds, verdicts, methods and values stay on one line; only message, reason and URI cells (text from the
 * data, any length) may break inside a word. Real runs of the flights example.
 */
import type { AddressInfo } from 'node:net';
import { serve, type ServerType } from '@hono/node-server';
import { Hono } from 'hono';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { uiRoutes } from '../../src/server/ui/index.js';
import { launchChromium } from './chromium.js';
import { createFlightsUiFixture, type FlightsUiFixture } from './flights-fixture.js';

let f: FlightsUiFixture;
let server: ServerType;
let browser: Browser;
let base: string;

beforeAll(async () => {
  f = await createFlightsUiFixture();
  const app = new Hono().route('/ui', uiRoutes(f.project));
  server = await new Promise<ServerType>((res) => {
    const s = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, () => res(s));
  });
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  browser = await launchChromium();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await new Promise<void>((res) => (server ? server.close(() => res()) : res()));
  await f?.close();
});

/** Columns whose text comes from the data at any length: they may break inside a word. */
const FREE_TEXT = ['Why', 'Message', 'URI', 'Fingerprint'];
/** Columns that must be one line each. */
const ONE_LINE = ['Started (UTC)', 'Kind', 'Verdict', 'Fail', 'Warn', 'Rows', 'Status', 'Method', 'Value', 'Attempt', 'Duration', 'Version'];

interface Finding {
  table: string;
  column: string;
  text: string;
  problem: string;
}

/**
 * For each table cell: the words (runs of non-space characters) whose characters lie on more than one line, and
 * whether a one-line column's text takes more than one line (its text's line boxes, not the cell's height, which
 * the row's tallest cell sets). Also the facts list's values.
 */
function findings(p: Page): Promise<Finding[]> {
  return p.evaluate(
    ({ free, oneLine }) => {
      const out: { table: string; column: string; text: string; problem: string }[] = [];
      const lineTops = (range: Range) => new Set(Array.from(range.getClientRects()).filter((r) => r.width > 0).map((r) => Math.round(r.top)));
      const brokenWords = (el: Element): string[] => {
        const broken: string[] = [];
        const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
        for (let n = walker.nextNode(); n; n = walker.nextNode()) {
          const t = n.textContent ?? '';
          for (const m of t.matchAll(/\S+/g)) {
            const r = document.createRange();
            r.setStart(n, m.index!);
            r.setEnd(n, m.index! + m[0].length);
            if (lineTops(r).size > 1) broken.push(m[0]);
          }
        }
        return broken;
      };
      for (const table of Array.from(document.querySelectorAll('main table'))) {
        const heads = Array.from(table.querySelectorAll('thead th')).map((th) => (th.textContent ?? '').replace(/[▲▼]/g, '').trim());
        for (const tr of Array.from(table.querySelectorAll('tbody tr'))) {
          Array.from((tr as HTMLTableRowElement).cells).forEach((cell, i) => {
            const column = heads[i] ?? '';
            if (cell.hasAttribute('colspan')) return;
            const text = (cell as HTMLElement).innerText.trim();
            if (!free.includes(column)) for (const w of brokenWords(cell)) out.push({ table: table.className, column, text, problem: `word broken: ${w}` });
            if (oneLine.includes(column) && !cell.querySelector('details')) {
              const r = document.createRange();
              r.selectNodeContents(cell);
              const tops = lineTops(r);
              // Inline boxes on one line may differ by a pixel or two in top (a badge's padding): lines are a line-height apart.
              const sorted = [...tops].sort((a, b) => a - b);
              if (sorted.length > 1 && sorted[sorted.length - 1] - sorted[0] > 8) out.push({ table: table.className, column, text, problem: 'more than one line' });
            }
          });
        }
      }
      for (const dd of Array.from(document.querySelectorAll('main dl.facts dd'))) {
        for (const w of brokenWords(dd)) out.push({ table: 'facts', column: dd.previousElementSibling?.textContent ?? '', text: (dd as HTMLElement).innerText, problem: `word broken: ${w}` });
      }
      return out;
    },
    { free: FREE_TEXT, oneLine: ONE_LINE },
  );
}

describe('table cells in Chromium', () => {
  it('keep numbers, kinds and verdicts whole on the runs page at 1280, 1600 and 1920 px', async () => {
    for (const width of [1280, 1600, 1920]) {
      const page = await browser.newPage({ viewport: { width, height: 900 } });
      await page.goto(`${base}/ui/runs`);
      expect(await page.locator('table.runs tbody tr').count()).toBe(3);
      expect(await findings(page), `${width} px`).toEqual([]);
      await page.close();
    }
  });

  it("keep a run's check names, methods, values and facts whole on its page at 1280 px", async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    for (const run of [f.drifted, f.blocked, f.reference]) {
      await page.goto(`${base}/ui/runs/${run.id}`);
      expect(await page.locator('#checks-table tbody tr').count()).toBeGreaterThan(5);
      expect(await findings(page), run.status).toEqual([]);
    }
    await page.close();
  });
});
