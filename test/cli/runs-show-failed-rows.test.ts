/**
 * `runs show` of a run that failed before reading anything: its rows are unknown, said `—`, as the run page says
 * `— / —` (`rows in 0, out 0` read as if it had read an empty window). A run that read rows still shows its counts.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { runCli } from './cli-io.js';
import { writeSmallProject } from './small-project.js';

let dir: string;
const cli = (...args: string[]) => runCli(['--project', dir, ...args]);
beforeAll(async () => {
  dir = writeSmallProject('fg-show-failed-rows-');
  expect((await cli('apply')).code).toBe(0);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The run of a `--json materialize` (its answer, or its error's details). */
const runIdOf = (r: { out: string; err: string }): string => {
  if (r.out.trim()) return (JSON.parse(r.out) as { run: { id: string } }[])[0]!.run.id;
  return (JSON.parse(r.err) as { error: { details: { run_id: string } } }).error.details.run_id;
};

it('says the rows of a failed run that read nothing are unknown, not 0', async () => {
  const ok = await cli('--json', 'materialize', '--views', 'stats', '--start', '2001-01-01T00:00:00Z', '--end', '2001-01-05T00:00:00Z');
  expect(ok.code, ok.err).toBe(0);
  const read = await cli('runs', 'show', runIdOf(ok));
  expect(read.out).toMatch(/^ {2}rows in [1-9]\d*, out \d+$/m);

  rmSync(join(dir, 'data', 'stats.csv'));
  const failed = await cli('--json', 'materialize', '--views', 'stats', '--start', '2001-01-01T00:00:00Z', '--end', '2001-01-05T00:00:00Z');
  expect(failed.code, failed.out).not.toBe(0);
  const shown = await cli('--json', 'runs', 'show', runIdOf(failed));
  const run = (JSON.parse(shown.out) as { run: { status: string; rows_in: number | null; rows_out: number | null } }).run;
  expect(run).toMatchObject({ status: 'failed', rows_in: 0, rows_out: 0 });
  const text = await cli('runs', 'show', runIdOf(failed));
  expect(text.out).toMatch(/^ {2}rows in —, out —$/m);
  expect(text.out).not.toMatch(/rows in 0/);
});
