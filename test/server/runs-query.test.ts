/**
 * `GET /v1/runs` filters at their edges: a misspelt view or service is refused as `runs list` refuses it (not a
 * silent "no runs"), an offset whose '+' arrived as a space (unencoded in the query string) is read, and a
 * cursor pages without repeating rows while new runs arrive.
 */
import { describe, expect, it } from 'vitest';
import { json, useAppFixture } from './fixture.js';

const t = useAppFixture();

describe('GET /v1/runs', () => {
  it('refuses a view or service that is not defined and has no runs, with a suggestion, as the CLI does', async () => {
    const view = await t.app.request('/v1/runs?view=origin_delay');
    expect(view.status).toBe(400);
    const body = await json(view);
    expect(body.error.code).toBe('unknown_view');
    expect(body.error.message).toContain("did you mean 'origin_delays'");
    const service = await json(await t.app.request('/v1/runs?service=delay_servic'));
    expect(service.error).toMatchObject({ code: 'unknown_service', message: expect.stringContaining("did you mean 'delay_service'") });
    // Defined, without runs: an empty page.
    const empty = await t.app.request('/v1/runs?view=origin_delays&status=blocked');
    expect(empty.status).toBe(200);
    expect(await json(empty)).toMatchObject({ runs: [], total: 0 });
  });

  it("reads an offset whose '+' was not encoded (it arrives as a space), and says to encode it where it cannot", async () => {
    const run = t.fx.project.runs.create({ kind: 'check', view: 'origin_delays' });
    t.fx.project.runs.update(run.id, { status: 'success', finished_at: new Date().toISOString(), started_at: '2001-01-01T08:30:00.000Z' });
    const encoded = await json(await t.app.request('/v1/runs?since=2001-01-01T10:00:00%2B02:00&until=2001-01-01T10:31:00%2B02:00'));
    const plain = await t.app.request('/v1/runs?since=2001-01-01T10:00:00+02:00&until=2001-01-01T10:31:00+02:00');
    expect(plain.status).toBe(200);
    expect(await json(plain)).toEqual(encoded);
    expect(encoded.runs.map((r: { id: string }) => r.id)).toEqual([run.id]);
    // A space between date and time is a time, as before.
    expect((await json(await t.app.request('/v1/runs?since=2001-01-01%2008:30'))).runs.map((r: { id: string }) => r.id)).toContain(run.id);
    const bad = await json(await t.app.request('/v1/runs?since=2001-01-01T10:00:00+2'));
    expect(bad.error).toMatchObject({ code: 'bad_request', message: expect.stringContaining('%2B') });
  });

  it('pages with a cursor that repeats no row while new runs arrive', async () => {
    const { runs } = t.fx.project;
    const made: string[] = [];
    for (let i = 0; i < 5; i++) {
      const r = runs.create({ kind: 'push', view: 'origin_delays' });
      // Two runs started in the same millisecond: the cursor tells them apart.
      runs.update(r.id, { status: 'success', finished_at: new Date().toISOString(), started_at: `2002-01-0${i < 2 ? 1 : i}T00:00:00.000Z` });
      made.push(r.id);
    }
    const q = '/v1/runs?kind=push&limit=2';
    const first = await json(await t.app.request(q));
    expect(first.runs).toHaveLength(2);
    expect(first.next_cursor).toEqual(expect.any(String));
    // A new run arrives between the pages: offset paging would now repeat the second row.
    const newer = runs.create({ kind: 'push', view: 'origin_delays' });
    runs.update(newer.id, { status: 'success', finished_at: new Date().toISOString() });
    expect((await json(await t.app.request(`${q}&offset=2`))).runs[0].id).toBe(first.runs[1].id);
    const seen: string[] = first.runs.map((r: { id: string }) => r.id);
    let cursor: string | null = first.next_cursor;
    while (cursor) {
      const page = await json(await t.app.request(`${q}&cursor=${encodeURIComponent(cursor)}`));
      seen.push(...page.runs.map((r: { id: string }) => r.id));
      cursor = page.next_cursor;
    }
    expect(seen).toHaveLength(5);
    expect(new Set(seen)).toEqual(new Set(made));
    expect((await json(await t.app.request('/v1/runs?cursor=nonsense'))).error).toMatchObject({ code: 'bad_request', message: expect.stringContaining('cursor') });
  });
});
