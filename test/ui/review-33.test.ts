/**
 * Review findings of stop 33 on the quality-log pages and `runs show`: a feature's history once a view takes
 * pushes, a misspelt feature's history and drift pages, what a push wrote and what to do after a blocked
 * materialization (page and CLI alike), what drift is measured against, fails under a warn policy, a skipped drift
 * check's page, and the small words. Over HTTP on the UI fixture (three materializations of airport_hourly) with
 * runs added through the run store as the guard stage and the push route write them.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatRunShow } from '../../src/cli/commands/quality-format.js';
import { openProject } from '../../src/project.js';
import { uiRoutes } from '../../src/server/ui/index.js';
import type { CheckResult, Run } from '../../src/runs/types.js';
import { keptValues } from '../../src/runs/run-facts.js';
import { airport, createUiFixture, service, setStartedAt, source, viewV2, type UiFixture } from './fixture.js';

let f: UiFixture;
let app: Hono;
const pushes: Run[] = [];
let measuredPush: Run;
let skippedPush: Run;
let blockedPush: Run;
let failedRun: Run;

const text = (html: string) =>
  html.replace(/<[^>]+>/g, ' ').replace(/&#39;/g, "'").replace(/&quot;/g, '"').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&').replace(/\s+/g, ' ').trim();
const get = async (path: string) => {
  const res = await app.request(path);
  return { status: res.status, html: await res.text() };
};
const at = (i: number) => new Date(Date.parse('2026-11-23T00:00:00.000Z') + i * 60_000).toISOString();

/** A one-row push of airport_hourly as the push route records it: drift skipped (1 value < min_rows 30). */
async function onePush(i: number, options: Record<string, unknown>, status: 'success' | 'blocked' = 'success'): Promise<Run> {
  const run = f.project.runs.create({ kind: 'push', view: 'airport_hourly', options });
  await f.project.runs.addProfiles(run.id, [{ column: 'mean_delay', profile: { count: 1, nulls: 0 } }]);
  const drift: CheckResult = { run_id: run.id, check: 'drift', feature: 'mean_delay', slice: null, status: 'skipped', policy: 'warn', method: null, value: null, thresholds: null, metrics: null, message: 'mean_delay: 1 value(s) < min_rows 30, too few to compare', details: { reason: 'min_rows', n_cur: 1, min_rows: 30 } };
  await f.project.runs.addResults([drift]);
  f.project.runs.update(run.id, { status, counts: { pass: 0, warn: 0, fail: 0, error: 0, skipped: 1 }, rows_in: 1, rows_out: status === 'blocked' ? 0 : Number(options.written ?? 1), finished_at: at(i), message: status === 'blocked' ? 'schema.range: share_delayed outside [0, 1]' : null });
  setStartedAt(f.project, run.id, at(i));
  return f.project.runs.get(run.id);
}

beforeAll(async () => {
  f = await createUiFixture();
  app = new Hono().route('/ui', uiRoutes(f.project));
  // A large push whose drift was measured (it belongs in the history), then 60 one-row pushes.
  measuredPush = f.project.runs.create({ kind: 'push', view: 'airport_hourly', options: { to: 'online', rows: 500, written: 500, skipped: 0 } });
  await f.project.runs.addResults([{ run_id: measuredPush.id, check: 'drift', feature: 'mean_delay', slice: null, status: 'pass', policy: 'warn', method: 'wasserstein', value: 0.05, thresholds: { warn: 0.1 }, metrics: { psi: 0.0437 }, message: 'no drift', details: null }]);
  f.project.runs.update(measuredPush.id, { status: 'success', counts: { pass: 1, warn: 0, fail: 0, error: 0, skipped: 0 }, rows_in: 500, rows_out: 500, finished_at: at(0) });
  setStartedAt(f.project, measuredPush.id, at(0));
  for (let i = 1; i <= 60; i++) pushes.push(await onePush(i, { to: 'online', rows: 1, written: 1, skipped: 0 }));
  skippedPush = await onePush(61, { to: 'online', rows: 1, written: 0, skipped: 1 });
  blockedPush = await onePush(62, { to: 'online', rows: 1 }, 'blocked');
  // A materialization that failed before reading anything (the source was unreadable).
  const failed = f.project.runs.create({ kind: 'materialize', view: 'airport_hourly', window_start: '2001-07-01T00:00:00.000Z', window_end: '2001-07-02T00:00:00.000Z' });
  f.project.runs.update(failed.id, { status: 'failed', rows_in: 0, rows_out: 0, message: 'source_unreadable: no such file', finished_at: at(63) });
  setStartedAt(f.project, failed.id, at(63));
  failedRun = f.project.runs.get(failed.id);
}, 60_000);
afterAll(async () => f?.close());

