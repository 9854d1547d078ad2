/** Source rows dated ahead of now, as zone-less local times east of UTC are: the warning names the likely cause. */
import { appendFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './cli-io.js';
import { writeSmallProject } from './small-project.js';

let dir: string;
const fg = (...argv: string[]) => runCli(['--project', dir, ...argv]);
beforeAll(async () => {
  dir = writeSmallProject('fg-future-rows-');
  // Local time in UTC+3, written without an offset.
  appendFileSync(join(dir, 'data', 'stats.csv'), `SEA,${new Date(Date.now() + 3 * 3600_000).toISOString().slice(0, 19).replace('T', ' ')},1\n`);
  expect((await fg('apply')).code).toBe(0);
}, 60_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('provenance.future_source_rows', () => {
  it('says text timestamps without an offset are read as UTC', async () => {
    const m = await fg('materialize', '--start', '2001-01-01', '--end', '2001-01-02');
    expect(m.code, m.err).toBe(0);
    const id = JSON.parse((await fg('--json', 'runs', 'list')).out).runs[0].id;
    const show = await fg('runs', 'show', id);
    expect(show.out).toContain('1 row(s) of the source dated later than now + 5m');
    expect(show.out).toContain('a text timestamp without an offset is read as UTC');
  });
});
