/**
 * `materialize` says why a warned run warned, as it says why a blocked one was blocked: `VIEW: warned: …` under the
 * table, the failing check and its message (the checks of the run, compared with what `runs show` lists).
 */
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './cli-io.js';
import { writeSmallProject } from './small-project.js';

let dir: string;
beforeAll(async () => {
  dir = writeSmallProject('fg-mat-warned-');
  // `min: 0` broken by SEA's last hours, under a schema policy of warn: written, warned.
  writeFileSync(join(dir, 'featureguard.yaml'), 'project: small\ndefinitions: features\nquality:\n  schema: warn\n');
  const rows = ['origin,ts,n'];
  for (let h = 0; h < 48; h++) for (const o of ['SEA', 'SFO']) rows.push(`${o},${new Date(Date.UTC(2001, 0, 1, h)).toISOString()},${o === 'SEA' && h >= 40 ? -1 : h % 5}`);
  writeFileSync(join(dir, 'data', 'stats.csv'), `${rows.join('\n')}\n`);
  expect((await runCli(['--project', dir, 'apply'])).code).toBe(0);
}, 60_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('materialize of a warned run', () => {
  it('prints no line under the table for a run that passed (the first day: no negative n)', async () => {
    const r = await runCli(['--project', dir, 'materialize', '--start', '2001-01-01', '--end', '2001-01-02']);
    expect(r.code, r.err).toBe(0);
    const lines = r.out.split('\n');
    expect(lines[1]).toMatch(/^stats +success /);
    expect(lines).toHaveLength(2);
  });

  it('prints a "stats: warned: …" line naming the failing check and its message', async () => {
    const r = await runCli(['--project', dir, 'materialize', '--start', '2001-01-01', '--end', '2001-01-03']);
    expect(r.code, r.err).toBe(0);
    const lines = r.out.split('\n');
    expect(lines[1]).toMatch(/^stats +warned /);
    const runId = lines[1].trim().split(/\s+/).at(-1)!;
    // The failing results, as the quality log holds them.
    const shown = JSON.parse((await runCli(['--project', dir, '--json', 'runs', 'show', runId])).out) as { results: { check: string; feature: string | null; status: string; message: string }[] };
    const failing = shown.results.filter((x) => x.status === 'fail' || x.status === 'warn' || x.status === 'error');
    expect(failing.length).toBeGreaterThan(0);
    // Worst first (fail, error, warn), ties in the stored order: the check `runs list` names as the run's reason.
    const rank = { fail: 0, error: 1, warn: 2 } as Record<string, number>;
    const first = [...failing].sort((a, b) => rank[a.status] - rank[b.status])[0];
    const note = lines.slice(2);
    expect(note).toHaveLength(1);
    expect(note[0].startsWith(`stats: warned: ${first.check}${first.feature ? ` on ${first.feature}` : ''}: ${first.message.split('\n')[0]}`), note[0]).toBe(true);
    if (failing.length > 1) expect(note[0]).toContain(`(and ${failing.length - 1} more`);
  });
});
