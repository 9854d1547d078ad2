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

  it("every command's help lists the global options --project and --json (not --version, the program's own)", async () => {
    for (const argv of [['runs', 'list'], ['dataset', 'build'], ['materialize'], ['keys', 'create'], ['dataset']]) {
      const r = await runCli([...argv, '--help']);
      const global = r.out.slice(r.out.indexOf('Global Options:'));
      expect(r.out, argv.join(' ')).toContain('Global Options:');
      expect(global).toMatch(/-p, --project <dir> +project folder/);
      expect(global).toMatch(/--json +machine-readable JSON output/);
      expect(global).not.toContain('--version');
    }
    // The program's own help lists them once, as its options.
    const root = (await runCli(['--help'])).out;
    expect(root).not.toContain('Global Options:');
    expect(root).toMatch(/-V, --version/);
  });

  it('a typo prints the error, its did-you-mean and a pointer to --help, not the whole help', async () => {
    const option = await runCli(['materialize', '--veiws', 'x']);
    expect([option.code, option.out, option.err]).toEqual([2, '', "error: unknown option '--veiws'\n(Did you mean --views?)\n(add --help for usage)"]);
    const command = await runCli(['materialze']);
    expect([command.code, command.out, command.err]).toEqual([2, '', "error: unknown command 'materialze'\n(Did you mean materialize?)\n(add --help for usage)"]);
    const missing = await runCli(['push', '--file', 'rows.json']);
    expect([missing.code, missing.err]).toEqual([2, "error: required option '--view <view>' not specified\n(add --help for usage)"]);
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
