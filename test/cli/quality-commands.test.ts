/**
 * The quality commands' flags as a script gives them: empty values (an unset
 * variable), unknown views and services, pages beyond the end, run ids cut short.
 */
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './cli-io.js';
import { writeSmallProject } from './small-project.js';

let dir: string;
let runId: string;
const fg = (...argv: string[]) => runCli(['--project', dir, ...argv]);
beforeAll(async () => {
  dir = writeSmallProject('fg-quality-cli-');
  expect((await fg('apply')).code).toBe(0);
  const m = await fg('--json', 'materialize', '--start', '2001-01-01', '--end', '2001-01-02');
  expect(m.code, m.err).toBe(0);
  runId = JSON.parse((await fg('--json', 'runs', 'list')).out).runs[0].id;
}, 60_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('an option given an empty value', () => {
  it('is refused (exit 2) naming the option, not taken as absent or as an empty name', async () => {
    const out = await fg('lineage', 'export', runId, '-o', '');
    expect([out.code, out.out, out.err]).toEqual([2, '', 'error: --out is empty: give <file>, or leave the option out']);
    const ns = await fg('lineage', 'export', runId, '--namespace', '');
    expect([ns.code, ns.out, ns.err]).toEqual([2, '', 'error: --namespace is empty: give <ns>, or leave the option out']);
    // A required option has no "leave it out".
    const pin = await fg('baseline', 'pin', '--name', '', '--view', 'stats', '--from-run', runId);
    expect([pin.code, pin.err]).toEqual([2, 'error: --name is empty: give <name>']);
    for (const argv of [['runs', 'list', '--since', ''], ['runs', 'list', '--view', ''], ['pii', 'list', '--service', ''], ['check', '--view', '', '--dataset', 'x.parquet'], ['alerts', 'redeliver', '--run', '']]) {
      const r = await fg(...argv);
      expect([r.code, r.err], argv.join(' ')).toEqual([2, expect.stringMatching(/^error: --\w+ is empty/)]);
    }
    // Every command but keys (whose store says what a key name may be): a dataset written nowhere, a window from
    // nothing, a server on every interface.
    for (const argv of [['dataset', 'build', '--features', 'stats:x', '--entities', 'e.csv', '--out', ''], ['materialize', '--start', '', '--end', '2001-01-02'], ['serve', '--host', ''], ['online', 'get', '--features', ''], ['push', '--view', 'stats', '--file', '']]) {
      const r = await fg(...argv);
      expect([r.code, r.err], argv.join(' ')).toEqual([2, expect.stringMatching(/^error: --\w+ is empty/)]);
    }
    const json = await fg('--json', 'lineage', 'export', runId, '-o', '');
    expect(JSON.parse(json.err).error).toMatchObject({ code: 'empty_option', details: { option: '--out' } });
    // Given, it writes the file.
    const written = await fg('lineage', 'export', runId, '-o', join(dir, 'event.json'));
    expect([written.code, existsSync(join(dir, 'event.json'))]).toEqual([0, true]);
  });
});

describe('runs list and pii list filtered on a view or service', () => {
  it('refuse a name that is neither defined nor in any run (exit 2, did you mean), instead of "no runs"', async () => {
    const typo = await fg('runs', 'list', '--view', 'stast');
    expect([typo.code, typo.out, typo.err]).toEqual([2, '', "error: unknown feature view 'stast' (did you mean 'stats'?): it is not defined and no run was recorded for it"]);
    const service = await fg('--json', 'runs', 'list', '--service', 'nope');
    expect([service.code, JSON.parse(service.err).error]).toEqual([2, expect.objectContaining({ code: 'unknown_service', details: { service: 'nope', known: ['svc'] } })]);
    const pii = await fg('pii', 'list', '--view', 'stast');
    expect([pii.code, pii.err]).toEqual([2, expect.stringContaining("unknown feature view 'stast' (did you mean 'stats'?)")]);
    // Defined names that match nothing are an empty list, as before.
    expect(await fg('runs', 'list', '--view', 'stats', '--kind', 'push')).toMatchObject({ code: 0, out: expect.stringMatching(/^no runs/) });
    expect(await fg('runs', 'list', '--service', 'svc')).toMatchObject({ code: 0, out: expect.stringMatching(/^no runs/) });
    expect(await fg('pii', 'list', '--view', 'stats')).toMatchObject({ code: 0, out: 'no columns found to hold PII' });
  });

  it('still list the runs of a view that was dropped', async () => {
    const defs = join(dir, 'features', 'extra.yaml');
    writeFileSync(defs, 'kind: feature_view\nname: extra\nentities: [airport]\nsource: src\nttl: 2d\nonline: true\nfeatures:\n  - {name: n, type: int64}\n');
    expect((await fg('apply')).code).toBe(0);
    expect((await fg('materialize', '--views', 'extra', '--start', '2001-01-01', '--end', '2001-01-02')).code).toBe(0);
    rmSync(defs);
    const applied = await fg('apply', '--allow-breaking', '--allow-removals');
    expect(applied.code, applied.err).toBe(0);
    const r = await fg('runs', 'list', '--view', 'extra');
    expect([r.code, r.out], r.err).toEqual([0, expect.stringMatching(/ extra .*\n1 of 1 run\(s\)$/)]);
  }, 60_000);
});

describe('runs list --offset', () => {
  it('a page beyond the last run says how many runs there are', async () => {
    const total = JSON.parse((await fg('--json', 'runs', 'list')).out).total as number;
    expect(total).toBeGreaterThan(0);
    expect(await fg('runs', 'list', '--offset', String(total))).toMatchObject({ code: 0, out: `no runs at --offset ${total} (of ${total} run(s))` });
    expect((await fg('runs', 'list', '--offset', String(total - 1))).out).toMatch(new RegExp(`\\n1 of ${total} run\\(s\\)$`));
    expect(JSON.parse((await fg('--json', 'runs', 'list', '--offset', '99')).out)).toEqual({ runs: [], total });
  });
});

describe('a run id cut short', () => {
  it('names the run when it is a unique prefix of 8 characters or more (runs show, lineage export, baseline pin, alerts redeliver)', async () => {
    const show = await fg('runs', 'show', runId.slice(0, 8));
    expect([show.code, show.out.split('\n')[0]], show.err).toEqual([0, `run ${runId}`]);
    // As the README's tables print it, and in capitals.
    expect((await fg('runs', 'show', `${runId.slice(0, 9)}…`)).out.split('\n')[0]).toBe(`run ${runId}`);
    expect((await fg('runs', 'show', runId.slice(0, 13).toUpperCase())).out.split('\n')[0]).toBe(`run ${runId}`);
    const lineage = await fg('lineage', 'export', runId.slice(0, 8));
    expect([lineage.code, JSON.parse(lineage.out).run.runId], lineage.err).toEqual([0, runId]);
    const pin = await fg('--json', 'baseline', 'pin', '--name', 'b1', '--view', 'stats', '--from-run', runId.slice(0, 10));
    expect([pin.code, JSON.parse(pin.out).source], pin.err).toEqual([0, `run:${runId}`]);
    expect((await fg('alerts', 'redeliver', '--run', runId.slice(0, 8))).code).toBe(0);
  });

  it('says what it looked for when nothing matches, and lists the runs an ambiguous prefix starts', async () => {
    const none = await fg('runs', 'show', 'ffffffff');
    expect([none.code, none.err]).toEqual([2, "error: no run whose id starts with 'ffffffff' (see featureguard runs list)"]);
    const short = await fg('lineage', 'export', runId.slice(0, 7));
    expect([short.code, short.err]).toEqual([2, `error: no run with id '${runId.slice(0, 7)}': give a run id as runs list prints it, or its first 8 characters or more`]);
    // Two runs whose ids share their first 8 characters (1 in 4 billion by chance): a copy of the run under such an id.
    const twin = `${runId.slice(0, 9)}${runId[9] === '0' ? '1' : '0'}000-4000-8000-000000000000`;
    const db = new Database(join(dir, '.featureguard', 'state.db'));
    try {
      db.prepare("INSERT INTO runs SELECT ? AS id, kind, view, service, status, started_at, finished_at, window_start, window_end, rows_in, rows_out, message, counts, lineage, options, [trigger] FROM runs WHERE id = ?").run(twin, runId);
    } finally {
      db.close();
    }
    const ambiguous = await fg('--json', 'runs', 'show', runId.slice(0, 8));
    expect([ambiguous.code, JSON.parse(ambiguous.err).error]).toEqual([2, expect.objectContaining({ code: 'ambiguous_run_id', details: { id: runId.slice(0, 8), candidates: [twin, runId].sort() } })]);
    expect((await fg('runs', 'show', runId.slice(0, 8))).err).toMatch(new RegExp(`^error: run id prefix '${runId.slice(0, 8)}' is ambiguous: 2 runs start with it; give more of the id:\\n  [0-9a-f-]{36} \\(materialize stats, started `));
    // The full id, or more of it, still names one.
    expect((await fg('runs', 'show', runId)).code).toBe(0);
    expect((await fg('runs', 'show', runId.slice(0, 10))).out.split('\n')[0]).toBe(`run ${runId}`);
  });
});
