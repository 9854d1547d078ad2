/**
 * The project commands on the flights example (real data, real SQLite state):
 * validate, plan, apply, list, describe; an edited definition shows in plan
 * and becomes a new version; breaking changes are refused unless allowed; init.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyFlightsProject } from '../helpers/flights.js';
import { runCli } from './cli-io.js';

let root: string;
let dir: string;
const cli = (...argv: string[]) => runCli(['--project', dir, ...argv]);
const editView = (from: string, to: string) => {
  const file = join(dir, 'features', 'airport_hourly.yaml');
  const text = readFileSync(file, 'utf8');
  expect(text).toContain(from);
  writeFileSync(file, text.replace(from, to));
};

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'fg-cli-'));
  dir = await copyFlightsProject(join(root, 'flights'), { data: 'link' });
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('project commands on the flights example', () => {
  it('validate reports the objects and checks the sources', async () => {
    const r = await cli('validate');
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^OK: project 'flights': 3 entities, 3 sources, 3 feature views, 1 feature service/);
    const j = JSON.parse((await cli('--json', 'validate')).out);
    expect(j).toEqual({ ok: true, project: 'flights', counts: { entity: 3, source: 3, feature_view: 3, feature_service: 1 }, problems: [], warnings: [] });
  });

  it('plan shows every object to add, apply applies them, a second apply changes nothing', async () => {
    const plan = await cli('plan');
    expect(plan.code).toBe(0);
    expect(plan.out).toContain('Plan: 10 to add, 0 to change, 0 to remove, 0 unchanged.');
    expect(plan.out).toContain('  + feature_view airport_hourly');
    expect(plan.out).toContain('  + feature_service delay_model');

    const applied = await cli('apply');
    expect(applied.code).toBe(0);
    expect(applied.out).toContain('Applied 10 changes');

    const again = await cli('--json', 'apply');
    expect(again.code).toBe(0);
    expect(JSON.parse(again.out).applied).toEqual([]);
    expect((await cli('plan')).out).toContain('No changes');
  });

  it('the SDK facade plans against the same registry', async () => {
    const { openFeatureStore } = await import('../../src/sdk/index.js');
    const store = await openFeatureStore(dir);
    try {
      const plan = await store.plan();
      expect(plan.hasChanges).toBe(false);
      expect(plan.changes).toHaveLength(10);
      expect((await store.apply()).applied).toEqual([]);
    } finally {
      await store.close();
    }
  });

  it('the SDK validates definitions from code like files: schema and references, nothing applied', async () => {
    const { openFeatureStore, defineEntity, defineFeatureView } = await import('../../src/sdk/index.js');
    const { DefinitionError } = await import('../../src/errors.js');
    const store = await openFeatureStore(dir);
    try {
      const before = store.project.registry.generation();
      const bad = [
        { kind: 'entity', name: 'a;drop table x', join_keys: [{ name: 'k', type: 'string' }] },
        defineFeatureView({ name: 'v', entities: ['nosuch'], source: 'nosrc', features: [{ name: 'x', type: 'float64' }] }),
      ] as unknown as Parameters<typeof store.apply>[0];
      const e = await store.apply(bad).catch((x: unknown) => x);
      expect(e).toBeInstanceOf(DefinitionError);
      const problems = (e as InstanceType<typeof DefinitionError>).problems.map((p) => `${p.file} ${p.path}`);
      expect(problems).toEqual(expect.arrayContaining(['(code)[0] /name', '(code)[1] /entities/0', '(code)[1] /source']));
      await expect(store.plan([defineEntity({ name: 'ok', join_keys: [{ name: 'k', type: 'float64' as 'string' }] })])).rejects.toThrow(/\(code\)\[0\].*join_keys\/0\/type/);
      expect(store.project.registry.generation()).toBe(before);
    } finally {
      await store.close();
    }
  });

  it('the SDK store waits for a materialization on close, and refuses calls after it with store_closed', async () => {
    const { openFeatureStore } = await import('../../src/sdk/index.js');
    const store = await openFeatureStore(dir);
    const running = store.materialize({ start: '2001-01-02', end: '2001-01-03', views: ['airport_hourly'] });
    const closed = store.close();
    const [result] = await running;
    expect(result.status).not.toBe('failed');
    await closed;
    await store.close(); // twice is fine
    await expect(store.getOnlineFeatures({ features: ['airport_hourly:departures'], entities: { origin: ['SEA'] } })).rejects.toMatchObject({ code: 'store_closed' });
    expect(() => store.pruneRuns({ before: new Date() })).toThrow(/closed/);
    expect(() => store.runs.list()).toThrow(/closed/);
    // The run finished and its lease is free: another store materializes the view at once.
    const next = await openFeatureStore(dir);
    try {
      expect(next.runs.get(result.run!.id).status).toBe(result.status);
      await expect(next.apply({ kind: 'entity' } as never)).rejects.toMatchObject({ code: 'invalid_request' });
      await expect(next.materialize({ start: '2001-01-02', end: '2001-01-03', views: 'airport_hourly' as never })).rejects.toMatchObject({ code: 'invalid_request' });
      await expect(next.push({ view: 'airport_hourly', rows: {} as never })).rejects.toMatchObject({ code: 'invalid_rows' });
      expect((await next.materialize({ start: '2001-01-02', end: '2001-01-03', views: ['airport_hourly'] }))[0].status).not.toBe('failed');
    } finally {
      await next.close();
    }
  });

  it('list --json gives every object at version 1; list views filters', async () => {
    const rows = JSON.parse((await cli('--json', 'list')).out) as { kind: string; name: string; version: number; hash: string }[];
    expect(rows.map((r) => `${r.kind}/${r.name}`)).toEqual([
      'entity/airport', 'entity/flight', 'entity/route',
      'source/airport_hourly_source', 'source/flights_source', 'source/route_daily_source',
      'feature_view/airport_hourly', 'feature_view/flight_outcome', 'feature_view/route_daily',
      'feature_service/delay_model',
    ]);
    expect(rows.every((r) => r.version === 1 && /^[0-9a-f]{64}$/.test(r.hash))).toBe(true);
    const views = await cli('list', 'views');
    expect(views.out.split('\n')).toHaveLength(4);
    expect(views.out).toMatch(/feature_view\s+airport_hourly\s+v1\s+[0-9a-f]{12}\s+\S+ \S+Z\s+5 features, ttl 6h, allowed lateness 1h, online$/m);
    // Only a view that sets allowed_lateness says it; --json's summary is the same text.
    expect(views.out).toMatch(/feature_view\s+route_daily\s+.*\s+\d+ features, ttl 2d, online$/m);
    expect(views.out.split('\n').filter((l) => l.includes('lateness'))).toHaveLength(1);
    const summaries = Object.fromEntries((JSON.parse((await cli('--json', 'list', 'views')).out) as { name: string; summary: string }[]).map((r) => [r.name, r.summary]));
    expect(summaries.airport_hourly).toBe('5 features, ttl 6h, allowed lateness 1h, online');
    expect(summaries.route_daily).not.toContain('lateness');
    expect((await cli('list', 'nonsense')).code).toBe(2);
  });

  it('describe airport_hourly prints the definition as YAML and its versions', async () => {
    const r = await cli('describe', 'airport_hourly');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^feature_view airport_hourly: version 1, applied .*, hash [0-9a-f]{12}/);
    expect(r.out).toContain('kind: feature_view');
    expect(r.out).toContain('ttl: 6h');
    expect(r.out).toContain('name: share_delayed');
    expect(r.out).toContain('Versions (1):');
    expect((await cli('describe', 'no_such_thing')).code).toBe(2);
  });

  it('an edited definition: plan shows the field diff first, apply makes version 2', async () => {
    editView('ttl: 6h', 'ttl: 12h');
    const plan = await cli('plan');
    expect(plan.out).toContain('Plan: 0 to add, 1 to change, 0 to remove, 9 unchanged.');
    expect(plan.out).toContain('  ~ feature_view airport_hourly\n      /ttl: "6h" -> "12h"');
    const planJson = JSON.parse((await cli('--json', 'plan')).out);
    expect(planJson.changes.find((c: { name: string }) => c.name === 'airport_hourly')).toMatchObject({
      action: 'change',
      changes: [{ path: '/ttl', before: '6h', after: '12h' }],
      breaking: [],
    });

    const applied = await cli('apply');
    expect(applied.code).toBe(0);
    expect(applied.out).toContain('/ttl: "6h" -> "12h"'); // the plan is shown before applying
    expect(applied.out).toContain('Applied 1 change: feature_view airport_hourly v2.');

    const d = JSON.parse((await cli('--json', 'describe', 'airport_hourly', '--versions')).out);
    expect(d.version).toBe(2);
    expect(d.definition.ttl).toBe('12h');
    expect(d.versions.map((v: { version: number }) => v.version)).toEqual([1, 2]);
    expect(d.versions[1].changes).toEqual([{ path: '/ttl', before: '6h', after: '12h' }]);
    expect(d.versions[0].hash).not.toBe(d.versions[1].hash);
    const text = await cli('describe', 'airport_hourly', '--versions');
    expect(text.out).toMatch(/Versions \(2\):\n {2}v1 .*\n {2}v2 .*\n {6}\/ttl: "6h" -> "12h"/);
  });

  it('refuses a breaking change (exit 2, a usage error) until --allow-breaking', async () => {
    editView('{name: departures, type: int64', '{name: departures, type: float64');
    const plan = await cli('plan');
    expect(plan.out).toContain("! BREAKING: type of feature 'airport_hourly:departures' changed from int64 to float64");
    // What apply will do to the online store is said before it does it.
    expect(plan.out).toContain('Apply drops the online values of airport_hourly: it answers NOT_FOUND until materialized again.');
    expect(JSON.parse((await cli('--json', 'plan')).out).drops).toEqual(['airport_hourly']);
    const refused = await cli('apply');
    expect(refused.code).toBe(2);
    expect(refused.err).toContain('refusing to apply breaking changes');
    const json = await cli('--json', 'apply');
    expect(JSON.parse(json.err).error.code).toBe('breaking_change');
    expect(JSON.parse((await cli('--json', 'describe', 'airport_hourly')).out).version).toBe(2);
    // The same error shape as the API's, `details` null when there are none.
    expect(JSON.parse((await cli('--json', 'describe', 'no_such_object')).err)).toEqual({ error: { code: 'not_found', message: expect.any(String), details: null } });
    const allowed = await cli('apply', '--allow-breaking');
    expect(allowed.code).toBe(0);
    expect(allowed.out).toContain('feature_view airport_hourly v3');
    expect(allowed.out).toContain('Dropped the online values of airport_hourly: changed in a breaking way; it answers NOT_FOUND until materialized again.');
  });

  it('validate names an alert filtering on a view or service that is not defined (it would never fire)', async () => {
    const copy = await copyFlightsProject(join(root, 'alerting'));
    const config = join(copy, 'featureguard.yaml');
    writeFileSync(config, `${readFileSync(config, 'utf8')}\nalerts:\n  - name: retrain\n    url: "http://127.0.0.1:8/hook"\n    views: [airport_hourly, airport_hourlyy]\n    services: [delay_modle]\n`);
    const r = await runCli(['--project', copy, '--json', 'validate']);
    expect(r.code).toBe(2);
    expect(JSON.parse(r.out).problems).toEqual([
      { file: 'featureguard.yaml', path: '/alerts/0/views/1', message: "alert 'retrain' filters on feature view 'airport_hourlyy', which is not defined: it never fires for it (did you mean 'airport_hourly'?)" },
      { file: 'featureguard.yaml', path: '/alerts/0/services/0', message: "alert 'retrain' filters on feature service 'delay_modle', which is not defined: it never fires for it (did you mean 'delay_model'?)" },
    ]);
  });

  it('validate warns (exit 0) about an alert secret unset here and redeliver_for beside min_interval', async () => {
    const copy = await copyFlightsProject(join(root, 'alert-settings'));
    const config = join(copy, 'featureguard.yaml');
    writeFileSync(config, `${readFileSync(config, 'utf8')}\nalerts:\n  - name: retrain\n    url: "http://127.0.0.1:8/hook"\n    secret_env: FG_TEST_UNSET_SECRET\n    min_interval: 1h\n    redeliver_for: 48h\n  - name: fine\n    url: "http://127.0.0.1:8/hook"\n    min_interval: 0\n    redeliver_for: 1h\n`);
    delete process.env.FG_TEST_UNSET_SECRET;
    const r = await runCli(['--project', copy, 'validate']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^OK: project 'flights'/);
    expect(r.out).toContain("warning: featureguard.yaml /alerts/0/secret_env: alert 'retrain': FG_TEST_UNSET_SECRET is not set in this environment");
    expect(r.out).toContain("warning: featureguard.yaml /alerts/0/redeliver_for: alert 'retrain': redeliver_for is ignored beside min_interval");
    expect(JSON.parse((await runCli(['--project', copy, '--json', 'validate'])).out).warnings.map((w: { path: string }) => w.path)).toEqual(['/alerts/0/secret_env', '/alerts/0/redeliver_for']);
  });

  it('plan and apply warn when a view an alert filters on is renamed away (the alert would stop firing)', async () => {
    const copy = await copyFlightsProject(join(root, 'alert-rename'));
    const config = join(copy, 'featureguard.yaml');
    writeFileSync(config, `${readFileSync(config, 'utf8')}\nalerts:\n  - name: retrain\n    url: "http://127.0.0.1:8/hook"\n    views: [route_daily]\n`);
    const run = (...argv: string[]) => runCli(['--project', copy, ...argv]);
    expect((await run('apply')).code).toBe(0);
    for (const [file, from] of [['route_daily.yaml', 'name: route_daily\n'], ['delay_model.yaml', 'route_daily]']]) {
      const path = join(copy, 'features', file);
      const text = readFileSync(path, 'utf8');
      expect(text).toContain(from);
      writeFileSync(path, text.replace(from, from.replace('route_daily', 'route_daily_v2')));
    }
    const warning = "warning: featureguard.yaml /alerts/0/views/0: alert 'retrain' filters on feature view 'route_daily', which is not defined: it never fires for it (did you mean 'route_daily_v2'?)";
    const plan = await run('plan');
    expect(plan.code).toBe(0);
    expect(plan.out).toContain('+ feature_view route_daily_v2');
    expect(plan.out).toContain(warning);
    expect(JSON.parse((await run('--json', 'plan')).out).alert_problems).toEqual([
      { file: 'featureguard.yaml', path: '/alerts/0/views/0', message: expect.stringContaining("filters on feature view 'route_daily', which is not defined") },
    ]);
    // A rename removes the old name: --allow-removals.
    const applied = await run('apply', '--allow-breaking', '--allow-removals');
    expect(applied.code).toBe(0);
    expect(applied.out).toContain(warning);
    expect(applied.out).toContain('feature_view route_daily_v2 v1');
    // Applied: the JSON of an apply with nothing left to change still names the dead filter.
    expect(JSON.parse((await run('--json', 'apply')).out).alert_problems).toHaveLength(1);
  });

  it('validate names a missing source file and exits 2', async () => {
    const copy = await copyFlightsProject(join(root, 'broken'));
    renameSync(join(copy, 'data', 'route_daily.parquet'), join(copy, 'data', 'moved.parquet'));
    const r = await runCli(['--project', copy, 'validate']);
    expect(r.code).toBe(2);
    expect(r.out).toMatch(/features\/route_daily\.yaml.*route_daily_source|route_daily\.parquet/);
  });
});

describe('init', () => {
  it('refuses an empty --project (an unset variable) instead of opening the project around the working directory', async () => {
    const r = await runCli(['--project', '', 'list']);
    expect([r.code, r.err]).toEqual([2, expect.stringContaining('--project is empty')]);
  });

  it('creates the project in the --project folder when no folder is given, and refuses two different ones', async () => {
    const target = join(root, 'via-project');
    const r = await runCli(['--project', target, 'init']);
    expect([r.code, existsSync(join(target, 'featureguard.yaml'))], r.err).toEqual([0, true]);
    const two = await runCli(['--project', target, 'init', join(root, 'elsewhere')]);
    expect([two.code, two.err]).toEqual([2, expect.stringContaining('two folders')]);
  });

  it('takes --project and a folder that name the same folder in different spellings', async () => {
    const target = join(root, 'same-folder');
    for (const [chosen, given] of [[`${target}/`, target], [`${root}/x/../same-folder`, target], [target, relative(process.cwd(), target)]]) {
      rmSync(target, { recursive: true, force: true });
      const r = await runCli(['--project', chosen, 'init', given]);
      expect([r.code, existsSync(join(target, 'featureguard.yaml'))], `${chosen} ${given}: ${r.err}`).toEqual([0, true]);
    }
  });

  it('scaffolds a project from the example and refuses a non-empty folder without --force', async () => {
    const target = join(root, 'My Store');
    const r = await runCli(['init', target]);
    expect(r.code).toBe(0);
    expect(r.out).toContain("Created project 'my_store'");
    // A folder with a space is quoted in the next steps, ready to paste.
    expect(r.out).toMatch(/^ {2}cd '[^']*My Store'$/m);
    for (const f of ['featureguard.yaml', 'features/airport_hourly.yaml', 'features/delay_model.yaml', 'prepare.ts', '.gitignore']) {
      expect(existsSync(join(target, f))).toBe(true);
    }
    expect(readFileSync(join(target, 'featureguard.yaml'), 'utf8')).toMatch(/^project: my_store$/m);
    const again = await runCli(['init', target]);
    expect(again.code).toBe(2);
    expect(again.err).toContain("already is the featureguard project 'my_store'");
    // --force does not replace a project (its featureguard.yaml): init-existing-files.test.ts.
    const forced = await runCli(['init', target, '--force']);
    expect([forced.code, forced.err]).toEqual([2, expect.stringContaining("already is the featureguard project 'my_store'")]);
    // The scaffolded definitions load and plan (no data needed for that).
    const plan = await runCli(['--project', target, 'plan']);
    expect(plan.code).toBe(0);
    expect(plan.out).toContain('10 to add');
    expect((await runCli(['init', join(root, 'x'), '--name', 'Bad-Name'])).code).toBe(2);
    // Into a path under a file: exit 2 saying why, not a bare ENOTDIR.
    const underFile = await runCli(['init', join(target, 'featureguard.yaml', 'sub')]);
    expect([underFile.code, underFile.err]).toEqual([2, expect.stringMatching(/cannot create the project in .*: a part of the path is a file, not a folder \((ENOTDIR|EEXIST)\)|a file is in the way/)]);
  });

  it('--force into an existing CommonJS npm project keeps its package.json and .gitignore and adds what the scaffold needs', async () => {
    const target = join(root, 'existing');
    mkdirSync(target);
    writeFileSync(join(target, 'package.json'), JSON.stringify({ name: 'app', scripts: { test: 'node t.js' }, dependencies: { lodash: '^4.0.0', tsx: '^4.0.0' } }));
    writeFileSync(join(target, '.gitignore'), 'node_modules/\n/data/');
    const r = await runCli(['init', target, '--force']);
    expect(r.code, r.err).toBe(0);
    // Not "type": "module": prepare written as .mts, a module whatever the folder.
    expect([existsSync(join(target, 'prepare.mts')), existsSync(join(target, 'prepare.ts'))]).toEqual([true, false]);
    const pkg = JSON.parse(readFileSync(join(target, 'package.json'), 'utf8'));
    expect(pkg).toMatchObject({ name: 'app', scripts: { test: 'node t.js', 'prepare-data': 'tsx prepare.mts' } });
    expect(Object.keys(pkg.dependencies).sort()).toEqual(['@duckdb/node-api', 'featureguard', 'lodash', 'tsx', 'vega-datasets']);
    expect(pkg.dependencies.tsx).toBe('^4.0.0'); // the project's own range is kept
    expect(pkg.type).toBeUndefined();
    expect(readFileSync(join(target, '.gitignore'), 'utf8')).toBe('node_modules/\n/data/\n.featureguard/\n');
  });

  it('the scaffold prepares its data and validates against it', async () => {
    const target = join(root, 'scaffold');
    expect((await runCli(['init', target])).code).toBe(0);
    const written = JSON.parse(readFileSync(join(target, 'package.json'), 'utf8'));
    expect(written).toMatchObject({ type: 'module', scripts: { 'prepare-data': 'tsx prepare.ts' } });
    // The ranges featureguard itself installs: every @duckdb/node-api release is a pre-release, which ^1.5.0 never matched.
    const own = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));
    expect(written.dependencies).toEqual({
      // This installation, linked by npm install: the modelines' schemas (init-editor-schemas.test.ts), npx featureguard.
      featureguard: `file:${relative(target, process.cwd())}`,
      '@duckdb/node-api': own.dependencies['@duckdb/node-api'],
      'vega-datasets': own.dependencies['vega-datasets'] ?? own.devDependencies['vega-datasets'],
      tsx: own.dependencies.tsx ?? own.devDependencies.tsx,
    });
    // What `npm install` gives the folder: the packages prepare.ts imports (linked from this repository).
    symlinkSync(join(process.cwd(), 'node_modules'), join(target, 'node_modules'), 'dir');
    const prep = spawnSync(process.execPath, ['--import', 'tsx', 'prepare.ts', '--no-shift'], { cwd: target, encoding: 'utf8' });
    expect(prep.status, prep.stderr).toBe(0);
    expect(existsSync(join(target, 'data', 'airport_hourly.parquet'))).toBe(true);
    const v = await runCli(['--project', target, 'validate']);
    expect(v.code, v.out + v.err).toBe(0);
  }, 120_000);
});

describe('a state database that cannot be opened', () => {
  it('is a clear exit-3 error naming the file and what to do, also as JSON', async () => {
    const p = mkdtempSync(join(tmpdir(), 'fg-cli-state-'));
    try {
      writeFileSync(join(p, 'featureguard.yaml'), 'project: broken_state\n');
      // The state folder is a file.
      writeFileSync(join(p, '.featureguard'), 'not a folder');
      const asFile = await runCli(['--project', p, 'list']);
      expect(asFile.code).toBe(3);
      expect(asFile.err).toMatch(/^error: cannot open .*\.featureguard\/state\.db: .*featureguard keeps its state in .*\.featureguard: it must be a folder this user can write/);
      rmSync(join(p, '.featureguard'));
      // A damaged file.
      await runCli(['--project', p, 'list']);
      writeFileSync(join(p, '.featureguard', 'state.db'), 'garbage, not SQLite '.repeat(400));
      rmSync(join(p, '.featureguard', 'state.db-wal'), { force: true });
      rmSync(join(p, '.featureguard', 'state.db-shm'), { force: true });
      const damaged = await runCli(['--project', p, '--json', 'list']);
      expect(damaged.code).toBe(3);
      expect(JSON.parse(damaged.err).error).toMatchObject({ code: 'state_unavailable', message: expect.stringContaining('damaged or not a SQLite database') });
    } finally {
      rmSync(p, { recursive: true, force: true });
    }
  });
});
