/**
 * Slips in the pages' words (review findings): the registry said "1 feature services", an empty runs page said
 * "0–0 of 0". Over HTTP on the UI fixture (one view, one service, three runs).
 */
import { Hono } from 'hono';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { uiRoutes } from '../../src/server/ui/index.js';
import { createUiFixture, type UiFixture } from './fixture.js';

let f: UiFixture;
let app: Hono;
beforeAll(async () => {
  f = await createUiFixture();
  app = new Hono().route('/ui', uiRoutes(f.project));
});
afterAll(async () => f?.close());

const text = (html: string) => html.replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ');

it('counts one of a kind in the singular on the registry page', async () => {
  const html = text(await (await app.request('/ui/registry')).text());
  expect(html).toContain('What is applied now: 1 entity, 1 source, 1 feature view, 1 feature service.');
});

it('says no runs match on an empty page instead of "0–0 of 0"', async () => {
  const html = await (await app.request('/ui/runs?kind=dataset')).text();
  const pagers = [...html.matchAll(/<nav class="pager"[^>]*>([\s\S]*?)<\/nav>/g)].map((m) => text(m[1]).trim());
  expect(pagers).toHaveLength(2);
  for (const p of pagers) {
    expect(p).not.toContain('0–0 of 0');
    expect(p).toContain('no runs match');
  }
  // A page with runs keeps its range.
  expect(text(await (await app.request('/ui/runs')).text())).toContain('1–3 of 3');
});
