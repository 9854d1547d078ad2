/**
 * What a blocked materialization's `runs show` NEXT line and its page's "What now" say the online store holds, on a
 * real project (DuckDB reading a CSV, the SQLite online store), checked against `online get`:
 * - the run named is the newest that wrote, not an older one when the newest successful run wrote nothing;
 * - after a breaking apply dropped the view's online values, no earlier run is named and reads answer NOT_FOUND;
 * - a first-ever run that is blocked does not say the store "keeps the values it had": it has none.
 */
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openProject } from '../../src/project.js';
import { uiRoutes } from '../../src/server/ui/index.js';
import { runCli } from './cli-io.js';
import { SMALL_DEFS, writeSmallProject } from './small-project.js';

const DAY = 86_400_000;
/** Four days before today (UTC midnight): three days of good hourly rows, then a day whose `n` breaks `min: 0`. */
const base = Math.floor(Date.now() / DAY) * DAY - 4 * DAY;
const day = (i: number) => new Date(base + i * DAY).toISOString();
const date = (i: number) => day(i).slice(0, 10);
const DEFS = SMALL_DEFS.replace('ttl: 2d', 'ttl: 30d');

function writeProject(prefix: string): string {
  const dir = writeSmallProject(prefix);
  writeFileSync(join(dir, 'features', 'defs.yaml'), DEFS);
  const rows = ['origin,ts,n'];
  for (let h = 0; h < 96; h++) for (const o of ['SEA', 'SFO']) rows.push(`${o},${new Date(base + h * 3_600_000).toISOString()},${h < 72 ? h % 5 : -1}`);
  writeFileSync(join(dir, 'data', 'stats.csv'), `${rows.join('\n')}\n`);
  return dir;
}

/** The run of a `--json materialize` (its answer, or its error's details). */
const runIdOf = (r: { out: string; err: string }): string => {
  if (r.out.trim()) return (JSON.parse(r.out) as { run: { id: string } }[])[0]!.run.id;
  return (JSON.parse(r.err) as { error: { details: { run_id: string } } }).error.details.run_id;
};

