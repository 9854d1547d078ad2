/**
 * The quality commands' flags as a script gives them: empty values (an unset
 * variable), unknown views and services, pages beyond the end, run ids cut short.
 */
import { existsSync, rmSync } from 'node:fs';
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
