/**
 * The quality CLI end to end: runs list/show, lineage export, check (view and
 * dataset, exit codes), baseline pin/list/unpin, drift against a pinned baseline,
 * runs prune and the PII column memory.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { literal } from '../../src/offline/engine.js';
import { DEFAULT_SOURCE, guardBench, type GuardBench } from './helpers.js';

async function cli(dir: string, ...args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(['--project', dir, ...args], { out: (t) => (out += `${t}\n`), err: (t) => (err += `${t}\n`), isTty: false });
  return { code, out, err };
}

let bench: GuardBench | undefined;
afterEach(async () => {
  await bench?.close();
  bench = undefined;
});

describe('quality CLI', () => {
  it('lists and shows runs, exports lineage, pins baselines and checks views with exit codes', async () => {
    bench = await guardBench({ services: [{ kind: 'feature_service', name: 'svc', features: ['delays'] }] });
    const dir = bench.dir;
    const r1 = await bench.runWindow('2024-01-01', '2024-01-08');
    const r2 = await bench.runWindow('2025-01-01', '2025-01-02'); // empty: warned

    const list = await cli(dir, '--json', 'runs', 'list', '--view', 'delays', '--status', 'warned');
    expect(list.code).toBe(0);
    const parsed = JSON.parse(list.out) as { runs: { id: string }[]; total: number };
    expect(parsed.runs.map((r) => r.id)).toEqual([r2.runId]);
    expect((await cli(dir, 'runs', 'list', '--since', '1d')).out).toContain(r1.runId);
    expect((await cli(dir, 'runs', 'list', '--kind', 'nope')).code).toBe(2);
    // Paging and an upper bound, as GET /v1/runs has them: newest first.
    const page = async (...args: string[]) => (JSON.parse((await cli(dir, '--json', 'runs', 'list', '--view', 'delays', ...args)).out) as { runs: { id: string }[]; total: number });
    expect((await page('--limit', '1', '--offset', '1')).runs.map((r) => r.id)).toEqual([r1.runId]);
    expect((await page('--until', '1d')).runs).toEqual([]);
    expect((await page('--until', '2999-01-01')).runs.map((r) => r.id)).toEqual([r2.runId, r1.runId]);
    const badOffset = await cli(dir, 'runs', 'list', '--offset', '-1');
    expect([badOffset.code, badOffset.err]).toEqual([2, expect.stringContaining("invalid --offset '-1'")]);
    expect((await cli(dir, 'runs', 'list', '--until', '3 days')).code).toBe(2);
    // Numbers and ages too large for SQLite or a Date: exit 2 naming the flag, not a raw error.
    for (const args of [['--limit', '99999999999999999999'], ['--since', '99999999999d'], ['--offset', '1e3']]) {
      const r = await cli(dir, 'runs', 'list', ...args);
      expect([r.code, r.err], args.join(' ')).toEqual([2, expect.stringContaining(`invalid ${args[0]}`)]);
    }
    expect((await cli(dir, 'runs', 'prune', '--older-than', '99999999999999w')).code).toBe(2);
    expect((await cli(dir, 'materialize', '--views', ',,', '--start', '2024-01-01', '--end', '2024-01-02')).err).toContain('--views is empty');

    const show = await cli(dir, 'runs', 'show', r2.runId);
    expect(show.out).toContain('status WARNED');
    expect(show.out).toMatch(/\[fail\] \(warn\) anomaly\.volume: the window has 0 rows/);
    // It says where the source's rows are: a window outside them reads nothing.
    expect(show.out).toMatch(/the window has 0 rows \(2025-01-01T00:00:00\.000Z to 2025-01-02T00:00:00\.000Z\); the source's \d+ row\(s\) span 2024-\d\d-\d\dT[\d:.]+Z to 2024-\d\d-\d\dT[\d:.]+Z/);
    const showJson = JSON.parse((await cli(dir, '--json', 'runs', 'show', r1.runId)).out) as { results: unknown[]; profiles: { column: string }[] };
    expect(showJson.profiles.map((p) => p.column)).toContain('delay');

    const lineage = JSON.parse((await cli(dir, 'lineage', 'export', r1.runId)).out) as Record<string, any>;
    expect(lineage.eventType).toBe('COMPLETE');
    expect(lineage.run.runId).toBe(r1.runId);
    expect(lineage.job).toMatchObject({ namespace: 'guards_test', name: 'materialize:delays' });
    const checked = lineage.inputs[0];
    expect(checked).toMatchObject({ namespace: 'featureguard://guards_test', name: '/view/delays' });
    expect(checked.inputFacets.dataQualityMetrics.rowCount).toBe(168);
    expect(checked.facets.schema.fields.map((f: { name: string }) => f.name)).toContain('delay');
    expect(checked.inputFacets.dataQualityAssertions.assertions.length).toBeGreaterThan(5);

    // A blocked run is not what good data looks like.
    const blocked = await bench.runWindow('2024-01-08', '2024-01-15', { transform: "SELECT * REPLACE (CASE WHEN hash(event_timestamp) % 4 = 0 THEN 'ann@example.com' ELSE carrier END AS carrier) FROM w" });
    expect(bench.project.runs.get(blocked.runId).status).toBe('blocked');
    const refused = await cli(dir, 'baseline', 'pin', '--name', 'bad', '--view', 'delays', '--from-run', blocked.runId);
    expect(refused.code).toBe(2);
    expect(refused.err).toContain(`run ${blocked.runId} is blocked (`);
    expect(refused.err).toContain('pin a successful or warned run');

    // Nor is a run written despite a blocking failure (a dataset built with --allow-failed-checks ends `warned`).
    const despite = await bench.runWindow('2024-01-15', '2024-01-22');
    bench.project.runs.update(despite.runId, { status: 'warned' });
    bench.project.runs.addResults([{ run_id: despite.runId, check: 'leakage', feature: 'delay', slice: null, status: 'fail', policy: 'block', method: 'target', value: 1, thresholds: null, metrics: null, message: 'delay: leaks the label', details: null }]);
    const refusedDespite = await cli(dir, 'baseline', 'pin', '--name', 'bad', '--view', 'delays', '--from-run', despite.runId);
    expect(refusedDespite.code).toBe(2);
    expect(refusedDespite.err).toContain('1 blocking check failure(s) (first: delay: leaks the label)');

    const pin = await cli(dir, 'baseline', 'pin', '--name', 'jan', '--view', 'delays', '--from-run', r1.runId);
    expect(pin.code).toBe(0);
    expect(pin.out).toContain("pinned baseline 'jan'");
    expect(JSON.parse((await cli(dir, '--json', 'baseline', 'list')).out)).toMatchObject([{ name: 'jan', view: 'delays', run_id: r1.runId }]);
    // The text form is a table with a header, its columns aligned.
    const listed = (await cli(dir, 'baseline', 'list')).out.trimEnd().split('\n');
    expect(listed).toHaveLength(2);
    expect(listed[0]).toMatch(/^NAME {2,}TARGET {2,}FROM {2,}PINNED$/);
    expect(listed[1]).toMatch(/^jan {2,}view delays {2,}run:\S+ {2,}\d{4}-/);
    expect(listed[1].indexOf('view delays')).toBe(listed[0].indexOf('TARGET'));
    // A filter that matches nothing: an empty list for a known view, a refusal for a typo.
    expect(JSON.parse((await cli(dir, '--json', 'baseline', 'list', '--service', 'svc')).out)).toEqual([]);
    expect(await cli(dir, 'baseline', 'list', '--view', 'delayz')).toMatchObject({ code: 2, err: expect.stringContaining("unknown feature view 'delayz' (did you mean 'delays'?)") });

    // Drift is now measured against the pinned baseline, not the previous (empty) run.
    const check = await cli(dir, '--json', 'check', '--view', 'delays', '--start', '2024-01-15', '--end', '2024-01-22');
    expect(check.code).toBe(0);
    const c = JSON.parse(check.out) as { results: { check: string; feature: string | null; details: Record<string, unknown> }[] };
    expect(c.results.find((x) => x.check === 'drift' && x.feature === 'delay')!.details.reference).toBe('baseline:jan');
    // Unpinned: back to the reference setting (the newest run that succeeded or warned).
    const unpin = await cli(dir, 'baseline', 'unpin', 'jan');
    expect(unpin.out).toContain("unpinned baseline 'jan' of view delays; its drift is now measured against the newest run of 30 or more rows that succeeded or warned (");
    expect(JSON.parse((await cli(dir, '--json', 'baseline', 'list')).out)).toEqual([]);
    expect((await cli(dir, 'baseline', 'unpin', 'jan')).code).toBe(2);
    const after = JSON.parse((await cli(dir, '--json', 'check', '--view', 'delays', '--start', '2024-01-15', '--end', '2024-01-22')).out) as typeof c;
    expect(after.results.find((x) => x.check === 'drift' && x.feature === 'delay')!.details.reference).not.toBe('baseline:jan');

    // A deliberately broken source: null join keys → schema blocks → exit 1.
    await bench.writeSource(`SELECT * REPLACE (CASE WHEN hour(ts) = 0 THEN NULL ELSE airport END AS airport) FROM (${DEFAULT_SOURCE})`);
    const broken = await cli(dir, 'check', '--view', 'delays', '--start', '2024-01-15', '--end', '2024-01-22');
    expect(broken.code).toBe(1);
    expect(broken.out).toMatch(/blocked: schema\.null_key/);
    expect((await cli(dir, 'check', '--view', 'delays')).code).toBe(2);
  });

  it('lists the columns remembered as PII and forgets one, after which runs profile it unmasked again', async () => {
    bench = await guardBench({ viewQuality: { leakage: { pii: 'warn' } } });
    const dir = bench.dir;
    const emails = "SELECT * REPLACE (CASE WHEN hash(event_timestamp) % 4 = 0 THEN 'ann' || hash(event_timestamp) % 3 || '@example.com' ELSE carrier END AS carrier) FROM w";
    const found = await bench.runWindow('2024-01-01', '2024-01-08', { transform: emails });
    const carrier = (runId: string) => bench!.project.runs.profiles(runId).find((p) => p.column === 'carrier')!.profile as { masked?: boolean };
    expect(carrier(found.runId).masked).toBe(true);
    const listed = JSON.parse((await cli(dir, '--json', 'pii', 'list')).out) as { target: string; column: string; run_id: string }[];
    expect(listed).toEqual([expect.objectContaining({ target: 'view:delays', column: 'carrier', run_id: found.runId })]);
    expect((await cli(dir, 'pii', 'list', '--view', 'delays')).out).toContain(`view:delays  carrier  found `);
    // A view that is not defined and has no run is a mistake, not a view without PII.
    expect(await cli(dir, 'pii', 'list', '--view', 'other')).toMatchObject({ code: 2, err: expect.stringContaining("unknown feature view 'other'") });
    // Still remembered: a clean day stays masked.
    const remembered = await bench.runWindow('2024-01-08', '2024-01-09');
    expect(carrier(remembered.runId).masked).toBe(true);
    const missing = await cli(dir, 'pii', 'forget', 'carrier', '--view', 'other');
    expect([missing.code, missing.err]).toEqual([2, expect.stringContaining("column 'carrier' of view other is not remembered as PII")]);
    expect((await cli(dir, 'pii', 'forget', 'carrier')).code).toBe(2);
    expect((await cli(dir, 'pii', 'forget', 'carrier', '--view', 'delays')).code).toBe(0);
    expect(JSON.parse((await cli(dir, '--json', 'pii', 'list')).out)).toEqual([]);
    const clean = await bench.runWindow('2024-01-09', '2024-01-10');
    expect(carrier(clean.runId).masked).toBeUndefined();
  });

  it('prunes old runs from the CLI and from serve (quality_log.keep_days), keeping the newest successful one and running runs', async () => {
    bench = await guardBench({ qualityLog: { keep_days: 30, keep_runs: 1 } });
    const dir = bench.dir;
    const runs = [];
    for (const [start, end] of [['2024-01-01', '2024-01-02'], ['2024-01-02', '2024-01-03'], ['2024-01-03', '2024-01-04']]) runs.push(await bench.runWindow(start, end));
    const blocked = await bench.runWindow('2024-01-04', '2024-01-05', { transform: 'SELECT * REPLACE (NULL AS airport) FROM w' });
    const running = bench.project.runs.create({ kind: 'materialize', view: 'delays' });
    const backdate = bench.project.state.prepare('UPDATE runs SET started_at = ? WHERE id = ?');
    for (const [i, r] of [...runs, blocked].entries()) backdate.run(new Date(Date.UTC(2025, 0, 1 + i)).toISOString(), r.runId);
    backdate.run('2025-01-01T00:00:00.000Z', running.id);
    expect(bench.project.runs.get(blocked.runId).status).toBe('blocked');
    const remaining = () => new Set(bench!.project.runs.list({ limit: 100 }).runs.map((r) => r.id));

    const dry = JSON.parse((await cli(dir, '--json', 'runs', 'prune', '--older-than', '30d', '--keep', '1', '--dry-run')).out) as { deleted: number; trimmed: number; protected: number };
    expect(remaining().size).toBe(5);
    // The two older successful runs hold the newest tamper checksums of their days: cut to their summary, not removed.
    expect(dry).toMatchObject({ deleted: 1, trimmed: 2, protected: 2, dryRun: true });
    const done = await cli(dir, 'runs', 'prune', '--older-than', '30d', '--keep', '1');
    expect(done.out).toMatch(/^removed 1 run\(s\) started before .*; cut 2 to their summary .*; kept 2 whole/);
    expect(remaining()).toEqual(new Set([runs[0].runId, runs[1].runId, runs[2].runId, running.id]));
    expect(bench.project.runs.results(runs[0].runId)).toEqual([]);
    expect((await cli(dir, 'runs', 'show', runs[0].runId)).out).toContain('check results and profiles pruned');
    expect(bench.project.runs.results(runs[2].runId).length).toBeGreaterThan(0);
    expect((await cli(dir, 'runs', 'prune', '--older-than', 'soon')).code).toBe(2);
    expect((await cli(dir, 'runs', 'prune', '--older-than', '2999-01-01')).err).toContain('is in the future');
    expect((await cli(dir, 'runs', 'prune', '--older-than', '30d', '--keep', '0x10')).err).toContain("invalid --keep '0x10'");

    // serve with quality_log.keep_days prunes at start: a new old run without checksums goes.
    const old = bench.project.runs.create({ kind: 'push', view: 'delays' });
    bench.project.runs.update(old.id, { status: 'blocked', finished_at: new Date().toISOString() });
    backdate.run('2025-02-01T00:00:00.000Z', old.id);
    const { startServer } = await import('../../src/server/serve.js');
    const { pino } = await import('pino');
    const server = await startServer(bench.project, { port: 0, scheduler: false, quiet: true, logger: pino({ level: 'silent' }) });
    try {
      for (let i = 0; i < 100 && remaining().has(old.id); i++) await new Promise((r) => setTimeout(r, 10));
      expect(remaining().has(old.id)).toBe(false);
      expect(remaining().has(runs[2].runId)).toBe(true);
    } finally {
      await server.close();
    }
  });

  it('checks a dataset file for a service and pins a baseline from its manifest', async () => {
    bench = await guardBench({ services: [{ kind: 'feature_service', name: 'svc', features: ['delays'] }] });
    const dir = bench.dir;
    const file = join(dir, 'train.parquet');
    await bench.conn.run(`COPY (SELECT airport, ts AS event_timestamp, delay, carrier FROM (${DEFAULT_SOURCE})) TO ${literal(file)} (FORMAT parquet)`);
    const res = await cli(dir, '--json', 'check', '--dataset', file, '--service', 'svc');
    expect(res.code).toBe(0);
    const out = JSON.parse(res.out) as { run_id: string; results: { check: string; method: string; feature: string; status: string }[] };
    expect(out.results.find((r) => r.check === 'schema' && r.method === 'type' && r.feature === 'delay')!.status).toBe('pass');
    writeFileSync(`${file}.manifest.json`, JSON.stringify({ run_id: out.run_id }));
    const pin = await cli(dir, 'baseline', 'pin', '--name', 'train', '--service', 'svc', '--from-dataset', `${file}.manifest.json`);
    expect(pin.code).toBe(0);
    // A service's baseline (a training set) serves a view only when the view names it: by default the view's own history.
    const g = await bench.runWindow('2024-01-08', '2024-01-15');
    const drift = g.results.filter((r) => r.check === 'drift');
    expect(drift.map((r) => [r.status, r.message])).toEqual([['skipped', expect.stringContaining('no reference yet')]]);
    expect((await cli(dir, 'baseline', 'pin', '--name', 'Bad-Name', '--service', 'svc', '--from-run', out.run_id)).code).toBe(2);
    expect((await cli(dir, 'baseline', 'pin', '--name', '-train', '--service', 'svc', '--from-run', out.run_id)).code).toBe(2);
    // Dated names as QUALITY-CHECKS.md writes them: '-' and '.' are allowed in a baseline's name.
    const dated = await cli(dir, '--json', 'baseline', 'pin', '--name', 'train-2001-05', '--service', 'svc', '--from-run', out.run_id);
    expect(dated.code).toBe(0);
    expect(JSON.parse(dated.out)).toMatchObject({ name: 'train-2001-05', service: 'svc' });

    // Bad input to check: clear exit-2 errors, never a DuckDB dump.
    const bad = async (...args: string[]) => {
      const r = await cli(dir, '--json', 'check', ...args);
      return [r.code, (JSON.parse(r.err) as { error: { code: string } }).error.code];
    };
    writeFileSync(`${file}.manifest.json`, '{"columns": 5');
    expect(await bad('--dataset', file, '--service', 'svc')).toEqual([2, 'bad_manifest']);
    writeFileSync(`${file}.manifest.json`, '{"columns": "all"}');
    expect(await bad('--dataset', file, '--service', 'svc')).toEqual([2, 'bad_manifest']);
    const truncated = join(dir, 'truncated.parquet');
    writeFileSync(truncated, readFileSync(file).subarray(0, 100));
    expect(await bad('--dataset', truncated, '--service', 'svc')).toEqual([2, 'bad_dataset_file']);
    expect(await bad('--dataset', dir, '--service', 'svc')).toEqual([2, 'bad_dataset_file']);
    expect(await bad('--view', 'delays', '--start', '2024-02-30', '--end', '2024-03-05')).toEqual([2, 'bad_request']);
    // A window that has not ended: its rows so far would be compared with whole windows (a false volume drop).
    const tomorrow = new Date(Date.now() + 86_400_000).toISOString().slice(0, 10);
    expect(await bad('--view', 'delays', '--start', '2024-01-01', '--end', tomorrow)).toEqual([2, 'end_in_future']);
  });
});
