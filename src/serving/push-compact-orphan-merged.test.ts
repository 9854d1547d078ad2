/**
 * A compaction's merged file whose runs `runs prune` removed (the merged pushes' runs, which recorded it in
 * `options.compacted_into`, and the compaction's own): the next compaction merges it with the later pushes' files,
 * as it merges the files of pruned pushes, so that no such file builds up per prune cycle. Every row stays exactly
 * once (the glob's row multiset, counted by DuckDB, is the same before and after each compaction). Never merged: a
 * file of the user's named almost as a merged file (a time that is no instant, an id that is no UUID), a merged
 * file a run still records elsewhere, one a compaction's journal names, one written after `olderThan`.
 */
import { mkdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openOfflineEngine } from '../offline/engine.js';
import { pruneRuns } from '../runs/prune.js';
import { openPushProject, userCountsYaml, type PushProject } from '../../test/datasets/push-project.js';
import { pushedFiles } from './push-compact-plan.js';
import { formatCompact } from '../cli/commands/compact.js';

const SEED = "SELECT u::BIGINT AS user_id, TIMESTAMP '2026-01-01' AS ts, u::BIGINT AS n FROM range(1, 4) a(u)";

const projects: PushProject[] = [];
afterEach(async () => {
  for (const p of projects.splice(0)) await p.close();
});

/** The glob's rows as a multiset: each distinct row with how many times DuckDB reads it. */
async function rowCounts(p: PushProject, glob: string): Promise<unknown> {
  const conn = await (await openOfflineEngine()).connect();
  try {
    const from = `read_parquet('${join(p.dir, 'data', 's', glob)}')`;
    return (await conn.runAndReadAll(`SELECT *, count(*) AS copies FROM ${from} GROUP BY ALL ORDER BY ALL`)).getRowObjectsJson();
  } finally {
    conn.closeSync();
  }
}

/** Remove every run (the pushes', the compactions'), as `runs prune` removes old ones. */
function pruneAll(p: PushProject): void {
  pruneRuns(p.fs.project.state, { before: new Date(Date.now() + 1000), keep: 0 });
  expect(p.fs.runs.list({}).runs).toHaveLength(0);
}

/** Push rows of users `users` on `day`, one push each (a row pushed twice stays twice: a push appends). */
async function pushEach(p: PushProject, day: number, users: readonly number[]): Promise<string[]> {
  const files: string[] = [];
  for (const u of users) {
    const r = await p.fs.push({ view: 'v', rows: [{ user_id: u, event_timestamp: `2026-01-0${day}T00:00:00Z`, n: u * 10 + day }], to: 'offline' });
    files.push(r.file!);
  }
  return files;
}

