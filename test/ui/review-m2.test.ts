/**
 * Regression review (merged2) of the quality-log pages, on real pushes through the guard stage (DuckDB profiles, the
 * SQLite state and online store) into a fresh project: what the history page says it left out and why, a repeated
 * `?kind=`, a skipped drift decision's page, and a misspelt removed feature.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defineFeatureView } from '../../src/definitions/define.js';
import { openProject, type Project } from '../../src/project.js';
import { formatWindow } from '../../src/runs/run-facts.js';
import { uiRoutes } from '../../src/server/ui/index.js';
import { push } from '../../src/serving/push.js';
import { airport, service, source, viewV2 } from './fixture.js';

let dir: string;
let project: Project;
let app: Hono;
const runs: Record<string, string> = {};

const text = (html: string) =>
  html.replace(/<[^>]+>/g, ' ').replace(/&#39;/g, "'").replace(/&quot;/g, '"').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&').replace(/\s+/g, ' ').trim();
const get = async (path: string) => {
  const res = await app.request(path);
  return { status: res.status, html: await res.text() };
};

/** `n` rows of airport_hourly, one per airport, at `at` (minutes from now, negative: earlier). */
function rows(n: number, at: number, share = 0.3) {
  const ts = new Date(Date.now() + at * 60_000).toISOString();
  return Array.from({ length: n }, (_, i) => ({ origin: `A${String(i).padStart(2, '0')}`, event_timestamp: ts, departures: 10 + i, mean_delay: 5 + (i % 7) * 3.5, share_delayed: share }));
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'fg-ui-m2-'));
  writeFileSync(join(dir, 'featureguard.yaml'), 'project: m2\ndefinitions: features\n');
  project = openProject(dir);
  project.registry.apply([airport, source, viewV2, service]);
  app = new Hono().route('/ui', uiRoutes(project));
  // A first push of 40 rows (>= min_rows 30): no reference yet. Then 5 rows (too few to compare), then a blocked one.
  runs.first = (await push(project, { view: 'airport_hourly', rows: rows(40, -30) })).run_id;
  runs.small = (await push(project, { view: 'airport_hourly', rows: rows(5, -20) })).run_id;
  const blocked = await push(project, { view: 'airport_hourly', rows: rows(3, -10, 2) });
  expect(blocked.status).toBe('blocked');
  runs.blocked = blocked.run_id;
}, 60_000);
afterAll(async () => {
  await project?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('the history page says why it left pushes out (finding 4)', () => {
  it('does not call a 40-row push too small, nor count a blocked push as values left out', async () => {
    // The premise, from the runs themselves: the first push's drift had no reference, the second's too few values.
    const drift = (id: string) => project.runs.results(id).filter((r) => r.check === 'drift').map((r) => r.message);
    expect(project.runs.get(runs.first).rows_in).toBe(40);
    expect(drift(runs.first).join()).toMatch(/^no reference yet/);
    expect(drift(runs.small).join()).toContain('mean_delay: 5 value(s) < min_rows 30, too few to compare');
    const { status, html } = await get('/ui/features/airport_hourly/mean_delay');
    expect(status).toBe(200);
    const t = text(html);
    expect(t).not.toContain('too few rows to compare');
    expect(t).toContain('2 pushes without a drift value for mean_delay are left out (1 with too few values to compare, under drift.min_rows; 1 with no drift reference yet)');
    expect(t).toContain('1 blocked push is left out too (nothing written)');
    expect(t).toMatch(/\(nothing written\): list the pushes \./);
    // ?kind=push lists all three.
    const pushes = (await get('/ui/features/airport_hourly/mean_delay?kind=push')).html;
    for (const id of Object.values(runs)) expect(pushes).toContain(`/ui/runs/${id}"`);
  });
});

describe('a repeated ?kind= (finding 6)', () => {
  it('says the first is used, as /ui/runs does', async () => {
    const t = text((await get('/ui/features/airport_hourly/mean_delay?kind=push&kind=materialize')).html);
    expect(t).toContain("'kind' is given 2 times ('push', 'materialize'): the first is used");
    expect(text((await get('/ui/runs?kind=push&kind=materialize')).html)).toContain("'kind' is given 2 times ('push', 'materialize'): the first is used");
  });
});

describe("a skipped drift decision's page (finding 8)", () => {
  it('says nothing was compared, and gives the reason once', async () => {
    const [result] = project.runs.results(runs.small).filter((r) => r.check === 'drift' && r.feature === 'mean_delay' && !r.slice);
    // The premise: the result names a reference (the 40-row push) although it compared nothing.
    expect(result.status).toBe('skipped');
    expect(JSON.stringify(result.details)).toContain(runs.first);
    const { status, html } = await get(`/ui/runs/${runs.small}/drift/mean_delay`);
    expect(status).toBe(200);
    const t = text(html);
    expect(t).not.toContain('compared with');
    expect(t.split(result.message).length - 1).toBe(1);
    expect(t).toContain(`No decision: skipped (${result.message})`);
  });
});

describe('one window format (finding 9)', () => {
  it('dates alone only when both ends are midnights', () => {
    expect(formatWindow('2026-12-02T00:00:00.000Z', '2026-12-03T00:00:00.000Z')).toBe('2026-12-02 → 2026-12-03');
    expect(formatWindow('2026-12-03T00:00:00.000Z', '2026-12-03T06:00:00.000Z')).toBe('2026-12-03 00:00:00Z → 2026-12-03 06:00:00Z');
    expect(formatWindow('2026-12-03T12:00:00Z', null)).toBe('2026-12-03 12:00:00Z → …');
    expect(formatWindow(null, null)).toBe('—');
  });
});

describe('a misspelt feature removed from the registry (finding 10)', () => {
  it("suggests the removed feature that recorded checks name", async () => {
    const without = defineFeatureView({ ...viewV2, features: viewV2.features.filter((f) => f.name !== 'share_delayed') });
    project.registry.apply([airport, source, without, service], { allowBreaking: true });
    expect((await get('/ui/features/airport_hourly/share_delayed')).status).toBe(200);
    const { status, html } = await get('/ui/features/airport_hourly/share_delaye');
    expect(status).toBe(404);
    expect(text(html)).toContain("no feature 'share_delaye' in view airport_hourly is defined or named by a recorded check (did you mean 'share_delayed'?)");
    // A current feature is still suggested.
    expect(text((await get('/ui/features/airport_hourly/mean_dela')).html)).toContain("(did you mean 'mean_delay'?)");
  });
});
