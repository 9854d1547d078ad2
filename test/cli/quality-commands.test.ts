/**
 * The quality commands' flags as a script gives them: empty values (an unset
 * variable), unknown views and services, pages beyond the end, run ids cut short.
 */
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
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
    const applied = await fg('apply', '--allow-breaking');
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
