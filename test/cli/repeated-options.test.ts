/**
 * A single-value option given twice (`check --view a --view b`) is refused, naming the option: commander kept the
 * last one, so a CI line meant to guard two views checked one and exited 0. Options whose values add up
 * (`--features`, `--views`, `--entity`) still do.
 */
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './cli-io.js';
import { writeSmallProject } from './small-project.js';

let dir: string;
beforeAll(async () => {
  dir = writeSmallProject('fg-repeated-options-');
  expect((await runCli(['--project', dir, 'apply'])).code).toBe(0);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('a single-value option given twice', () => {
  it('check --view a --view b is refused (exit 2, repeated_option), nothing checked', async () => {
    const r = await runCli(['--project', dir, 'check', '--view', 'stats', '--view', 'other', '--start', '2001-01-01', '--end', '2001-01-02']);
    expect(r.code).toBe(2);
    expect(r.err).toContain("--view was given twice ('stats', 'other')");
    expect((await runCli(['--project', dir, '--json', 'runs', 'list'])).out).not.toContain('"check"');
  });

  it('--json: the error is repeated_option with the option named', async () => {
    const r = await runCli(['--project', dir, '--json', 'push', '--view', 'stats', '--file', 'a.json', '--view', 'stats']);
    expect(r.code).toBe(2);
    expect(r.out).toBe('');
    const { error } = JSON.parse(r.err);
    expect(error.code).toBe('repeated_option');
    expect(error.details).toMatchObject({ option: '--view' });
  });

  it('options with a default, --opt=value spellings, short flags and the global options are covered too', async () => {
    for (const argv of [
      ['runs', 'list', '--limit', '5', '--limit=6'],
      ['push', '--view', 'stats', '--file', 'a.json', '--to', 'online', '--to', 'both'],
      ['dataset', 'build', '--entities', 'e.csv', '--service', 'svc', '--out', 'a.parquet', '--out', 'b.parquet'],
      ['materialize', '--start', '2001-01-01', '--start', '2001-01-02'],
      ['lineage', 'export', 'x', '-o', 'a.json', '--out', 'b.json'],
      ['online', 'get', '--service', 'svc', '--service', 'svc', '--entity', 'origin=SEA'],
    ]) {
      const r = await runCli(['--project', dir, ...argv]);
      expect(r.code, argv.join(' ')).toBe(2);
      expect(r.err, argv.join(' ')).toMatch(/^error: --[a-z-]+ was given twice/);
    }
    const r = await runCli(['-p', dir, '-p', dir, 'list']);
    expect(r.code).toBe(2);
    expect(r.err).toContain('--project was given twice');
  });

  it('--views, --features and --entity still add up', async () => {
    const m = await runCli(['--project', dir, '--json', 'materialize', '--views', 'stats', '--views', 'stats', '--start', '2001-01-01', '--end', '2001-01-03']);
    expect(m.err).toBe('');
    expect(m.code).toBe(0);
    const g = await runCli(['--project', dir, '--json', 'online', 'get', '--features', 'stats:n', '--features', 'stats:n', '--entity', 'origin=SEA', '--entity', 'origin=SFO']);
    expect(g.err).not.toContain('given twice');
    const b = await runCli(['--project', dir, 'online', 'get', '--features', 'stats:n', '--entity', 'origin=SEA', '--entity', 'origin=SFO']);
    expect(b.code).toBe(0);
    expect(b.out.split('\n')).toHaveLength(3);
  });
});
