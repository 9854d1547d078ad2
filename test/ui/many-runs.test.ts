/**
 * The runs page with 10,000 runs in the log: each page costs one COUNT and one
 * LIMIT/OFFSET query, so page 1 and a deep page both render fast.
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

async function timed(path: string): Promise<{ ms: number; html: string }> {
  const t = performance.now();
  const res = await app.request(path);
  const html = await res.text();
  expect(res.status).toBe(200);
  return { ms: performance.now() - t, html };
}

describe('runs page with 10,000 runs', () => {
  it('renders page 1 and a deep page quickly, with the right totals', async () => {
    const first = await timed('/ui/runs');
    expect(first.html).toContain(`1–50 of ${(N + 3).toLocaleString('en-US')}`);
    expect(first.html.match(/<tr data-run-id=/g)).toHaveLength(50);
    const deep = await timed('/ui/runs?offset=9950&limit=50');
    expect(deep.html).toContain(`9,951–10,000 of ${(N + 3).toLocaleString('en-US')}`);
    const filtered = await timed('/ui/runs?status=blocked&kind=materialize&offset=1500&limit=100');
    expect(filtered.html.match(/<tr data-run-id=/g)).toHaveLength(100);
    const ms = [first.ms, deep.ms, filtered.ms];
    console.log(`runs page with ${N} runs: page 1 ${ms[0].toFixed(1)} ms, offset 9950 ${ms[1].toFixed(1)} ms, filtered deep page ${ms[2].toFixed(1)} ms`);
    for (const m of ms) expect(m).toBeLessThan(500);
  });

  it('renders the feature history of a long log quickly (last 50 runs)', async () => {
    const h = await timed('/ui/features/airport_hourly/mean_delay');
    expect(h.ms).toBeLessThan(500);
  });
});
