/**
 * The quality commands' text output escapes the control and bidirectional characters of values from the data (a
 * review finding: a slice value holding ESC[2K ESC[1G erased the "[fail] drift.ks" prefix of its line and printed
 * "FAKE [pass] all good" instead, an OSC sequence retitled the terminal, U+202E reversed the line); `--json` gives
 * them as stored.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './cli-io.js';

const HOSTILE = ['ok', 'evil\u001b[2K\u001b[1GFAKE [pass] all good', '\u001b]0;TITLE\u0007red', '\u202eevil'];
const RAW = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202e]/;

let dir: string;
let blocked: string;
const fg = (...argv: string[]) => runCli(['--project', dir, ...argv]);

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'fg-quality-escapes-'));
  mkdirSync(join(dir, 'features'));
  mkdirSync(join(dir, 'data'));
  writeFileSync(join(dir, 'featureguard.yaml'), 'project: escapes\ndefinitions: features\n');
  writeFileSync(join(dir, 'features', 'defs.yaml'), `kind: entity
name: user
join_keys: [{name: uid, type: string}]
---
kind: source
name: ev_src
path: data/ev.csv
timestamp_field: ts
---
kind: feature_view
name: ev
entities: [user]
source: ev_src
ttl: 0
online: true
slices: [cat]
quality: {drift: {policy: block}}
features:
  - {name: cat, type: string}
  - {name: amount, type: float64}
`);
  // Ten days of hourly rows per slice value. The two ESC slices swap their amounts after five days: they drift, the
  // whole column does not (so the run's message is about a slice).
  const rows = ['uid,ts,cat,amount'];
  for (let h = 0; h < 240; h++) {
    HOSTILE.forEach((cat, i) => {
      const high = (i === 1 && h < 120) || (i === 2 && h >= 120);
      rows.push(`u${i},${new Date(Date.UTC(2026, 1, 1, h)).toISOString()},"${cat}",${((h * 37) % 100) / 100 + (high ? 5 : 0)}`);
    });
  }
  writeFileSync(join(dir, 'data', 'ev.csv'), `${rows.join('\n')}\n`);
  expect((await fg('apply')).code).toBe(0);
  expect((await fg('materialize', '--start', '2026-02-01', '--end', '2026-02-06')).code).toBe(0);
  const second = await fg('--json', 'materialize', '--start', '2026-02-06', '--end', '2026-02-11');
  blocked = JSON.parse((await fg('--json', 'runs', 'list', '--status', 'blocked')).out).runs[0]?.id;
  expect(blocked, second.out + second.err).toBeDefined();
}, 60_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('runs show, runs list and check', () => {
  it('write the slice values of check lines, the WHY line and the MESSAGE column escaped', async () => {
    const show = await fg('runs', 'show', blocked);
    expect(show.code, show.err).toBe(0);
    expect(show.out).not.toMatch(RAW);
    expect(show.out).toContain('[fail] (block) drift.ks amount [cat=evil\\u001b[2K\\u001b[1GFAKE [pass] all good]');
    expect(show.out).toContain('[cat=\\u001b]0;TITLE\\u0007red]');
    const all = await fg('runs', 'show', '--all', blocked);
    expect(all.out).not.toMatch(RAW);
    expect(all.out).toContain('[pass] (block) drift.ks amount [cat=\\u202eevil]');
    expect(show.out).toMatch(/^ {2}WHY: drift\.ks: .*\\u00/m);

    const list = await fg('runs', 'list');
    expect(list.code, list.err).toBe(0);
    expect(list.out).not.toMatch(RAW);
    expect(list.out).toMatch(/blocked .*drift\.ks: .*\\u00/);

    const check = await fg('check', '--view', 'ev', '--start', '2026-02-06', '--end', '2026-02-11');
    const lines = check.out.split('\n').filter((l) => l.startsWith('  ['));
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.join('\n')).not.toMatch(RAW);
    // Its "blocked:" line too (the reason quotes the failing check's message, with the slice value).
    expect(check.out).toMatch(/^blocked: .*\\u00/m);
    expect(check.out).not.toMatch(RAW);
    expect(lines.join('\n')).toContain('[cat=evil\\u001b[2K\\u001b[1GFAKE [pass] all good]');
  });

  it('materialize writes the message of a blocked run (quoting a slice value) escaped', async () => {
    const again = await fg('materialize', '--start', '2026-02-06', '--end', '2026-02-11');
    expect(again.out).toMatch(/^ev: blocked: .*\\u00/m);
    expect(again.out + again.err).not.toMatch(RAW);
  });

  it('give the values as stored with --json', async () => {
    const show = JSON.parse((await fg('--json', 'runs', 'show', blocked)).out);
    expect(show.results.map((r: { slice: string | null }) => r.slice)).toEqual(expect.arrayContaining(HOSTILE.map((c) => `cat=${c}`)));
  });
});
