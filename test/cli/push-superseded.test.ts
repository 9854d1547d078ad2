/**
 * The CLI `push` says the rows beaten by a newer row of the same entity in the same push (`superseded`), as the
 * answer, `runs show` and the run's options count them; a push without such rows says nothing of them.
 */
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './cli-io.js';
import { writeSmallProject } from './small-project.js';

let dir: string;
const fg = (...argv: string[]) => runCli(['--project', dir, ...argv]);
beforeAll(async () => {
  dir = writeSmallProject('fg-push-superseded-');
  expect((await fg('apply')).code).toBe(0);
}, 60_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const at = (minutesAgo: number) => new Date(Date.now() - minutesAgo * 60_000).toISOString();

/** Push `rows` with the CLI: its text line, and the run's counts as `--json runs show` records them. */
async function pushed(name: string, rows: object[]): Promise<{ out: string; options: Record<string, unknown> }> {
  const file = join(dir, `${name}.json`);
  writeFileSync(file, JSON.stringify(rows));
  const r = await fg('push', '--view', 'stats', '--file', file);
  expect(r.code, r.err).toBe(0);
  const runId = /run ([0-9a-f-]{36})/.exec(r.out)?.[1];
  expect(runId, r.out).toBeDefined();
  const show = await fg('--json', 'runs', 'show', runId as string);
  expect(show.code, show.err).toBe(0);
  return { out: r.out.trim(), options: (JSON.parse(show.out) as { run: { options: Record<string, unknown> } }).run.options };
}

describe('push output', () => {
  it('names the superseded rows when a push has some', async () => {
    const { out, options } = await pushed('two', [{ origin: 'SEA', event_timestamp: at(10), n: 1 }, { origin: 'SEA', event_timestamp: at(5), n: 2 }, { origin: 'SFO', event_timestamp: at(5), n: 3 }]);
    expect(options).toMatchObject({ written: 2, skipped: 0, superseded: 1 });
    expect(out).toMatch(/^Pushed 3 rows to stats \(online; run [0-9a-f-]{36}, success\): 2 written online, 0 skipped \(not newer than the stored value\), 1 superseded \(a newer row of the same entity in this push\)\.$/);
  });

  it('says nothing of them when there are none', async () => {
    const { out, options } = await pushed('one', [{ origin: 'SEA', event_timestamp: at(1), n: 4 }]);
    expect(options).toMatchObject({ written: 1, skipped: 0, superseded: 0 });
    expect(out).toMatch(/^Pushed 1 row to stats \(online; run [0-9a-f-]{36}, success\): 1 written online, 0 skipped \(not newer than the stored value\)\.$/);
  });
});
