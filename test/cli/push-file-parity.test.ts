/**
 * `push --file` pushes a JSON file as POST /v1/push (and Feast's POST /push) takes the same body: NaN as Python's
 * json.dumps writes it, an int64 beyond ±2^53 with every digit, and a Feast `{df}` file with Feast's leniency (a
 * column the view lacks left out, `created` the created timestamp). The CLI refused each, recording a blocked push
 * run with alerts for the schema refusals, where HTTP answered 200. (A review of CLI and HTTP parity.)
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp, type FeatureguardApp } from '../../src/server/app.js';
import { getOnlineFeaturesJson } from '../../src/serving/online-features.js';
import { createFixture, post, type Fixture } from '../server/fixture.js';
import { runCli } from './cli-io.js';

let fx: Fixture;
let app: FeatureguardApp;
beforeAll(async () => {
  fx = await createFixture();
  app = createApp(fx.project, { ui: false });
});
afterAll(async () => {
  await fx?.close();
});

/** The file pushed by the CLI, then the same JSON as the body of POST /v1/push (an array of rows) or POST /push (a `{df}`). */
async function pushBoth(name: string, text: string): Promise<{ cli: Record<string, unknown>; http: Record<string, unknown>; code: number; status: number; err: string }> {
  const file = join(fx.dir, `${name}.json`);
  writeFileSync(file, text);
  const res = await runCli(['--project', fx.dir, '--json', 'push', '--view', 'origin_delays', '--file', file]);
  const body = text.startsWith('[') ? `{"view": "origin_delays", "rows": ${text}}` : `{"push_source_name": "origin_delays", ${text.slice(1)}`;
  const http = await app.request('/v1/push', post(body));
  const answer = (await http.json()) as Record<string, unknown>;
  return { cli: res.code === 0 ? (JSON.parse(res.out) as Record<string, unknown>) : {}, http: answer, code: res.code, status: http.status, err: res.err };
}

/** The stored `flights` and `carrier` of `origin` as the HTTP API writes them (an int64 beyond ±2^53 as its decimal text). */
async function stored(origin: string): Promise<string[]> {
  const text = await getOnlineFeaturesJson(fx.project, { features: ['origin_delays:flights', 'origin_delays:carrier'], entities: { origin: [origin] } });
  return [...text.matchAll(/\{"values":\[([^\]]*)\]/g)].slice(1).map((m) => m[1]);
}

describe('push --file reads JSON as POST /v1/push does', () => {
  it('takes NaN in an int64 column as a missing value, and an int64 beyond ±2^53 with every digit', async () => {
    const blockedBefore = fx.project.runs.list({ kind: 'push', status: 'blocked' }).total;
    const nan = await pushBoth('nan', '[{"origin": "NAN", "event_timestamp": "2001-01-03T00:00:00Z", "dep_delay": 1.0, "flights": NaN, "carrier": "c"}]');
    expect([nan.code, nan.status], nan.err).toEqual([0, 200]);
    expect(await stored('NAN')).toEqual(['null', '"c"']);

    const big = await pushBoth('big', '[{"origin": "BIG", "event_timestamp": "2001-01-03T00:00:00Z", "dep_delay": 1.0, "flights": 9007199254740993, "carrier": "c"}]');
    expect([big.code, big.status], big.err).toEqual([0, 200]);
    expect(await stored('BIG')).toEqual(['"9007199254740993"', '"c"']);
    // The same in the `{rows}` form.
    const rows = await pushBoth('rows', '{"rows": [{"origin": "BIG2", "event_timestamp": "2001-01-03T00:00:00Z", "dep_delay": 1.0, "flights": 9007199254740995, "carrier": "c"}]}');
    expect(rows.code, rows.err).toBe(0);
    expect(await stored('BIG2')).toEqual(['"9007199254740995"', '"c"']);
    expect(fx.project.runs.list({ kind: 'push', status: 'blocked' }).total).toBe(blockedBefore);
  });

  it('pushes a Feast {df} file with Feast\'s leniency: other columns left out, `created` as the created timestamp', async () => {
    const blockedBefore = fx.project.runs.list({ kind: 'push', status: 'blocked' }).total;
    const extra = await pushBoth('df-extra', '{"df": {"origin": ["DFX"], "event_timestamp": ["2001-01-03T00:00:00Z"], "dep_delay": [1.0], "flights": [4], "carrier": ["d"], "extra": [1]}}');
    expect([extra.code, extra.status], extra.err).toEqual([0, 200]);
    expect(extra.cli).toMatchObject({ status: 'success', ignored_columns: ['extra'] });
    expect(extra.http).toMatchObject({ status: 'success', ignored_columns: ['extra'] });
    expect(await stored('DFX')).toEqual(['4', '"d"']);

    const created = await pushBoth('df-created', '{"df": {"origin": ["DFC"], "event_timestamp": ["2001-01-03T00:00:00Z"], "created": ["2001-01-03T00:00:01Z"], "dep_delay": [1.0], "flights": [5], "carrier": ["d"]}}');
    expect([created.code, created.status], created.err).toEqual([0, 200]);
    expect(created.cli.ignored_columns).toBeUndefined();
    expect(await stored('DFC')).toEqual(['5', '"d"']);
    expect(fx.project.runs.list({ kind: 'push', status: 'blocked' }).total).toBe(blockedBefore);
    // Without --json the left-out columns are named too.
    const file = join(fx.dir, 'df-extra.json');
    const text = await runCli(['--project', fx.dir, 'push', '--view', 'origin_delays', '--file', file]);
    expect(text.out).toMatch(/; columns left out: extra\.$/);

    // An empty frame: nothing pushed, no run, as over HTTP.
    const runsBefore = fx.project.runs.list({ kind: 'push' }).total;
    const empty = await pushBoth('df-empty', '{"df": {"origin": [], "event_timestamp": []}}');
    expect([empty.code, empty.status], empty.err).toEqual([0, 200]);
    expect(empty.cli).toEqual(empty.http);
    expect(fx.project.runs.list({ kind: 'push' }).total).toBe(runsBefore);
  });

  it('still refuses an unknown column outside a Feast {df} file, as {view, rows} does over HTTP, and says where a file is no JSON', async () => {
    const unknown = await pushBoth('unknown', '[{"origin": "UNK", "event_timestamp": "2001-01-03T00:00:00Z", "dep_delay": 1.0, "flights": 4, "carrier": "c", "extra": 1}]');
    expect([unknown.code, unknown.status]).toEqual([2, 400]);
    expect(unknown.err).toContain("unknown property 'extra'");
    const file = join(fx.dir, 'broken.json');
    writeFileSync(file, '[{"origin": "X",]');
    const broken = await runCli(['--project', fx.dir, 'push', '--view', 'origin_delays', '--file', file]);
    expect(broken.code).toBe(2);
    expect(broken.err).toContain(`cannot read rows from ${file}: `);
    expect(broken.err).not.toContain('"rows"');
  });
});
