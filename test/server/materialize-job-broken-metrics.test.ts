/**
 * A materialization job whose materialization broke (`done` rejected: here a progress callback that throws, as the
 * state database locked at a view's start or the engine gone would) is failed, and so are its runs in the quality log:
 * the metrics count each of its views once as a failed materialization run. They counted none.
 */
import { beforeAll, expect, it } from 'vitest';
import { useAppFixture } from './fixture.js';
import { addOriginFlightsView } from './origin-flights-view.js';

const t = useAppFixture();

beforeAll(() => {
  addOriginFlightsView(t.fx);
});

/** The non-zero samples of the materialization counters. */
async function materializeSamples(): Promise<string[]> {
  const text = await (await t.app.request('/metrics')).text();
  return text.split('\n').filter((l) => /^featureguard_(materialize_runs_total|run_verdicts_total\{kind="materialize")/.test(l) && !l.endsWith(' 0'));
}

it('counts each view of a job whose materialization broke as one failed run', async () => {
  expect(await materializeSamples()).toEqual([]);
  const { job, done } = await t.app.context.jobs.start({
    views: ['origin_delays', 'origin_flights'], start: '2001-01-01', end: '2001-01-02',
    onProgress: () => {
      throw new Error('progress callback broke');
    },
  }, 'api');
  const ended = await done;
  expect([ended.status, ended.error]).toEqual(['failed', 'progress callback broke']);
  // The quality log says both runs failed (the second never started).
  expect(job.runs.map((r) => t.fx.project.runs.get(r.run_id!).status)).toEqual(['failed', 'failed']);
  expect((await materializeSamples()).sort()).toEqual([
    'featureguard_materialize_runs_total{view="origin_delays",status="failed"} 1',
    'featureguard_materialize_runs_total{view="origin_flights",status="failed"} 1',
    'featureguard_run_verdicts_total{kind="materialize",status="failed"} 2',
  ]);
  // Counted once: the job's end is not counted again.
  await t.app.context.jobs.idle();
  expect((await materializeSamples()).length).toBe(3);
});
