/**
 * The runs of a materialization job (`POST /v1/materialize` 202, `GET /v1/materialize/:id`) say what the CLI's
 * `--json` says: `skipped` (entities not newer than the stored value) and the guards' `counts`; the 202 of a job
 * with nothing to do is already final; both answers carry `job_id` and `poll`.
 */
import { expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { schemaObject } from '../../src/schemas.js';
import { ORIGINS, json, post, useAppFixture } from './fixture.js';

const t = useAppFixture();
const WINDOW = { start: '2001-01-01T00:00:00Z', end: '2001-01-02T00:00:00Z' };

async function startAndPoll(body: unknown): Promise<{ started: any; job: any }> {
  const res = await t.app.request('/v1/materialize', post(body));
  const started = await json(res);
  expect(res.status, JSON.stringify(started)).toBe(202);
  for (let i = 0; i < 400; i++) {
    const job = await json(await t.app.request(`/v1/materialize/${started.id}`));
    if (job.status !== 'running') return { started, job };
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error('materialization did not finish');
}

async function cliJson(...args: string[]): Promise<any> {
  let out = '';
  const code = await main(['--project', t.fx.dir, '--json', ...args], { out: (s) => (out += s), err: () => undefined, isTty: false });
  expect(code).toBe(0);
  return JSON.parse(out);
}

it('job runs carry skipped and counts (as the CLI --json has them), and job_id and poll in the 202 and the poll', async () => {
  const first = await startAndPoll(WINDOW);
  expect(first.job.runs[0]).toMatchObject({ status: 'success', rows_read: 72, entities_written: ORIGINS.length, skipped: 0 });
  const logged = t.fx.project.runs.get(first.job.runs[0].run_id);
  expect(first.job.runs[0].counts).toEqual(logged.counts);
  expect(first.job.runs[0].counts.pass).toBeGreaterThan(0);
  for (const answer of [first.started, first.job]) {
    expect(answer).toMatchObject({ id: first.started.id, job_id: first.started.id, poll: `/v1/materialize/${first.started.id}` });
  }
  // The same window again: every entity is skipped as not newer than the value the store holds.
  const again = await startAndPoll(WINDOW);
  expect(again.job.runs[0]).toMatchObject({ rows_read: 72, entities_written: 0, skipped: ORIGINS.length });
  const cli = (await cliJson('materialize', '--start', WINDOW.start, '--end', WINDOW.end))[0];
  expect(cli).toMatchObject({ rowsRead: 72, entitiesWritten: 0, skipped: ORIGINS.length });
  expect(again.job.runs[0].counts).toEqual(cli.counts);
  // The listing shows jobs as the poll does.
  const { jobs } = await json(await t.app.request('/v1/materialize'));
  expect(jobs.find((j: { id: string }) => j.id === again.started.id)).toEqual(again.job);
});

it('answers the 202 of a job whose views are all up to date as final, as a poll right after does', async () => {
  const { started, job } = await startAndPoll({ incremental: true, end: WINDOW.end });
  expect(started.status).toBe('done');
  expect(started.runs).toEqual([
    expect.objectContaining({ status: 'up_to_date', run_id: null, rows_read: 0, entities_written: 0, skipped: 0, message: expect.stringMatching(/^nothing to materialize: already materialized up to/) }),
  ]);
  expect(started).toEqual(job);
});

it('documents skipped, counts, job_id and poll in the job schemas', () => {
  const job = schemaObject('api/responses/materialize_job') as any;
  expect(job.required).toEqual(expect.arrayContaining(['job_id', 'poll']));
  expect(job.$defs.job_run.required).toEqual(expect.arrayContaining(['skipped', 'counts']));
});
