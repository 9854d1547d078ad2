/**
 * Wording a new user's CLI review found inconsistent: `list` wrote `1 features`, `keys list` its times as ISO with
 * milliseconds where `list` and `runs list` write `2026-12-03 20:09:27Z`, `dataset` and `dataset build` had the only
 * capitalised descriptions, and `dataset build`'s check lines did not say which failure warned and which blocked.
 */
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './cli-io.js';
import { writeSmallProject } from './small-project.js';

let dir: string;
const fg = (...argv: string[]) => runCli(['--project', dir, ...argv]);
const ENTITIES_SQL = "SELECT 'SEA' AS origin, TIMESTAMP '2001-01-02 23:30:00' AS event_timestamp UNION ALL SELECT 'SFO', TIMESTAMP '2001-01-02 23:30:00'";

beforeAll(async () => {
  dir = writeSmallProject('fg-wording-');
  // SEA's `n` breaks `min: 0` in its last hours.
  const rows = ['origin,ts,n'];
  for (let h = 0; h < 48; h++) for (const o of ['SEA', 'SFO']) rows.push(`${o},${new Date(Date.UTC(2001, 0, 1, h)).toISOString()},${o === 'SEA' && h >= 40 ? -1 : h % 5}`);
  writeFileSync(join(dir, 'data', 'stats.csv'), `${rows.join('\n')}\n`);
  expect((await fg('apply')).code).toBe(0);
}, 60_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** `2026-12-03 20:09:27Z`: the time format of `list` and `runs list`. */
const SHORT_TIME = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}Z$/;

describe('list', () => {
  it('says "1 feature" of a view with one feature', async () => {
    const r = await fg('list', 'view');
    expect(r.out).toMatch(/ 1 feature, ttl 2d, online$/m);
    expect(r.out).not.toContain('1 features');
  });
});

describe('keys list', () => {
  it('writes its times as list and runs list do; --json keeps them ISO', async () => {
    expect((await fg('keys', 'create', '--scope', 'read', '--name', 'ci')).code).toBe(0);
    const id = (JSON.parse((await fg('--json', 'keys', 'list')).out) as { id: string; created_at: string }[])[0];
    expect(id.created_at).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
    expect((await fg('keys', 'revoke', id.id)).code).toBe(0);
    const lines = (await fg('keys', 'list')).out.split('\n');
    expect(lines[0]).toMatch(/^ID +NAME +SCOPE +CREATED +LAST USED +STATE$/);
    const created = lines[0].indexOf('CREATED');
    const used = lines[0].indexOf('LAST USED');
    expect(lines[1].slice(created, used).trim()).toMatch(SHORT_TIME);
    expect(lines[1].slice(created, used).trim()).toBe(id.created_at.replace('T', ' ').replace(/\.\d+Z$/, 'Z'));
    expect(lines[1].slice(lines[0].indexOf('STATE'))).toMatch(/^revoked \d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}Z$/);
    // The format of `list`'s APPLIED column, for comparison.
    const listed = (await fg('list', 'view')).out.split('\n');
    expect(listed[1].slice(listed[0].indexOf('APPLIED'), listed[0].indexOf('SUMMARY')).trim()).toMatch(SHORT_TIME);
  });
});

describe('descriptions', () => {
  it('are lower case, dataset and dataset build too', async () => {
    const root = (await runCli(['--help'])).out;
    const commands = root.slice(root.indexOf('Commands:')).split('\n').slice(1).filter((l) => /^  \S/.test(l));
    expect(commands.length).toBeGreaterThan(10);
    // Lower case but for an acronym (`API keys for the server`).
    for (const line of commands) expect(line, line).toMatch(/^ {2}\S.*? {2,}([a-z]|[A-Z]{2,}\b)/);
    const dataset = (await runCli(['dataset', '--help'])).out;
    expect(dataset).toMatch(/^point-in-time-correct training datasets$/m);
    expect(dataset).toMatch(/ build \[options\] +join features onto entity rows/);
    expect((await runCli(['dataset', 'build', '--help'])).out.split('\n')[2]).toMatch(/^join features onto entity rows/);
  });
});

describe('dataset build check lines', () => {
  it('name the policy of a failed check as runs show does: fail (warn) when it warned, fail (block) when it blocked', async () => {
    writeFileSync(join(dir, 'featureguard.yaml'), 'project: small\ndefinitions: features\nquality:\n  schema: warn\n');
    const out = join(dir, 'warned.parquet');
    const warned = await fg('dataset', 'build', '--features', 'stats:n', '--entities-sql', ENTITIES_SQL, '--out', out);
    expect(warned.code, warned.err).toBe(0);
    const line = warned.out.split('\n').find((l) => l.startsWith('  ') && l.includes('schema.range'));
    expect(line).toMatch(/^ {2}\[fail\] \(warn\) schema\.range n: /);
    // The same result in `runs show`.
    const runId = warned.out.match(/run ([0-9a-f-]{36}) \(warned\)/)![1];
    const shown = (await fg('runs', 'show', runId)).out;
    expect(shown).toContain(line!.trim());

    writeFileSync(join(dir, 'featureguard.yaml'), 'project: small\ndefinitions: features\nquality:\n  schema: block\n');
    const blocked = await fg('dataset', 'build', '--features', 'stats:n', '--entities-sql', ENTITIES_SQL, '--out', join(dir, 'blocked.parquet'));
    expect(blocked.code, blocked.err).toBe(1);
    expect(blocked.out.split('\n').find((l) => l.startsWith('  ') && l.includes('schema.range'))).toMatch(/^ {2}\[fail\] \(block\) schema\.range n: /);
  });
});
