/**
 * A pushed row's one bad value in a nullable feature (`anyOf: [type, null]`) is one problem, not two: the
 * null branch's "must be null" is dropped when another error is at the same path.
 */
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../cli/cli-io.js';
import { writeSmallProject } from '../cli/small-project.js';

let dir: string;
const fg = (...argv: string[]) => runCli(['--project', dir, ...argv]);
beforeAll(async () => {
  dir = writeSmallProject('fg-push-problems-');
  writeFileSync(join(dir, 'features', 'defs.yaml'), `${(await import('../cli/small-project.js')).SMALL_DEFS.replace('{name: n, type: int64, min: 0}', '{name: n, type: int64, min: 0}\n  - {name: small, type: int32}')}`);
  writeFileSync(join(dir, 'data', 'stats.csv'), 'origin,ts,n,small\nSEA,2001-01-01T00:00:00Z,1,2\n');
  expect((await fg('apply')).code).toBe(0);
}, 60_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('a push with one bad value', () => {
  it('reports it once, without the null branch', async () => {
    const file = join(dir, 'bad.json');
    writeFileSync(file, '[{"origin": "SEA", "event_timestamp": "2001-01-03T00:00:00Z", "n": 1, "small": 3000000000}, {"origin": "SFO", "event_timestamp": "2001-01-03T00:00:00Z", "n": true, "small": 1}]');
    const r = await fg('--json', 'push', '--view', 'stats', '--file', file);
    const error = JSON.parse(r.err).error;
    expect(error.details.problems).toEqual([
      { row: 0, path: '/0/small', message: 'must be <= 2147483647' },
      { row: 1, path: '/1/n', message: 'must be an integer or a string of digits (int64)' },
    ]);
    expect(error.message).toMatch(/^2 problems in 2 of 2 pushed rows/);
    // A null is still a value of a nullable feature.
    writeFileSync(file, '[{"origin": "SEA", "event_timestamp": "2001-01-03T00:00:00Z", "n": null, "small": null}]');
    expect((await fg('push', '--view', 'stats', '--file', file)).code).toBe(0);
  });
});
