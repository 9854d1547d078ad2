/**
 * `runs show` of a push refused for invalid rows lists its problems under the result, not only the first the
 * message names (a review finding: the rest were only in --json): as many as the push recorded (20 at most).
 */
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { runCli } from './cli-io.js';
import { writeSmallProject } from './small-project.js';

let dir: string;
const cli = (...args: string[]) => runCli(['--project', dir, ...args]);
beforeAll(async () => {
  dir = writeSmallProject('fg-show-problems-');
  expect((await cli('apply')).code).toBe(0);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it('lists every problem a refused push recorded', async () => {
  // 25 rows whose n is text: 25 problems; row 3 also lacks its key.
  const rows = Array.from({ length: 25 }, (_, i) => ({ origin: i === 3 ? null : 'SEA', ts: '2001-01-03T00:00:00Z', n: `x${i}` }));
  writeFileSync(join(dir, 'bad.json'), JSON.stringify(rows));
  const push = await cli('--json', 'push', '--view', 'stats', '--file', join(dir, 'bad.json'));
  expect(push.code).toBe(2);
  const runId = (JSON.parse(push.err) as { error: { details: { run_id: string; problems: unknown[] } } }).error.details.run_id;
  const problems = (JSON.parse(push.err) as { error: { details: { problems: unknown[] } } }).error.details.problems;
  expect(problems.length).toBe(20);
  const shown = await cli('runs', 'show', runId);
  expect(shown.code).toBe(0);
  const listed = shown.out.split('\n').filter((l) => /^ {6}row \d+ /.test(l));
  expect(listed).toHaveLength(problems.length);
  expect(listed[0]).toMatch(/^ {6}row 0 \/0\/n: \S/);
  expect(listed.some((l) => /^ {6}row 3 \/3\/origin: \S/.test(l))).toBe(true);
  // 26 problems were counted (metrics.problems) and 20 kept: the rest are said to be not kept, not left out silently.
  expect(shown.out).toContain('      (6 more not kept: the run records its first 20)');
});
