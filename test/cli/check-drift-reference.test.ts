/**
 * `check` on a project without a drift reference (a fresh CI checkout): the summary line says drift was not
 * checked, instead of counting it among the skipped checks.
 */
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './cli-io.js';
import { writeSmallProject } from './small-project.js';

let dir: string;
const fg = (...argv: string[]) => runCli(['--project', dir, ...argv]);
beforeAll(async () => {
  dir = writeSmallProject('fg-check-ref-');
  expect((await fg('apply')).code).toBe(0);
}, 60_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('check --view with no drift reference', () => {
  it('says on its summary line that drift was not checked, and how to give it a reference', async () => {
    const r = await fg('check', '--view', 'stats', '--start', '2001-01-01', '--end', '2001-01-02');
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/skipped; drift not checked: no reference \(no pinned baseline/);
    expect(r.out).toContain('baseline pin');
    // With a reference (a materialization), the line is the plain count again.
    expect((await fg('materialize', '--start', '2001-01-01', '--end', '2001-01-02')).code).toBe(0);
    const again = await fg('check', '--view', 'stats', '--start', '2001-01-02', '--end', '2001-01-03');
    expect(again.out).not.toContain('drift not checked');
  });
});
