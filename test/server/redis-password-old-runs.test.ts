/**
 * Run records written by a version before the Redis address fix (which masked only `user:pass@` as `***` and kept a
 * `?password=` query) still hold the password in their message, check results, lineage or options. An upgraded
 * state database serves them redacted: the run store, `GET /v1/runs[/:id][/lineage]`, the runs pages and `runs show`
 * name the store by scheme, host, port and database only (an upgrade review finding: all of them showed it).
 */
import { describe, expect, it } from 'vitest';
import { keyStoreFor } from '../../src/auth/keys.js';
import { runCli } from '../cli/cli-io.js';
import { bearer, useAppFixture } from './fixture.js';

const t = useAppFixture();
const SECRET = 'Hunter2Secret';
const ID = '00000000-0000-4000-8000-0000000000a1';

/** Messages as the earlier version stored them (its `redactUrl` left the query and the user name). */
const OLD_MESSAGE =
  `the redis online store (redis://fguser:***@127.0.0.1:6390/0?password=${SECRET}) is unavailable: connect ECONNREFUSED 127.0.0.1:6390; check that Redis is running and reachable`;
const OLD_RESULT = `online_store.url selects Redis database 3, which redis://:${SECRET}@cache:6379/3?db=3 does not have: ERR DB index is out of range`;

function insertOldRun(): void {
  const db = t.fx.project.state;
  db.prepare(`INSERT INTO runs (id, kind, view, status, started_at, finished_at, message, counts, lineage, options)
    VALUES (?, 'materialize', 'origin_delays', 'failed', '2001-01-03T00:00:00.000Z', '2001-01-03T00:00:01.000Z', ?, ?, ?, ?)`).run(
    ID,
    OLD_MESSAGE,
    JSON.stringify({ pass: 0, warn: 0, fail: 0, error: 1, skipped: 0 }),
    JSON.stringify({ inputs: [], output: { kind: 'online_store', uri: 'sqlite:servertest/origin_delays' }, note: `the redis online store (cache:6390?password=${SECRET}) lost the write session; seen on rediss://u:${SECRET}@cache.` }),
    JSON.stringify({ store: `redis://cache:6379/0?password=${SECRET}`, socket: `the redis online store (/run/redis.sock?password=${SECRET}) is unavailable: down` }),
  );
  db.prepare(`INSERT INTO check_results (run_id, seq, "check", feature, slice, status, record) VALUES (?, 0, 'online_store', NULL, NULL, 'error', ?)`).run(
    ID,
    JSON.stringify({ run_id: ID, check: 'online_store', method: 'online_store', feature: null, slice: null, status: 'error', value: null, threshold: null, message: OLD_RESULT }),
  );
}

describe('run records of an earlier version that name a Redis store with its password', () => {
  it('are read without the password, through the run store, the API, the pages and runs show', async () => {
    insertOldRun();
    const runs = t.fx.project.runs;
    const run = runs.get(ID);
    expect(run.message).toBe('the redis online store (redis://127.0.0.1:6390/0) is unavailable: connect ECONNREFUSED 127.0.0.1:6390; check that Redis is running and reachable');
    expect(JSON.stringify(run)).not.toContain(SECRET);
    expect(JSON.stringify(run.options)).toContain('redis://cache:6379/0');
    expect(JSON.stringify(run.options)).toContain('the redis online store (unix:/run/redis.sock) is unavailable: down');
    expect(JSON.stringify(run.lineage)).toContain('the redis online store (redis://cache:6390/0) lost the write session; seen on rediss://cache:6379/0.');
    expect(JSON.stringify(runs.list({}).runs)).not.toContain(SECRET);
    const [result] = runs.results(ID);
    expect(result.message).toBe('online_store.url selects Redis database 3, which redis://cache:6379/3 does not have: ERR DB index is out of range');

    const { key } = keyStoreFor(t.fx.project.state).create('read', 'reader');
    for (const path of ['/v1/runs', `/v1/runs/${ID}`, `/v1/runs/${ID}/lineage`, '/ui/runs', `/ui/runs/${ID}`]) {
      const res = await t.app.request(path, { headers: bearer(key) });
      const text = await res.text();
      expect(res.status, path).toBe(200);
      expect(text, path).toContain('127.0.0.1:6390/0');
      expect(text, path).not.toContain(SECRET);
    }
    const shown = await runCli(['--project', t.fx.dir, 'runs', 'show', ID]);
    expect(shown.out).toContain('redis://127.0.0.1:6390/0');
    expect(shown.out + shown.err).not.toContain(SECRET);
  });
});
