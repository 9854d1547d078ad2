/**
 * `POST /v1/datasets` caps the entity columns (a review finding: one entity row of 30,000 pass-through columns,
 * well under the body limit, held DuckDB for over a minute and 1 GB of memory per request of a read key).
 */
import { describe, expect, it } from 'vitest';
import { MAX_ENTITY_COLUMNS } from '../../src/server/routes/datasets.js';
import { post, useAppFixture } from './fixture.js';

const t = useAppFixture();

function wide(n: number): Record<string, unknown> {
  const row: Record<string, unknown> = { origin: 'SEA', event_timestamp: '2001-01-02T00:00:00Z' };
  for (let i = 0; row && Object.keys(row).length < n; i++) row[`c${i}`] = i;
  return row;
}

describe('entity columns of a dataset request', () => {
  it.each([
    ['entity_rows', (n: number) => ({ entity_rows: [wide(n)] })],
    ['entities', (n: number) => ({ entities: Object.fromEntries(Object.entries(wide(n)).map(([k, v]) => [k, [v]])) })],
  ])('more than the limit in %s: 413 too_many_columns naming the limit, before any build', async (_field, body) => {
    const t0 = performance.now();
    const res = await t.app.request('/v1/datasets', post({ features: ['origin_delays:dep_delay'], format: 'csv', ...body(MAX_ENTITY_COLUMNS + 1) }));
    const answer = await res.json();
    expect(res.status, JSON.stringify(answer).slice(0, 300)).toBe(413);
    expect(answer.error.code).toBe('too_many_columns');
    expect(answer.error.message).toContain(`at most ${MAX_ENTITY_COLUMNS.toLocaleString('en-US')}`);
    expect(answer.error.details).toMatchObject({ columns: MAX_ENTITY_COLUMNS + 1, limit: MAX_ENTITY_COLUMNS });
    expect(performance.now() - t0).toBeLessThan(1_000);
    expect(t.fx.project.runs.list({ kind: 'dataset' }).runs).toEqual([]);
  });

  it('up to the limit is built', async () => {
    const res = await t.app.request('/v1/datasets', post({ features: ['origin_delays:dep_delay'], format: 'csv', entity_rows: [wide(60)] }));
    expect(res.status).toBe(200);
    await res.text();
  });
});