describe("a feature's history once the view takes pushes (finding 1)", () => {
  it('lists the runs that have values for the feature, not the newest one-row pushes', async () => {
    const { status, html } = await get('/ui/features/airport_hourly/mean_delay');
    expect(status).toBe(200);
    // The drifted materialization (PSI 0.312) and the measured push (PSI 0.0437) are drawn.
    expect(html).toContain('PSI 0.312 at');
    expect(html).toContain('PSI 0.0437 at');
    expect(html).not.toContain('no values to draw');
    for (const r of [f.reference, f.drifted, f.blocked, measuredPush]) expect(html).toContain(`/ui/runs/${r.id}"`);
    for (const r of pushes) expect(html).not.toContain(`/ui/runs/${r.id}"`);
    // It says what it left out and how to see it.
    // The blocked push wrote nothing: said apart, not counted with the values left out.
    expect(text(html)).toContain('61 pushes without a drift value for mean_delay are left out (61 with too few values to compare, under drift.min_rows). 1 blocked push is left out too (nothing written)');
    expect(html).toContain('href="/ui/features/airport_hourly/mean_delay?kind=push"');
  });

  it('takes ?kind= as /ui/runs does: ?kind=push lists the pushes', async () => {
    const { html } = await get('/ui/features/airport_hourly/mean_delay?kind=push');
    const rows = html.match(/<tr><td class="mono time">/g) ?? [];
    expect(rows).toHaveLength(50);
    expect(html).toContain(`/ui/runs/${blockedPush.id}"`);
    expect(html).not.toContain(`/ui/runs/${f.drifted.id}"`);
    const materialize = await get('/ui/features/airport_hourly/mean_delay?kind=materialize&limit=500');
    expect(materialize.html).toContain(`/ui/runs/${f.drifted.id}"`);
    expect(materialize.html).not.toContain(`/ui/runs/${measuredPush.id}"`);
  });

  it('says so for a kind that is none, and for a parameter the page does not read', async () => {
    const bad = text((await get('/ui/features/airport_hourly/mean_delay?kind=pushes')).html);
    expect(bad).toContain("'pushes' is not a run kind (materialize, dataset, push, check, compact) (did you mean 'push'?): left out");
    const unknown = text((await get('/ui/features/airport_hourly/mean_delay?status=blocked')).html);
    expect(unknown).toContain("'status' is not a parameter of this page (kind, limit): left out");
  });
});

describe('a misspelt feature (finding 3)', () => {
  it("is a 404 that suggests the view's feature, as a misspelt view is", async () => {
    const { status, html } = await get('/ui/features/airport_hourly/mean_dely');
    expect(status).toBe(404);
    expect(text(html)).toContain("no feature 'mean_dely' in view airport_hourly is defined or named by a recorded check (did you mean 'mean_delay'?)");
    // A feature the registry dropped whose runs recorded results keeps its page.
    await f.project.runs.addResults([{ run_id: f.reference.id, check: 'schema', feature: 'old_delay', slice: null, status: 'pass', policy: 'block', method: 'type', value: null, thresholds: null, metrics: null, message: 'ok', details: null }]);
    expect((await get('/ui/features/airport_hourly/old_delay')).status).toBe(200);
  });

  it("the drift page's 404 names the reference and suggests the run's drift features, and links no history", async () => {
    const { status, html } = await get(`/ui/runs/${f.drifted.id}/drift/mean_dely`);
    expect(status).toBe(404);
    const t = text(html);
    expect(t).not.toContain('compared with the reference.');
    expect(t).toContain(`compared with run ${f.reference.id.slice(0, 8)}`);
    expect(t).toContain("No drift results for mean_dely in this run (did you mean 'mean_delay'?)");
    expect(html).not.toContain('/ui/features/airport_hourly/mean_dely');
  });
});

