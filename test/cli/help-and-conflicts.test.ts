/**
 * What `--help` says matches the README (a CLI review's minor findings), and `check --view V --service S` is refused:
 * `--service` belongs to `check --dataset`, and was silently ignored beside `--view`.
 */
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './cli-io.js';
import { writeSmallProject } from './small-project.js';

let dir: string;
beforeAll(async () => {
  dir = writeSmallProject('fg-help-conflicts-');
  expect((await runCli(['--project', dir, 'apply'])).code).toBe(0);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The help of a command, its lines joined (commander wraps long descriptions). */
async function help(...argv: string[]): Promise<string> {
  const r = await runCli([...argv, '--help']);
  expect(r.code).toBe(0);
  return r.out.replace(/\s+/g, ' ');
}

describe('help texts', () => {
  it('materialize --incremental: the first run of a ttl-0 view starts at the earliest row', async () => {
    expect(await help('materialize')).toContain("first run: now - ttl, or the source's earliest row when the ttl is 0");
  });

  it('dataset build: --availability says its default once; --out lists the extensions the README lists', async () => {
    const text = await help('dataset', 'build');
    const availability = text.slice(text.indexOf('--availability'), text.indexOf('--timestamp-column'));
    expect(availability.match(/default/g)).toHaveLength(1);
    for (const ext of ['.parquet', '.arrow', '.feather', '.csv', '.csv.gz', '.json', '.json.zst']) expect(text).toContain(ext);
    expect(text).toContain('at least one row');
  });

  it('online get --entity shows no "(default: [])"; baseline list says what its filters do', async () => {
    expect(await help('online', 'get')).not.toContain('default: []');
    const baseline = await help('baseline', 'list');
    expect(baseline).toContain('--view <name> only the baselines of this view');
    expect(baseline).toContain('--service <name> only the baselines of this feature service');
  });

  it('online get without --entity is refused with the flag named', async () => {
    const r = await runCli(['--project', dir, 'online', 'get', '--features', 'stats:n']);
    expect(r).toMatchObject({ code: 2, err: 'error: give at least one --entity key=value' });
  });
});

describe('check', () => {
  it('--view with --service is refused as conflicting (exit 2), nothing checked', async () => {
    const r = await runCli(['--project', dir, 'check', '--view', 'stats', '--service', 'svc', '--start', '2001-01-01', '--end', '2001-01-02']);
    expect(r.code).toBe(2);
    expect(r.err).toContain('--service goes with --dataset');
    expect((await runCli(['--project', dir, '--json', 'runs', 'list'])).out).not.toContain('"check"');
  });
});
