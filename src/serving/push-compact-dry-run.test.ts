/**
 * `compact --dry-run` with a journal a killed compaction left (`.featureguard/compacting/`), on a real project
 * (DuckDB files, the SQLite state database): the dry run lists it, in its result (`--json`) and its text, and
 * touches nothing; a journal whose folder a live compaction holds is said to be merging now; the next
 * compaction finishes it.
 */
import { mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { formatCompact } from '../cli/commands/compact.js';
import { acquireLeases } from '../materialize/lease.js';
import { openOfflineEngine } from '../offline/engine.js';
import { fingerprintRelation } from '../offline/fingerprint.js';
import { openPushProject, USER_COUNTS_SEED, USER_COUNTS_YAML, type PushProject } from '../../test/datasets/push-project.js';
import { folderLeaseKey } from './push-compact.js';

const projects: PushProject[] = [];
afterEach(async () => {
  for (const p of projects.splice(0)) await p.close();
});

/** Every file under the project's data and state folders with its size and mtime: what "touches nothing" compares. */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const path = join(d, e.name);
      if (e.isDirectory()) walk(path);
      else if (!e.name.startsWith('state.db')) out[path] = `${statSync(path).size}@${statSync(path).mtimeMs}`;
    }
  };
  walk(join(dir, 'data'));
  walk(join(dir, '.featureguard'));
  return out;
}

describe('compact --dry-run with a journal a killed compaction left', () => {
  it('lists it (result and text), touching nothing, and the next compaction finishes it', async () => {
    const p = await openPushProject('compact_dry_journal', USER_COUNTS_YAML, USER_COUNTS_SEED);
    projects.push(p);
    const files: string[] = [];
    for (const u of [2, 3, 4]) files.push((await p.fs.push({ view: 'v', rows: [{ user_id: u, event_timestamp: '2026-01-02T00:00:00Z', n: u }], to: 'offline' })).file!);
    // What a compaction killed after renaming its merged file into place leaves: the merged file, the journal, the files it merged.
    const folder = join(p.dir, 'data', 's');
    const target = join(folder, 'push-20260101T235959999Z-compacted-0f0e0d0c-0b0a-4908-8706-050403020100.parquet');
    const conn = await (await openOfflineEngine()).connect();
    let sum;
    try {
      const list = `[${files.map((f) => `'${f}'`).join(', ')}]`;
      await conn.run(`COPY (SELECT * FROM read_parquet(${list})) TO '${target}' (FORMAT parquet)`);
      sum = await fingerprintRelation(conn, `SELECT * FROM read_parquet(${list})`);
    } finally {
      conn.closeSync();
    }
    const journalDir = join(p.dir, '.featureguard', 'compacting');
    mkdirSync(journalDir, { recursive: true });
    const journal = join(journalDir, '5a1b2c3d-0000-4000-8000-000000000001.json');
    const runs = p.fs.runs.list({ kind: 'push' }).runs.map((r) => r.id);
    writeFileSync(journal, JSON.stringify({ file: target, merged: files, runs, format: 'parquet', rows: sum.rows, checksum: sum.checksum }));
    const before = snapshot(p.dir);

    const dry = await p.fs.compact({ dryRun: true });
    expect(dry.pending).toEqual([{ journal, folder, file: target, files: 3, merged: files, rows: 3, state: 'interrupted' }]);
    // The files it merged are not planned again: the next compaction removes them (its merged file holds their rows).
    expect(dry).toMatchObject({ dry_run: true, groups: [], files_merged: 0, recovered: 0, run_id: null });
    const text = formatCompact(dry);
    expect(text.split('\n')).toEqual([
      `A compaction was interrupted; the next compaction finishes it: 3 files, folder ${folder} (merged into ${target}).`,
      'Dry run: 0 files would be merged; nothing was changed.',
    ]);
    expect(JSON.parse(JSON.stringify(dry)).pending).toHaveLength(1);
    expect(snapshot(p.dir)).toEqual(before);

    // A live compaction holding the folder: merging it now, not interrupted.
    const [lease] = acquireLeases(p.fs.project.state, [folderLeaseKey(folder)], 'compact-test');
    try {
      const busy = await p.fs.compact({ dryRun: true });
      expect(busy.pending).toMatchObject([{ journal, state: 'running' }]);
      expect(formatCompact(busy).split('\n')[0]).toBe(`A compaction is merging 3 files in folder ${folder} into ${target} now (pid ${process.pid}).`);
    } finally {
      await lease.release();
    }
    expect(snapshot(p.dir)).toEqual(before);

    const done = await p.fs.compact();
    expect(done).toMatchObject({ recovered: 1, pending: [] });
    expect(p.files('s')).toEqual(['part-0.parquet', 'push-20260101T235959999Z-compacted-0f0e0d0c-0b0a-4908-8706-050403020100.parquet']);
    expect((await p.fs.compact({ dryRun: true })).pending).toEqual([]);
  });
});