describe('what a push wrote, on its page and in runs show (findings 2, 10)', () => {
  it('says the same words in both, with one row in the singular', async () => {
    const facts = 'to online: 1 row, 0 written online, 1 skipped (not newer than the stored value)';
    expect(text((await get(`/ui/runs/${skippedPush.id}`)).html)).toContain(facts);
    expect(formatRunShow(skippedPush, [], [], [], false)).toContain(`  push: ${facts}`);
    expect(text((await get(`/ui/runs/${blockedPush.id}`)).html)).toContain('to online: 1 row (not written: blocked)');
    expect(formatRunShow(blockedPush, [], [], [], false)).toContain('  push: to online: 1 row (not written: blocked)');
  });
});

describe('a blocked materialization says what to do next (finding 5)', () => {
  const command = 'featureguard materialize --views airport_hourly --start 2001-06-01T00:00:00.000Z --end 2001-07-01T00:00:00.000Z';
  it('on its page: nothing written, the values kept, and the command that re-runs the window', async () => {
    const t = text((await get(`/ui/runs/${f.blocked.id}`)).html);
    expect(t).toContain(`Nothing was written: the online store keeps the values it had (last written by materialize run ${f.drifted.id.slice(0, 8)}, window 2001-06-01 → 2001-07-01).`);
    expect(t).toContain(`After fixing the source, re-run the window: ${command}`);
  });
  it('in runs show, the same', () => {
    const kept = keptValues(f.project.runs, f.blocked);
    expect(kept?.writer?.id).toBe(f.drifted.id);
    const out = formatRunShow(f.blocked, f.project.runs.results(f.blocked.id), [], [], false, [], kept);
    expect(out).toContain(`  NEXT: nothing was written: the online store keeps the values it had (last written by materialize run ${f.drifted.id.slice(0, 8)}, window 2001-06-01 → 2001-07-01)`);
    expect(out).toContain(`  after fixing the source, re-run the window: ${command}`);
  });
});

describe('fails under a warn policy (finding 8)', () => {
  it('the runs list and the run page say a warned run failed checks under its warn policy', async () => {
    // The fixture's warned run has one result per check; make one of its warnings a fail under policy warn.
    f.project.state.prepare("UPDATE check_results SET status = 'fail', record = json_set(record, '$.status', 'fail') WHERE run_id = ? AND \"check\" = 'anomaly'").run(f.drifted.id);
    f.project.runs.update(f.drifted.id, { counts: { pass: 1, warn: 2, fail: 1, error: 0, skipped: 0 } });
    const list = (await get('/ui/runs?status=warned')).html;
    expect(text(list.match(/<tr data-run-id=[\s\S]*?<\/tr>/)![0])).toContain('1 (warn policy)');
    expect(text((await get(`/ui/runs/${f.drifted.id}`)).html)).toContain('1 fail (warn policy) · 0 error · 2 warn · 1 pass · 0 skipped');
  });
});

describe('a skipped drift check (finding 9)', () => {
  it('says it was skipped and why, with no empty decision or metrics table', async () => {
    const { html } = await get(`/ui/runs/${pushes[0].id}/drift/mean_delay`);
    const t = text(html);
    expect(t).toContain('No decision: skipped (mean_delay: 1 value(s) < min_rows 30, too few to compare)');
    expect(t).not.toContain('Decision: —');
    expect(html).not.toContain('<table class="metrics">');
  });
});

