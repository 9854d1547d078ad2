/**
 * The runs page with 10,000 runs in the log: each page costs one COUNT and one
 * LIMIT/OFFSET query, so page 1 and a deep page never load the whole log. The
 * test records every statement the pages run on the state database and the rows
 * each returns (speed itself is measured by benchmarks, not asserted here).
 */
import { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { uiRoutes } from '../../src/server/ui/index.js';
import type { RunStatus } from '../../src/runs/types.js';
import { createUiFixture, type UiFixture } from './fixture.js';

let f: UiFixture;
let app: Hono;
const N = 10_000;
const STATUSES: RunStatus[] = ['success', 'success', 'success', 'warned', 'blocked'];

beforeAll(async () => {
  f = await createUiFixture();
  const { runs, state } = f.project;
  const stamp = state.prepare('UPDATE runs SET started_at = ? WHERE id = ?');
  const t0 = Date.parse('2026-01-01T00:00:00Z');
  state.transaction(() => {
    for (let i = 0; i < N; i++) {
      const r = runs.create({ kind: i % 10 === 0 ? 'dataset' : 'materialize', view: 'airport_hourly', window_start: new Date(t0 + i * 3_600_000).toISOString(), window_end: new Date(t0 + (i + 1) * 3_600_000).toISOString() });
      const status = STATUSES[i % STATUSES.length];
      runs.update(r.id, { status, counts: { pass: 20, warn: status === 'warned' ? 2 : 0, fail: status === 'blocked' ? 1 : 0, error: 0, skipped: 1 }, rows_in: 5000 + i, message: status === 'blocked' ? 'schema: mean_delay has 3 values above max 1440' : null });
      stamp.run(new Date(t0 + i * 3_600_000).toISOString(), r.id);
    }
  })();
  app = new Hono().route('/ui', uiRoutes(f.project));
}, 120_000);
afterAll(async () => f?.close());

/** Render a page, recording the statements it prepares on the state database and the most rows one returned. */
async function render(path: string): Promise<{ html: string; statements: string[]; maxRows: number }> {
  const db = f.project.state;
  const prepare = db.prepare.bind(db);
  const statements: string[] = [];
  let maxRows = 0;
  const count = (n: number) => (maxRows = Math.max(maxRows, n));
  db.prepare = ((sql: string) => {
    const stmt = prepare(sql);
    statements.push(sql);
    const all = stmt.all.bind(stmt);
    const iterate = stmt.iterate.bind(stmt);
    stmt.all = ((...args: unknown[]) => {
      const rows = all(...args);
      count(rows.length);
      return rows;
    }) as typeof stmt.all;
    stmt.iterate = ((...args: unknown[]) => {
      const rows = [...iterate(...args)];
      count(rows.length);
      return rows[Symbol.iterator]();
    }) as typeof stmt.iterate;
    return stmt;
  }) as typeof db.prepare;
  try {
    const res = await app.request(path);
    const html = await res.text();
    expect(res.status).toBe(200);
    return { html, statements, maxRows };
  } finally {
    db.prepare = prepare;
  }
}

describe('runs page with 10,000 runs', () => {
  it('renders page 1, a deep page and a filtered deep page with paged queries and the right totals', async () => {
    const first = await render('/ui/runs');
    expect(first.html).toContain(`1–50 of ${(N + 3).toLocaleString('en-US')}`);
    expect(first.html.match(/<tr data-run-id=/g)).toHaveLength(50);
    const deep = await render('/ui/runs?offset=9950&limit=50');
    expect(deep.html).toContain(`9,951–10,000 of ${(N + 3).toLocaleString('en-US')}`);
    const filtered = await render('/ui/runs?status=blocked&kind=materialize&offset=1500&limit=100');
    expect(filtered.html.match(/<tr data-run-id=/g)).toHaveLength(100);
    for (const [page, limit] of [[first, 50], [deep, 50], [filtered, 100]] as const) {
      expect(page.statements.some((q) => /\bLIMIT\b/i.test(q) && /\bOFFSET\b/i.test(q))).toBe(true);
      expect(page.maxRows).toBeLessThanOrEqual(limit);
    }
  });

  it('past the last page says so and leads back to the last page; filters outside the form options are kept', async () => {
    const total = N + 3;
    const past = await render('/ui/runs?offset=20000&limit=50');
    expect(past.html).toContain(`past the last of ${total.toLocaleString('en-US')}`);
    expect(past.html).toContain('No runs on this page: the list ends before it.');
    expect(past.html).toContain(`href="/ui/runs?limit=50&amp;offset=${Math.floor((total - 1) / 50) * 50}" rel="prev"`);
    // A limit typed into the URL and a view no longer in the registry stay selected in the form.
    const kept = await render('/ui/runs?limit=7&view=gone_view');
    expect(kept.html).toContain('<option value="7" selected="">7</option>');
    expect(kept.html).toContain('<option value="gone_view" selected="">gone_view</option>');
  });

  it('renders the feature history of a long log from its last 50 runs only', async () => {
    const h = await render('/ui/features/airport_hourly/mean_delay');
    expect(h.html).toContain('mean_delay');
    expect(h.statements.length).toBeGreaterThan(0);
    expect(h.maxRows).toBeGreaterThan(0);
    expect(h.maxRows).toBeLessThanOrEqual(50 * 4);
  });
});
