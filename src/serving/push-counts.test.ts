/**
 * What a push says it did with its rows: a row beaten by a newer row of the same entity in the same push is
 * `superseded`, not `skipped` (which says the store held a newer value); `runs show`'s `push:` line and `runs
 * list`'s MESSAGE say it too; `compact` counts push files and the runs inside earlier merged files apart.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatCompact } from '../cli/commands/compact.js';
import { formatRunList, formatRunShow } from '../cli/commands/quality-format.js';
import type { CompactedGroup, CompactResult } from './push-compact-types.js';
import { push } from './push.js';
import { guardBench, type GuardBench } from '../../test/guards/helpers.js';

let bench: GuardBench;
beforeAll(async () => {
  bench = await guardBench({ sourceGlob: true });
});
afterAll(async () => {
  await bench?.close();
});

const row = (at: string, delay: number, airport = 'SEA') => ({ airport, event_timestamp: at, delay, carrier: 'AA' });

describe('a push of two rows of one entity', () => {
  it('counts the older row superseded, not skipped, in its answer, its run and runs show', async () => {
    const res = await push(bench.project, { view: 'delays', to: 'online', rows: [row('2024-04-01T10:00:00Z', 1), row('2024-04-01T11:00:00Z', 2)] });
    expect(res).toMatchObject({ rows: 2, written: 1, skipped: 0, superseded: 1 });
    const run = bench.project.runs.get(res.run_id);
    expect(run.options).toMatchObject({ written: 1, skipped: 0, superseded: 1 });
    const show = formatRunShow(run, [], [], [], false);
    expect(show).toContain('  push: to online: 2 rows, 1 written online, 0 skipped (not newer than the stored value), 1 superseded (a newer row of the same entity in this push)');
  });

  it('still counts a row not newer than the stored value as skipped', async () => {
    const res = await push(bench.project, { view: 'delays', to: 'online', rows: [row('2024-04-01T09:00:00Z', 3), row('2024-04-01T08:00:00Z', 4)] });
    expect(res).toMatchObject({ rows: 2, written: 0, skipped: 1, superseded: 1 });
  });
});

describe('runs list', () => {
  it("gives a push's rows as its MESSAGE: to both: 1 row, 1 written", async () => {
    const res = await push(bench.project, { view: 'delays', to: 'both', rows: [row('2024-04-02T10:00:00Z', 5, 'JFK')] });
    const off = await push(bench.project, { view: 'delays', to: 'offline', rows: [row('2024-04-02T11:00:00Z', 5, 'JFK')] });
    const runs = [bench.project.runs.get(res.run_id), bench.project.runs.get(off.run_id)];
    const text = formatRunList(runs, 2);
    const line = (id: string) => text.split('\n').find((l) => l.startsWith(id))!;
    expect(line(res.run_id)).toMatch(/ to both: 1 row, 1 written$/);
    expect(line(off.run_id)).toMatch(/ to offline: 1 row, appended$/);
  });
});

describe('compact', () => {
  const group = (g: Partial<CompactedGroup>): CompactedGroup => ({
    folder: 'data/hourly', format: 'parquet', sources: ['s'], views: ['v'], status: 'compacted', files: [], file: 'data/hourly/part-push-x-compacted-y.parquet',
    rows: 10, runs: [], earlier_merged: 0, pruned_push_files: 0, reason: null, code: null, ...g,
  });
  const result = (g: CompactedGroup): CompactResult => ({ dry_run: false, groups: [g], files_merged: g.files.length, files_written: 1, recovered: 0, pending: [], run_id: null });
  const names = (n: number, p: string) => Array.from({ length: n }, (_, i) => `${p}${i}`);

  it('counts push files and the runs inside an earlier merged file apart: 152 push files, 1 earlier merged file (6 runs)', () => {
    const g = group({ files: [...names(152, 'push-'), 'merged'], runs: names(158, 'run-'), earlier_merged: 1 });
    expect(formatCompact(result(g)).split('\n')[0]).toBe('data/hourly (read by v): merged 153 files (152 push files, 1 earlier merged file (6 runs)), 10 rows, into data/hourly/part-push-x-compacted-y.parquet');
  });

  it('names push files whose runs were pruned, and earlier merged files whose runs were', () => {
    const pruned = group({ files: names(3, 'push-'), runs: names(3, 'run-'), pruned_push_files: 2 });
    expect(formatCompact(result(pruned)).split('\n')[0]).toContain('merged 3 files (1 push file, 2 push files whose runs were pruned),');
    const orphans = group({ files: names(2, 'merged-'), runs: [], earlier_merged: 2 });
    expect(formatCompact(result(orphans)).split('\n')[0]).toContain('merged 2 files (re-merging 2 earlier merged files whose push runs were pruned),');
  });
});
