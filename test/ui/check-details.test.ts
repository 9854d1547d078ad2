/**
 * A check's details on the run page: the problems of a push refused for invalid rows (a real push through the
 * SDK), escaped and bounded, and the other fields of a result's details. Over HTTP without a browser.
 */
import { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServerAuth } from '../../src/server/auth.js';
import { uiRoutes } from '../../src/server/ui/index.js';
import { push } from '../../src/serving/push.js';
import { createUiFixture, type UiFixture } from './fixture.js';

let f: UiFixture;
let app: Hono;

beforeAll(async () => {
  f = await createUiFixture();
  app = new Hono().route('/ui', uiRoutes(f.project, createServerAuth(f.project.state)));
});
afterAll(async () => f?.close());

const page = async (id: string) => (await app.request(`/ui/runs/${id}`)).text();
/** The problems list of the checks table, as text: one entry per item. */
const problemItems = (html: string) =>
  [...(/<ul class="problems"[^>]*>([\s\S]*?)<\/ul>/.exec(html)?.[1] ?? '').matchAll(/<li>([\s\S]*?)<\/li>/g)].map((m) => m[1].replace(/<[^>]+>/g, ''));

/** Push rows the view refuses; the refusal is recorded as a blocked push run. Its id. */
async function refusedPush(rows: Record<string, unknown>[]): Promise<string> {
  const err = await push(f.project, { view: 'airport_hourly', rows, to: 'online' }).then(
    () => null,
    (e: unknown) => e as { code?: string; details?: { run_id?: string } },
  );
  expect(err?.code).toBe('invalid_rows');
  return err?.details?.run_id as string;
}

describe('run page: the problems of a push refused for invalid rows', () => {
  // A review finding: the page showed the result's message (its first problem) only; which other rows and columns
  // were wrong was only in GET /v1/runs/:id's JSON.
  it('lists every problem with its row, path and message', async () => {
    const id = await refusedPush([
      { origin: 'SEA', event_timestamp: '2026-01-03T00:00:00Z', departures: 'x', mean_delay: 1, share_delayed: 0.5 },
      { origin: null, event_timestamp: 'nope', departures: 1, mean_delay: 1, share_delayed: 0.5 },
    ]);
    const stored = f.project.runs.results(id)[0].details as { problems: { row: number; path: string; message: string }[] };
    expect(stored.problems.length).toBeGreaterThanOrEqual(3);
    const html = await page(id);
    expect(html).toContain(`<summary>${stored.problems.length} problems in 2 rows</summary>`);
    // A message past 300 characters (an int64's pattern) is cut with '…'.
    const shown = (m: string) => (m.length > 300 ? `${m.slice(0, 299)}…` : m).replaceAll("'", '&#39;').replaceAll('"', '&quot;');
    expect(problemItems(html)).toEqual(stored.problems.map((p) => `row ${p.row} ${p.path}: ${shown(p.message)}`));
    for (const path of ['/0/departures', '/1/origin', '/1/event_timestamp']) expect(problemItems(html).some((t) => t.includes(path)), path).toBe(true);
  });

  it('escapes a hostile column name and caps a long list at 100 with how many more', async () => {
    const hostile = '<img src=x onerror=alert(1)>';
    const id = await refusedPush([{ origin: 'SEA', event_timestamp: '2026-01-03T00:00:00Z', departures: 1, mean_delay: 1, share_delayed: 0.5, [hostile]: 1 }]);
    const html = await page(id);
    expect(html).not.toContain('<img src=x');
    expect(problemItems(html).join('\n')).toContain('&lt;img src=x onerror=alert(1)&gt;');
    // A stored result with more problems than the page lists (an older run, another producer of details).
    const run = f.project.runs.create({ kind: 'push', view: 'airport_hourly' });
    const problems = Array.from({ length: 250 }, (_, i) => ({ row: i, path: `/${i}/origin`, message: `must be string ${'x'.repeat(i === 0 ? 5_000 : 1)}` }));
    f.project.runs.addResults([{ run_id: run.id, check: 'schema', feature: null, slice: null, status: 'fail', policy: 'block', method: 'rows', value: 250, thresholds: null, metrics: null, message: 'many problem(s)', details: { problems } }]);
    f.project.runs.update(run.id, { status: 'blocked', finished_at: new Date().toISOString() });
    const many = await page(run.id);
    expect(many).toContain('<summary>250 problems</summary>');
    expect(problemItems(many)).toHaveLength(100);
    expect(problemItems(many)[0].length).toBeLessThan(400);
    expect(many).toContain('and 150 more (all of them in <code>GET /v1/runs/');
  });

  // A refused push keeps its first 20 problems and counts all of them: the summary said "20 problems" for 30.
  it('gives the counted totals of a refused push, not the number of problems it kept', async () => {
    const rows = Array.from({ length: 30 }, (_, i) => ({ origin: 'SEA', event_timestamp: `2026-01-03T00:${String(i).padStart(2, '0')}:00Z`, departures: 'x', mean_delay: 1, share_delayed: 0.5 }));
    const id = await refusedPush(rows);
    const r = f.project.runs.results(id)[0];
    expect((r.details as { problems: unknown[] }).problems).toHaveLength(20);
    expect(r.metrics).toMatchObject({ problems: 30, invalid_rows: 30 });
    const html = await page(id);
    expect(html).toContain('<summary>30 problems in 30 rows (the first 20 kept)</summary>');
    expect(problemItems(html)).toHaveLength(20);
  });
});

describe('run page: the other details of a check', () => {
  it("shows a result's details as key: value lines under the message", async () => {
    const html = await page(f.drifted.id);
    expect(html).toMatch(/<summary>details<\/summary>[\s\S]*?reference_run_id: [0-9a-f-]+/);
    expect(html).toMatch(/n_ref: 12000/);
  });
});
