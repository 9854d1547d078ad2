/**
 * `GET /v1/runs/:id` and `GET /v1/runs/:id/lineage` name a run as the CLI, the SDK, the run page and
 * `POST /v1/alerts/redeliver` do: its id or a unique prefix of at least 8 characters (a review finding: the two
 * routes refused `a039bb90` with a 404). An ambiguous prefix is a 400 `ambiguous_run_id`. Real state database.
 */
import { afterEach, expect, it } from 'vitest';
import { createApp } from '../../src/server/app.js';
import { guardBench, type GuardBench } from '../guards/helpers.js';

let bench: GuardBench | undefined;
afterEach(async () => {
  await bench?.close();
  bench = undefined;
});

const json = async (res: Response) => ({ status: res.status, body: (await res.json()) as Record<string, any> });

it('takes a run id or a unique prefix of 8+ characters; a prefix two runs share is a 400 ambiguous_run_id', async () => {
  bench = await guardBench();
  const { project } = bench;
  const a = project.runs.create({ kind: 'push', view: 'delays', options: {} });
  project.runs.update(a.id, { status: 'success', finished_at: new Date().toISOString() });
  const app = createApp(project, { ui: false });

  for (const given of [a.id, a.id.slice(0, 8), a.id.slice(0, 13), a.id.toUpperCase().slice(0, 8)]) {
    const show = await json(await app.request(`/v1/runs/${given}`));
    expect(show.status, given).toBe(200);
    expect(show.body.run.id).toBe(a.id);
    const lineage = await json(await app.request(`/v1/runs/${given}/lineage`));
    expect(lineage.status, given).toBe(200);
    expect(lineage.body.run.runId).toBe(a.id);
  }

  // Too short, or no run starts with it: 404 as before.
  expect((await app.request(`/v1/runs/${a.id.slice(0, 7)}`)).status).toBe(404);
  const missing = await json(await app.request('/v1/runs/ffffffff'));
  expect(missing.status).toBe(404);
  expect(missing.body.error.code).toBe('not_found');
  expect(missing.body.error.message).toBe("no run whose id starts with 'ffffffff' (see featureguard runs list)");
  // A whole id no run has is not called a prefix.
  const whole = await json(await app.request('/v1/runs/ffffffff-0000-4000-8000-000000000000'));
  expect(whole.status).toBe(404);
  expect(whole.body.error.message).toBe("no run with id 'ffffffff-0000-4000-8000-000000000000' (see featureguard runs list)");

  // Two runs sharing their first 8 characters (ids set in the state database: random UUIDs rarely share them).
  const b = project.runs.create({ kind: 'push', view: 'delays', options: {} });
  const c = project.runs.create({ kind: 'push', view: 'delays', options: {} });
  for (const r of [b, c]) project.runs.update(r.id, { status: 'success', finished_at: new Date().toISOString() });
  project.state.prepare('UPDATE runs SET id = ? WHERE id = ?').run('abcdef01-0000-4000-8000-000000000001', b.id);
  project.state.prepare('UPDATE runs SET id = ? WHERE id = ?').run('abcdef01-0000-4000-8000-000000000002', c.id);
  for (const path of ['/v1/runs/abcdef01', '/v1/runs/abcdef01/lineage']) {
    const amb = await json(await app.request(path));
    expect(amb.status, path).toBe(400);
    expect(amb.body.error.code).toBe('ambiguous_run_id');
    expect(amb.body.error.details.candidates).toEqual(['abcdef01-0000-4000-8000-000000000001', 'abcdef01-0000-4000-8000-000000000002']);
  }
  const one = await json(await app.request('/v1/runs/abcdef01-0000-4000-8000-000000000002'));
  expect(one.status).toBe(200);
  expect(one.body.run.id).toBe('abcdef01-0000-4000-8000-000000000002');
});

it('documents the path parameter and the 400 in openapi.json', async () => {
  bench = await guardBench();
  const app = createApp(bench.project, { ui: false });
  const doc = (await (await app.request('/openapi.json')).json()) as { paths: Record<string, Record<string, any>> };
  for (const path of ['/v1/runs/{id}', '/v1/runs/{id}/lineage']) {
    const op = doc.paths[path].get;
    expect(op.parameters).toContainEqual({ name: 'id', in: 'path', required: true, description: 'the run id or a unique prefix of at least 8 characters', schema: { type: 'string' } });
    expect(op.responses['400'].description).toContain('ambiguous_run_id');
  }
});