describe.each([
  ['a folder glob', '*.parquet', ''],
  ['a glob with text around its `*`', 'part-*.parquet', 'part-'],
])('compact after runs prune, %s', (_, glob, prefix) => {
  const mergedName = new RegExp(`^${prefix}push-\\d{8}T\\d{9}Z-compacted-[0-9a-f-]{36}\\.parquet$`);

  it("merges an earlier compaction's merged file whose runs were pruned with the later pushes' files, every row once, prune cycle after prune cycle", async () => {
    const p = await openPushProject('compact_orphan', userCountsYaml(glob), { parquet: { [`s/${prefix}0.parquet`]: SEED } });
    projects.push(p);
    const seed = `${prefix}0.parquet`;
    // User 1 pushed twice the same day: two equal rows, which must stay two.
    let pushed = await pushEach(p, 2, [1, 1, 2]);
    for (let cycle = 1; cycle <= 3; cycle++) {
      const before = await rowCounts(p, glob);
      const result = await p.fs.compact();
      expect(result.groups.filter((g) => g.status !== 'compacted')).toEqual([]);
      expect(result.groups).toHaveLength(1);
      const [g] = result.groups;
      const merged = g.file!;
      expect(basename(merged)).toMatch(mergedName);
      // The earlier merged file (its runs pruned) is merged too: one merged file in the folder, beside the seed.
      expect(p.files('s')).toEqual([seed, basename(merged)].sort());
      expect([...g.files].sort()).toEqual([...pushed].sort());
      // No run is named for the earlier merged file: its runs are gone, and it is no push.
      expect(g.runs.every((id) => !id.startsWith('compacted-'))).toBe(true);
      expect(await rowCounts(p, glob)).toEqual(before);
      pruneAll(p);
      pushed = [merged, ...(await pushEach(p, cycle + 2, [2, 3]))];
    }
  });

  // A regression review found: once a compaction had merged an earlier merged file (named for its older time), the
  // later pushes' runs recorded the new merged file, and the next compaction looked for a name from their times only
  // (a second before them at most), found none sorting before that file, and skipped the folder from then on.
  it('merges again, without a prune, the merged file that took in an earlier one: pushes more than a second later', async () => {
    const p = await openPushProject('compact_orphan_later', userCountsYaml(glob), { parquet: { [`s/${prefix}0.parquet`]: SEED } });
    projects.push(p);
    await pushEach(p, 2, [1, 2]);
    expect((await p.fs.compact()).groups.map((g) => g.status)).toEqual(['compacted']);
    pruneAll(p);
    await new Promise((r) => setTimeout(r, 1_200));
    await pushEach(p, 3, [2, 3]);
    expect((await p.fs.compact()).groups.map((g) => g.status)).toEqual(['compacted']);
    await pushEach(p, 4, [3, 4]);
    const before = await rowCounts(p, glob);
    const result = await p.fs.compact();
    expect(result.groups.map((g) => [g.status, g.reason ?? null])).toEqual([['compacted', null]]);
    expect(p.files('s')).toEqual([`${prefix}0.parquet`, basename(result.groups[0].file!)].sort());
    expect(await rowCounts(p, glob)).toEqual(before);
  });

  // A review finding: a dry run over a folder holding only earlier merged files whose runs were pruned (as earlier
  // versions left one per prune cycle) said "would merge 2 files (0 push runs)".
  it('says a group of earlier merged files whose runs were pruned re-merges them, and counts them beside push runs', async () => {
    const p = await openPushProject('compact_orphan_only', userCountsYaml(glob), { parquet: { [`s/${prefix}0.parquet`]: SEED } });
    projects.push(p);
    const dir = join(p.dir, 'data', 's');
    await pushEach(p, 2, [1, 2]);
    const first = (await p.fs.compact()).groups[0].file!;
    pruneAll(p);
    // The first merged file written "later" than the next compaction's cutoff: that one merges only the new pushes.
    const later = new Date(Date.now() + 3_600_000);
    utimesSync(first, later, later);
    await pushEach(p, 3, [3, 4]);
    const second = (await p.fs.compact()).groups[0].file!;
    expect(p.files('s')).toEqual([`${prefix}0.parquet`, basename(first), basename(second)].sort());
    pruneAll(p);
    const old = new Date(Date.now() - 3_600_000);
    utimesSync(first, old, old);

    const dry = await p.fs.compact({ dryRun: true });
    expect(dry.groups).toMatchObject([{ status: 'planned', runs: [], earlier_merged: 2 }]);
    expect([...dry.groups[0].files].sort()).toEqual([first, second].sort());
    expect(formatCompact(dry).split('\n')[0]).toBe(`${dir} (read by v): would merge 2 files (re-merging 2 earlier merged files whose push runs were pruned)`);

    // Beside the files of pushes: the push files, and the earlier merged files among the files.
    const pushed = await pushEach(p, 4, [5, 6, 7]);
    const mixed = await p.fs.compact({ dryRun: true });
    expect(mixed.groups).toMatchObject([{ status: 'planned', earlier_merged: 2 }]);
    expect([...mixed.groups[0].runs].sort()).toEqual(p.fs.runs.list({}).runs.map((r) => r.id).sort());
    expect(mixed.groups[0].runs).toHaveLength(pushed.length);
    expect(formatCompact(mixed).split('\n')[0]).toBe(`${dir} (read by v): would merge 5 files (3 push files, 2 earlier merged files)`);
    const done = await p.fs.compact();
    expect(done.groups).toMatchObject([{ status: 'compacted', earlier_merged: 2 }]);
    expect(formatCompact(done).split('\n')[0]).toMatch(new RegExp(`^${dir.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} \\(read by v\\): merged 5 files \\(3 push files, 2 earlier merged files\\), 7 rows, into `));
  });

  // A regression review found: a plain push file whose run was pruned was counted as a "push run" ("merged 2 files
  // (1 push run, 1 earlier merged file)" for 2 push files, one run pruned), though `runs show` no longer finds it.
  it('counts a push file whose run was pruned as such, not as a push run', async () => {
    const p = await openPushProject('compact_pruned_push', userCountsYaml(glob), { parquet: { [`s/${prefix}0.parquet`]: SEED } });
    projects.push(p);
    const dir = join(p.dir, 'data', 's');
    const [gone] = await pushEach(p, 2, [1]);
    pruneAll(p);
    const dryGone = await p.fs.compact({ dryRun: true });
    // One file alone is nothing to merge; a second pruned push makes two.
    expect(dryGone.groups).toEqual([]);
    const [gone2] = await pushEach(p, 2, [2]);
    pruneAll(p);
    const onlyPruned = await p.fs.compact({ dryRun: true });
    expect(onlyPruned.groups).toMatchObject([{ status: 'planned', earlier_merged: 0, pruned_push_files: 2 }]);
    expect(formatCompact(onlyPruned).split('\n')[0]).toBe(`${dir} (read by v): would merge 2 files (2 push files whose runs were pruned)`);
    const [kept] = await pushEach(p, 3, [3]);
    const live = p.fs.runs.list({}).runs.map((r) => r.id);
    expect(live).toHaveLength(1);
    const done = await p.fs.compact();
    expect([...done.groups[0].files].sort()).toEqual([gone, gone2, kept].sort());
    // `runs` keeps every run id the files' names carry, as before; the new count says which are gone.
    expect(done.groups).toMatchObject([{ status: 'compacted', earlier_merged: 0, pruned_push_files: 2 }]);
    expect(done.groups[0].runs).toHaveLength(3);
    expect(formatCompact(done).split('\n')[0]).toMatch(new RegExp(`^${dir.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} \\(read by v\\): merged 3 files \\(1 push file, 2 push files whose runs were pruned\\), 3 rows, into `));
  });

  it("leaves files of the user's named almost as a merged file, a merged file a run or a journal names, and one newer than olderThan", async () => {
    const p = await openPushProject('compact_orphan_kept', userCountsYaml(glob), { parquet: { [`s/${prefix}0.parquet`]: SEED } });
    projects.push(p);
    await pushEach(p, 2, [1, 2]);
    const first = (await p.fs.compact()).groups[0].file!;
    pruneAll(p);
    await pushEach(p, 3, [3, 3]);
    const dir = join(p.dir, 'data', 's');
    const uuid = '00000000-0000-4000-8000-000000000000';
    const users = [`${prefix}push-19708101T000000000Z-compacted-${uuid}.parquet`, `${prefix}push-20250101T000000000Z-compacted-${'0'.repeat(36)}.parquet`, `${prefix}push-20250101T000000000Z-compacted-${uuid}x.parquet`].map((n) => join(dir, n));
    const conn = await (await openOfflineEngine()).connect();
    try {
      for (const f of users) await conn.run(`COPY (SELECT 9::BIGINT AS user_id, TIMESTAMP '2026-01-02' AS ts, 9::BIGINT AS n) TO '${f}' (FORMAT parquet)`);
    } finally {
      conn.closeSync();
    }
    const { project } = p.fs;
    const cutoff = new Date(Date.now() + 1000).toISOString();
    const planned = () => pushedFiles(project.state, project, project.registry.current(), cutoff).map((f) => f.file);
    expect(planned()).toContain(first);
    for (const f of users) expect(planned()).not.toContain(f);

    // Named by a compaction's journal (a compaction stopped midway: its recovery records it first).
    const journals = join(p.dir, '.featureguard', 'compacting');
    mkdirSync(journals, { recursive: true });
    writeFileSync(join(journals, 'pending.json'), JSON.stringify({ file: first, merged: [], runs: [] }));
    expect(planned()).not.toContain(first);
    writeFileSync(join(journals, 'pending.json'), JSON.stringify({ file: join(dir, 'elsewhere.parquet'), merged: [first], runs: [] }));
    expect(planned()).not.toContain(first);
    rmSync(join(journals, 'pending.json'));

    // Recorded by a run still in the log (a failed one, whatever its status): it is that run's file, not an orphan.
    const run = project.runs.create({ kind: 'push', view: 'v', options: { to: 'offline', rows: 1 } });
    project.runs.update(run.id, { status: 'failed', finished_at: new Date().toISOString(), options: { to: 'offline', rows: 1, file: join(dir, 'gone.parquet'), compacted_into: first } });
    expect(planned()).not.toContain(first);
    pruneAll(p);

    // Written after the cutoff: its pushes may have finished after it too.
    const later = new Date(Date.now() + 3_600_000);
    utimesSync(first, later, later);
    expect(planned()).not.toContain(first);
    const old = new Date(Date.now() - 3_600_000);
    utimesSync(first, old, old);
    expect(planned()).toContain(first);

    const before = await rowCounts(p, glob);
    const result = await p.fs.compact();
    expect(result.groups).toMatchObject([{ status: 'compacted' }]);
    expect(result.groups[0].files).toContain(first);
    for (const f of users) expect(p.files('s')).toContain(basename(f));
    expect(await rowCounts(p, glob)).toEqual(before);
  });
});
