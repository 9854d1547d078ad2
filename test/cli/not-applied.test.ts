/**
 * A view, service or feature edited into the project's files but not applied: the CLI says to apply, instead of
 * "unknown" with a did-you-mean pointing back at the applied name.
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './cli-io.js';
import { writeSmallProject } from './small-project.js';

let dir: string;
const fg = (...argv: string[]) => runCli(['--project', dir, ...argv]);
beforeAll(() => {
  dir = writeSmallProject('fg-not-applied-');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('a name defined in the files but not applied', () => {
  it('on an empty registry: the error says it is defined in FILE:LINE but not applied', async () => {
    const r = await fg('materialize', '--views', 'stats', '--start', '2001-01-01', '--end', '2001-01-02');
    expect([r.code, r.err]).toEqual([2, "error: unknown feature view 'stats': feature view 'stats' is defined in features/defs.yaml:11 but not applied; run `featureguard apply`"]);
    const none = await fg('materialize', '--views', 'nope', '--start', '2001-01-01', '--end', '2001-01-02');
    expect(none.err).toBe("error: unknown feature view 'nope': nothing is applied yet in this project; run `featureguard apply`");
  });

  it('runs list --view/--service: says it is not applied (and has no runs), not that it is not defined', async () => {
    const view = await fg('runs', 'list', '--view', 'stats');
    expect([view.code, view.err]).toEqual([2, "error: unknown feature view 'stats': feature view 'stats' is defined in features/defs.yaml:11 but not applied, and no run was recorded for it; run `featureguard apply`"]);
    const none = await fg('runs', 'list', '--view', 'nope');
    expect([none.code, none.err]).toEqual([2, "error: unknown feature view 'nope': nothing is applied yet in this project, and no run was recorded for it; run `featureguard apply`"]);
  });

  it('after an edit: a renamed view, a new feature and a new service are said to be not applied, without the did-you-mean', async () => {
    expect((await fg('apply')).code).toBe(0);
    const file = join(dir, 'features', 'defs.yaml');
    writeFileSync(file, readFileSync(file, 'utf8').replace('name: stats', 'name: stats_v2').replace('features: [stats]', 'features: [stats_v2]')
      .replace('  - {name: n, type: int64, min: 0}', '  - {name: n, type: int64, min: 0}\n  - {name: m, type: int64}') + '---\nkind: feature_service\nname: svc2\nfeatures: [stats_v2]\n');
    const view = await fg('materialize', '--views', 'stats_v2', '--start', '2001-01-01', '--end', '2001-01-02');
    expect([view.code, view.err]).toEqual([2, "error: unknown feature view 'stats_v2': feature view 'stats_v2' is defined in features/defs.yaml:11 but not applied; run `featureguard apply`"]);
    const ref = await fg('online', 'get', '--features', 'stats_v2:n', '--entity', 'origin=SEA');
    expect(ref.err).toBe("error: unknown feature view 'stats_v2' in reference 'stats_v2:n': feature view 'stats_v2' is defined in features/defs.yaml:11 but not applied; run `featureguard apply`");
    const service = await fg('--json', 'online', 'get', '--service', 'svc2', '--entity', 'origin=SEA');
    expect(JSON.parse(service.err).error).toMatchObject({ code: 'unknown_service', message: expect.stringContaining("feature service 'svc2' is defined in features/defs.yaml:") });
    const runs = await fg('runs', 'list', '--view', 'stats_v2');
    expect([runs.code, runs.err]).toEqual([2, "error: unknown feature view 'stats_v2': feature view 'stats_v2' is defined in features/defs.yaml:11 but not applied, and no run was recorded for it; run `featureguard apply`"]);
    const serviceRuns = await fg('--json', 'runs', 'list', '--service', 'svc2');
    expect(JSON.parse(serviceRuns.err).error).toMatchObject({ code: 'unknown_service', message: expect.stringMatching(/^unknown feature service 'svc2': feature service 'svc2' is defined in features\/defs\.yaml:\d+ but not applied, and no run was recorded for it; run `featureguard apply`$/) });
    // A typo still gets its did-you-mean, now from materialize too.
    const typo = await fg('materialize', '--views', 'stat', '--start', '2001-01-01', '--end', '2001-01-02');
    expect(typo.err).toBe("error: unknown feature view 'stat' (did you mean 'stats'?)");
    const typoRuns = await fg('runs', 'list', '--view', 'stat');
    expect(typoRuns.err).toBe("error: unknown feature view 'stat' (did you mean 'stats'?): it is not defined and no run was recorded for it");
  });

  it('a feature added to an applied view is said to be not applied', async () => {
    const file = join(dir, 'features', 'defs.yaml');
    writeFileSync(file, readFileSync(file, 'utf8').replace('name: stats_v2', 'name: stats'));
    const r = await fg('online', 'get', '--features', 'stats:m', '--entity', 'origin=SEA');
    expect(r.err).toBe("error: unknown feature 'm' in view 'stats': feature 'm' of view 'stats' is defined in features/defs.yaml:19 but not applied; run `featureguard apply`");
  });
});

describe('describe NAME of an object defined in the files but not applied', () => {
  let own: string;
  const run = (...argv: string[]) => runCli(['--project', own, ...argv]);
  beforeAll(() => {
    own = writeSmallProject('fg-not-applied-describe-');
  });
  afterAll(() => rmSync(own, { recursive: true, force: true }));

  it('says where it is defined, for every kind, as the other commands do', async () => {
    const empty = await run('describe', 'stats');
    expect([empty.code, empty.err]).toEqual([2, "error: no object named 'stats' in the registry: feature view 'stats' is defined in features/defs.yaml:11 but not applied; run `featureguard apply`"]);
    const nothing = await run('describe', 'nope');
    expect(nothing.err).toBe("error: no object named 'nope' in the registry: nothing is applied yet in this project; run `featureguard apply`");

    expect((await run('apply')).code).toBe(0);
    const file = join(own, 'features', 'defs.yaml');
    writeFileSync(file, readFileSync(file, 'utf8') + '---\nkind: entity\nname: carrier\njoin_keys: [{name: carrier, type: string}]\n---\nkind: feature_service\nname: svc2\nfeatures: [stats]\n');
    const entity = await run('describe', 'carrier');
    expect([entity.code, entity.err]).toEqual([2, "error: no object named 'carrier' in the registry: entity 'carrier' is defined in features/defs.yaml:24 but not applied; run `featureguard apply`"]);
    const service = await run('describe', 'svc2', '--kind', 'service');
    expect(service.err).toBe("error: no feature_service named 'svc2' in the registry: feature service 'svc2' is defined in features/defs.yaml:28 but not applied; run `featureguard apply`");
    // Asked as another kind: not that object.
    const otherKind = await run('describe', 'svc2', '--kind', 'view');
    expect(otherKind.err).toBe("error: no feature_view named 'svc2' in the registry (run 'featureguard list')");
    const unknown = await run('describe', 'nope');
    expect(unknown.err).toBe("error: no object named 'nope' in the registry (run 'featureguard list')");
    // A misspelt name gets the did-you-mean the SDK and the API give (any kind; with --kind, that kind's names).
    const typo = await run('describe', 'stat');
    expect([typo.code, typo.err]).toEqual([2, "error: no object named 'stat' in the registry (did you mean 'stats'?)"]);
    expect((await run('describe', 'airprot', '--kind', 'entity')).err).toBe("error: no entity named 'airprot' in the registry (did you mean 'airport'?)");
    expect((await run('describe', 'sv', '--kind', 'service')).err).toBe("error: no feature_service named 'sv' in the registry (did you mean 'svc'?)");
    expect((await run('describe', 'airprot', '--kind', 'view')).err).toBe("error: no feature_view named 'airprot' in the registry (run 'featureguard list')");
    expect(JSON.parse((await run('--json', 'describe', 'stat@1')).err).error).toMatchObject({ code: 'not_found', message: "no object named 'stat' in the registry (did you mean 'stats'?)" });
    const json = await run('--json', 'describe', 'carrier');
    expect(JSON.parse(json.err).error).toMatchObject({ code: 'not_found', message: expect.stringContaining("entity 'carrier' is defined in features/defs.yaml:24 but not applied") });
  });

});

describe('a view not online in the registry', () => {
  it('a view set online: true in its file but applied offline: materialize says to apply, not to set online: true', async () => {
    const own = writeSmallProject('fg-not-online-');
    const fg = (...argv: string[]) => runCli(['--project', own, ...argv]);
    const file = join(own, 'features', 'defs.yaml');
    writeFileSync(file, readFileSync(file, 'utf8').replace('online: true', 'online: false'));
    const applied = await fg('apply');
    expect(applied.code, applied.err).toBe(0);
    // Offline in the file too: set it online (and apply).
    const offline = await fg('materialize', '--views', 'stats', '--start', '2001-01-01', '--end', '2001-01-02');
    expect([offline.code, offline.err]).toEqual([2, "error: feature view 'stats' is not online in its applied definition: set online: true in its definition and run `featureguard apply` to materialize it"]);
    const offlineGet = await fg('online', 'get', '--features', 'stats:n', '--entity', 'origin=SEA');
    expect([offlineGet.code, offlineGet.err]).toEqual([2, "error: feature view 'stats' is not online (its definition has online: false) and has no online values"]);
    // Online in the file, not applied: said so, with where.
    writeFileSync(file, readFileSync(file, 'utf8').replace('online: false', 'online: true'));
    const r = await fg('materialize', '--views', 'stats', '--start', '2001-01-01', '--end', '2001-01-02');
    expect([r.code, r.err]).toEqual([2, "error: feature view 'stats' is not online in its applied definition: features/defs.yaml:16 sets online: true but is not applied; run `featureguard apply`"]);
    const json = await fg('--json', 'materialize', '--views', 'stats', '--start', '2001-01-01', '--end', '2001-01-02');
    expect(JSON.parse(json.err).error).toMatchObject({ code: 'view_not_online', message: expect.stringContaining('sets online: true but is not applied') });
    // An online read says the same (it said "is not online (its definition has online: false)", which the file did not).
    const get = await fg('online', 'get', '--features', 'stats:n', '--entity', 'origin=SEA');
    expect([get.code, get.err]).toEqual([2, "error: feature view 'stats' is not online in its applied definition: features/defs.yaml:16 sets online: true but is not applied; run `featureguard apply`"]);
    const getJson = await fg('--json', 'online', 'get', '--features', 'stats:n', '--entity', 'origin=SEA');
    expect(JSON.parse(getJson.err).error).toMatchObject({ code: 'view_not_online', message: expect.stringContaining('features/defs.yaml:16 sets online: true but is not applied') });
    expect((await fg('apply')).code).toBe(0);
    expect((await fg('materialize', '--views', 'stats', '--start', '2001-01-01', '--end', '2001-01-02')).code).toBe(0);
    rmSync(own, { recursive: true, force: true });
  });
});
