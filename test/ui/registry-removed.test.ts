/**
 * `/ui/registry` after `apply` removed objects: they keep their version history, marked removed, under the same
 * anchors, so the "Definition versions" links of their old runs still land on them.
 */
import { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { uiRoutes } from '../../src/server/ui/index.js';
import { airport, createUiFixture, source, type UiFixture } from './fixture.js';

let f: UiFixture;
let app: Hono;

beforeAll(async () => {
  f = await createUiFixture();
  // The view (two versions) and the service that reads it are removed; entity and source stay.
  f.project.registry.apply([airport, source], { allowBreaking: true });
  app = new Hono().route('/ui', uiRoutes(f.project));
});
afterAll(async () => f?.close());

const text = (html: string) => html.replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ');

describe('registry page with removed objects', () => {
  it('lists a removed view and service with their versions, marked removed', async () => {
    // A review finding: a removed view vanished from the page with its whole history (`describe --versions` shows it).
    const res = await app.request('/ui/registry');
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain('<h2 id="removed">Removed</h2>');
    const removed = html.slice(html.indexOf('<h2 id="removed">'), html.indexOf('<h2 id="baselines">'));
    expect(removed).toContain('id="obj-feature_view-airport_hourly"');
    expect(removed).toContain('id="obj-feature_service-delay_model"');
    const view = text(removed.slice(removed.indexOf('id="obj-feature_view-airport_hourly"')));
    expect(view).toMatch(/airport_hourly \(feature view\) removed in v3/);
    expect(view).toMatch(/3 versions \(removed in v3\)/);
    expect(view).toMatch(/v3 applied .* \(removed\)/);
    expect(view).toMatch(/\/ttl − 6h \+ 12h/);
    // The current sections no longer hold them, and the counts say what is applied now.
    expect(html.slice(0, html.indexOf('<h2 id="removed">'))).not.toContain('id="obj-feature_view-airport_hourly"');
    expect(text(html)).toContain('0 feature views, 0 feature services');
  });

  it("resolves the registry links of a removed view's old runs", async () => {
    const registry = await (await app.request('/ui/registry')).text();
    const run = await (await app.request(`/ui/runs/${f.drifted.id}`)).text();
    const anchors = [...run.matchAll(/href="\/ui\/registry#([^"]+)"/g)].map((m) => m[1]);
    expect(anchors).toContain('obj-feature_view-airport_hourly');
    for (const a of anchors) expect(registry, a).toContain(`id="${a}"`);
  });
});
