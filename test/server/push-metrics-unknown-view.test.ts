/**
 * A push that fails with a 5xx before any run was recorded is counted as a failed push under the view it names only
 * when that is a view of the registry: here the registry cannot be read (its table moved away by another process), so
 * the name the client sent is unchecked. Each typo or made-up name was a new series of `featureguard_push_runs_total`
 * (unbounded label values); it is counted under `(unknown)`.
 */
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { holdWriteLock } from '../helpers/write-lock.js';
import { json, post, useAppFixture } from './fixture.js';

const t = useAppFixture({ errorLog: () => undefined });

/** The non-zero samples of the push counters. */
async function pushSamples(): Promise<string[]> {
  const text = await (await t.app.request('/metrics')).text();
  return text.split('\n').filter((l) => /^featureguard_(push_runs_total|run_verdicts_total\{kind="push")/.test(l) && !l.endsWith(' 0'));
}

const row = { origin: 'SEA', event_timestamp: '2001-01-05T10:00:00Z', dep_delay: 1.5, flights: 4, carrier: 'AA' };

it('counts a 5xx before any run under (unknown) when the view it names is none the registry has', async () => {
  expect(await pushSamples()).toEqual([]);
  const other = new Database(join(t.fx.dir, '.featureguard', 'state.db'));
  other.exec('ALTER TABLE registry_versions RENAME TO registry_versions_moved');
  try {
    for (const view of ['made_up_1', 'made_up_2', 'origin_delays_typo']) {
      const res = await t.app.request('/v1/push', post({ view, rows: [row] }));
      expect(res.status, JSON.stringify(await json(res))).toBeGreaterThanOrEqual(500);
    }
  } finally {
    other.exec('ALTER TABLE registry_versions_moved RENAME TO registry_versions');
    other.close();
  }
  expect(await pushSamples()).toEqual([
    'featureguard_push_runs_total{view="(unknown)",status="failed"} 3',
    'featureguard_run_verdicts_total{kind="push",status="failed"} 3',
  ]);
  // A registered view's name is kept (the registry readable again, the push counted under it).
  const ok = await t.app.request('/v1/push', post({ view: 'origin_delays', rows: [row] }));
  expect(ok.status).toBe(200);
  expect(await pushSamples()).toEqual(expect.arrayContaining([expect.stringMatching(/^featureguard_push_runs_total\{view="origin_delays",status="(success|warned)"\} 1$/)]));
});

it('keeps the name of a registered view for a 5xx before its run (the state database locked), and counts nothing for a 400', async () => {
  const before = await pushSamples();
  const unknown = await t.app.request('/v1/push', post({ view: 'made_up_3', rows: [row] }));
  expect([unknown.status, (await json(unknown)).error.code]).toEqual([400, 'unknown_view']);
  expect(await pushSamples()).toEqual(before);
  t.fx.project.state.pragma('busy_timeout = 300');
  const { ended } = await holdWriteLock(join(t.fx.dir, '.featureguard', 'state.db'), 1200);
  const res = await t.app.request('/v1/push', post({ view: 'origin_delays', rows: [{ ...row, event_timestamp: '2001-01-05T11:00:00Z' }] }));
  expect([res.status, (await json(res)).error.code]).toEqual([503, 'state_unavailable']);
  await ended;
  expect(await pushSamples()).toEqual(expect.arrayContaining([
    'featureguard_push_runs_total{view="origin_delays",status="failed"} 1',
    'featureguard_push_runs_total{view="(unknown)",status="failed"} 3',
  ]));
});