const text = (html: string) =>
  html.replace(/<[^>]+>/g, ' ').replace(/&#39;/g, "'").replace(/&quot;/g, '"').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&').replace(/\s+/g, ' ').trim();

/** The NEXT line of `runs show` and the "What now" of the run's page. */
async function nextOf(dir: string, runId: string): Promise<{ cli: string; page: string }> {
  const shown = await runCli(['--project', dir, 'runs', 'show', runId]);
  expect(shown.code, shown.err).toBe(0);
  const cli = shown.out.split('\n').find((l) => l.startsWith('  NEXT: '))!.slice('  NEXT: '.length);
  const project = openProject(dir);
  try {
    const html = await (await new Hono().route('/ui', uiRoutes(project)).request(`/ui/runs/${runId}`)).text();
    const page = text(html.match(/<p class="next-step"[\s\S]*?<\/p>/)![0]);
    return { cli, page };
  } finally {
    await project.close();
  }
}

/** `online get` of SEA's `n`: its status (and value). */
async function readSea(dir: string): Promise<{ status: string; value: unknown }> {
  const r = await runCli(['--project', dir, '--json', 'online', 'get', '--features', 'stats:n', '--entity', 'origin=SEA']);
  expect(r.code, r.err).toBe(0);
  const res = JSON.parse(r.out) as { results: { values: unknown[]; statuses: string[] }[] };
  const n = res.results.at(-1)!;
  return { status: n.statuses[0], value: n.values[0] };
}

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('a blocked materialization after runs that wrote', () => {
  let dir: string;
  const ids: Record<string, string> = {};
  const cli = (...args: string[]) => runCli(['--project', dir, ...args]);
  const materialize = (from: number, to: number) => cli('--json', 'materialize', '--views', 'stats', '--start', day(from), '--end', day(to));
  beforeAll(async () => {
    dir = writeProject('fg-blocked-next-');
    dirs.push(dir);
    expect((await cli('apply')).code).toBe(0);
    for (const [name, from, to] of [['first', 0, 1], ['wrote', 1, 2], ['again', 1, 2]] as const) {
      const r = await materialize(from, to);
      expect(r.code, r.err).toBe(0);
      ids[name] = runIdOf(r);
    }
    const blocked = await materialize(3, 4);
    expect(blocked.code).not.toBe(0);
    ids.blocked = runIdOf(blocked);
  }, 120_000);

  it('names the newest run that wrote, though a later successful re-run wrote nothing', async () => {
    const project = openProject(dir);
    try {
      // The premise: the re-run of the same window succeeded and wrote nothing, the run before it wrote.
      expect(project.runs.get(ids.again)).toMatchObject({ status: 'success', rows_out: 0 });
      expect(project.runs.get(ids.wrote).rows_out).toBeGreaterThan(0);
      expect(project.runs.get(ids.blocked).status).toBe('blocked');
    } finally {
      await project.close();
    }
    const { cli: line, page } = await nextOf(dir, ids.blocked);
    const kept = `nothing was written: the online store keeps the values it had (last written by materialize run ${ids.wrote.slice(0, 8)}, window ${date(1)} → ${date(2)})`;
    expect(line).toBe(kept);
    expect(page).toContain(`What now: N${kept.slice(1)}. After fixing the source, re-run the window:`);
    expect(await readSea(dir)).toEqual({ status: 'PRESENT', value: 47 % 5 });
  });

  it('after a breaking apply dropped the values: names no earlier run and says reads answer NOT_FOUND', async () => {
    writeFileSync(join(dir, 'features', 'defs.yaml'), DEFS.replace('{name: n, type: int64, min: 0}', '{name: n, type: float64, min: 0}'));
    const applied = await cli('apply', '--allow-breaking');
    expect(applied.code, applied.err).toBe(0);
    expect(await readSea(dir)).toMatchObject({ status: 'NOT_FOUND' });
    const blocked = await materialize(3, 4);
    expect(blocked.code).not.toBe(0);
    const { cli: line, page } = await nextOf(dir, runIdOf(blocked));
    for (const said of [line, page]) {
      expect(said).not.toContain('keeps');
      for (const id of Object.values(ids)) expect(said).not.toContain(id.slice(0, 8));
      expect(said).toMatch(/nothing was written: the online store has no values of stats since an apply dropped them \(\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ\); online reads answer NOT_FOUND until a run writes the view/i);
    }
    expect(await readSea(dir)).toMatchObject({ status: 'NOT_FOUND' });
  });
});

describe('a first materialization that is blocked', () => {
  it('says no run has written the view and reads answer NOT_FOUND, not that the store keeps its values', async () => {
    const dir = writeProject('fg-blocked-first-');
    dirs.push(dir);
    expect((await runCli(['--project', dir, 'apply'])).code).toBe(0);
    const blocked = await runCli(['--project', dir, '--json', 'materialize', '--views', 'stats', '--start', day(3), '--end', day(4)]);
    expect(blocked.code).not.toBe(0);
    const { cli: line, page } = await nextOf(dir, runIdOf(blocked));
    expect(line).toBe('nothing was written: no run has written stats yet; online reads answer NOT_FOUND until one does');
    expect(page).toContain('What now: Nothing was written: no run has written stats yet; online reads answer NOT_FOUND until one does. After fixing the source');
    expect(await readSea(dir)).toMatchObject({ status: 'NOT_FOUND' });
  }, 60_000);
});

describe("the window of the run named (finding 9)", () => {
  it('is written as the run page writes it: both times when one end is not a midnight', async () => {
    const dir = writeProject('fg-blocked-window-');
    dirs.push(dir);
    const cli = (...args: string[]) => runCli(['--project', dir, ...args]);
    expect((await cli('apply')).code).toBe(0);
    const end = new Date(base + DAY + 6 * 3_600_000).toISOString();
    const wrote = await cli('--json', 'materialize', '--views', 'stats', '--start', day(0), '--end', end);
    expect(wrote.code, wrote.err).toBe(0);
    const blocked = await cli('--json', 'materialize', '--views', 'stats', '--start', day(3), '--end', day(4));
    expect(blocked.code).not.toBe(0);
    const window = `${date(0)} 00:00:00Z → ${date(1)} 06:00:00Z`;
    const { cli: line, page } = await nextOf(dir, runIdOf(blocked));
    expect(line).toContain(`(last written by materialize run ${runIdOf(wrote).slice(0, 8)}, window ${window})`);
    expect(page).toContain(`, window ${window}).`);
    // The writer's own page gives its Window fact in the same words.
    const project = openProject(dir);
    try {
      const html = await (await new Hono().route('/ui', uiRoutes(project)).request(`/ui/runs/${runIdOf(wrote)}`)).text();
      expect(text(html)).toContain(`Window ${window}`);
    } finally {
      await project.close();
    }
  }, 60_000);
});