describe('small words (findings 6, 10)', () => {
  it('says the rows of a failed run that read nothing are unknown, not 0 / 0', async () => {
    expect(failedRun.rows_in).toBe(0);
    expect(text((await get(`/ui/runs/${failedRun.id}`)).html)).toContain('Rows in / out — / —');
  });

  it('counts only the points drawn in the charts\' descriptions', async () => {
    const { html } = await get('/ui/features/airport_hourly/mean_delay?kind=push&limit=500');
    // 63 pushes, one with a PSI: the chart draws one point and says how many runs have none.
    expect(html).toContain('<desc id="c-hist-psi-');
    expect(html).toMatch(/>PSI: 1 point \(62 without a value\); thresholds warn 0.1, fail 0.25.<\/desc>/);
  });

  it('words an empty log and an empty history without literal backticks or "0 run(s)"', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fg-ui-empty-'));
    try {
      writeFileSync(join(dir, 'featureguard.yaml'), 'project: empty\ndefinitions: features\n');
      const project = openProject(dir);
      project.registry.apply([airport, source, viewV2, service]);
      const empty = new Hono().route('/ui', uiRoutes(project));
      const runs = await (await empty.request('/ui/runs')).text();
      expect(runs).not.toContain('`');
      expect(text(runs)).toContain('No runs yet: a run is recorded by featureguard materialize , featureguard dataset build , featureguard push or featureguard check .');
      const hist = text(await (await empty.request('/ui/features/airport_hourly/mean_delay')).text());
      expect(hist).not.toContain('0 run(s)');
      expect(hist).toContain('No runs of airport_hourly yet.');
      await project.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('uses one dash for "no value" in the history table, apart from the status icons', async () => {
    const { html } = await get('/ui/features/airport_hourly/mean_delay');
    const table = html.match(/<table class="history">[\s\S]*<\/table>/)![0].replace(/<span class="icon" aria-hidden="true">[^<]*<\/span>/g, '');
    expect(table).toContain('—');
    expect(table).not.toMatch(/[–-]<\/td>/);
  });
});

describe('what drift is measured against (finding 7)', () => {
  it('the registry page words the configured drift.reference: previous:3 pools the last 3 successful or warned runs', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fg-ui-ref-'));
    try {
      writeFileSync(join(dir, 'featureguard.yaml'), 'project: ref\ndefinitions: features\nquality:\n  drift:\n    reference: previous:3\n    min_rows: 30\n');
      const project = openProject(dir);
      project.registry.apply([airport, source, viewV2, service]);
      const t = text(await (await new Hono().route('/ui', uiRoutes(project)).request('/ui/registry')).text());
      expect(t).not.toContain('the previous successful run');
      expect(t).toContain('drift is measured against the previous 3 runs of 30 or more rows that succeeded or warned, pooled (a materialization of a view, a dataset build of a service; a view fed only by pushes pools its last 3) (drift.reference: previous:3).');
      await project.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    // The default (the fixture pins a baseline; its table is shown instead), worded for `previous`.
    const { describeDriftReference } = await import('../../src/server/ui/registry-page.js');
    expect(describeDriftReference('previous', 30)).toBe(
      'the newest run of 30 or more rows that succeeded or warned (a materialization of a view, a dataset build of a service; a view fed only by pushes pools its last 10) (drift.reference: previous)',
    );
  });
});

describe('the README page table (finding 4)', () => {
  it('lists each /ui page once', () => {
    const readme = readFileSync(join(__dirname, '../../README.md'), 'utf8');
    const paths = [...readme.matchAll(/^\| `(\/ui[^`]*)` \|/gm)].map((m) => m[1]);
    expect(paths.length).toBeGreaterThan(4);
    expect(paths.filter((p, i) => paths.indexOf(p) !== i)).toEqual([]);
    const row = readme.split('\n').find((l) => l.startsWith('| `/ui/runs/:id` |'))!;
    expect(row).toContain('the first 20');
    expect(row).not.toContain('the first 100');
    expect(row).toContain('(not written: blocked)');
  });
});
