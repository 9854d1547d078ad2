/**
 * The quality-log run of a compaction (kind `compact`), on real projects (DuckDB files, the SQLite state database):
 * one run per compaction that merges something (none for a dry run or a compaction with nothing to merge), its
 * rows, views and lineage compared with what DuckDB reads of the files before they were merged; a group that
 * fails to merge makes the run `failed` with its message.
 */
import { closeSync, mkdirSync, openSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ConflictError } from '../errors.js';
import { acquireLeases } from '../materialize/lease.js';
import { openOfflineEngine } from '../offline/engine.js';
import { fingerprintRelation } from '../offline/fingerprint.js';
import { openPushProject, type PushProject } from '../../test/datasets/push-project.js';

const DEFS = `kind: entity
name: user
join_keys: [{name: user_id, type: int64}]
---
kind: source
name: s
path: data/s/*.parquet
timestamp_field: ts
---
kind: source
name: s_again
path: data/s/*.parquet
timestamp_field: ts
---
kind: source
name: t
path: data/t/*.parquet
timestamp_field: ts
---
kind: feature_view
name: v
entities: [user]
source: s
quality: {drift: off, anomaly: off}
features: [{name: n, type: int64}]
---
kind: feature_view
name: v_again
entities: [user]
source: s_again
quality: {drift: off, anomaly: off}
features: [{name: n, type: int64}]
---
kind: feature_view
name: w
entities: [user]
source: t
quality: {drift: off, anomaly: off}
features: [{name: n, type: int64}]
`;

const SEED = "SELECT 1::BIGINT AS user_id, TIMESTAMP '2026-01-01' AS ts, 11::BIGINT AS n";
const row = (u: number, day: number) => ({ user_id: u, event_timestamp: `2026-01-0${day}T00:00:00Z`, n: u * 10 + day });

const projects: PushProject[] = [];
afterEach(async () => {
  for (const p of projects.splice(0)) await p.close();
});
async function project(name: string): Promise<PushProject> {
  const p = await openPushProject(name, DEFS, { parquet: { 's/part-0.parquet': SEED, 't/part-0.parquet': SEED } });
  projects.push(p);
  return p;
}

async function pushEach(p: PushProject, view: string, batches: ReturnType<typeof row>[][]): Promise<string[]> {
  const files: string[] = [];
  for (const rows of batches) files.push((await p.fs.push({ view, rows, to: 'offline' })).file!);
  return files;
}

/** Each file's size, rows and row checksum as read here (the sum of DuckDB's `hash` of each row), before a compaction. */
async function filePrints(files: readonly string[]): Promise<Map<string, { size: number; rows: number; checksum: string }>> {
  const conn = await (await openOfflineEngine()).connect();
  try {
    const out = new Map<string, { size: number; rows: number; checksum: string }>();
    for (const f of files) {
      const [[rows, checksum]] = (await conn.runAndReadAll(`SELECT count(*), sum(hash(t))::VARCHAR FROM read_parquet('${f}') t`)).getRowsJS();
      out.set(f, { size: statSync(f).size, rows: Number(rows), checksum: String(checksum) });
    }
    return out;
  } finally {
    conn.closeSync();
  }
}

describe('a compaction run', () => {
  it('is recorded once per compaction that merges: success, rows, the views it locked, the files it read and wrote; none for a dry run or nothing to merge', async () => {
    const p = await project('compact_run');
    const s = await pushEach(p, 'v', [[row(1, 2)], [row(2, 2), row(3, 2)], [row(4, 3)]]);
    const t = await pushEach(p, 'w', [[row(5, 2)], [row(6, 3)]]);
    const prints = await filePrints([...s, ...t]);

    expect((await p.fs.compact({ dryRun: true })).files_merged).toBe(5);
    expect(p.fs.runs.list({ kind: 'compact' }).total).toBe(0);

    const startedBefore = new Date().toISOString();
    const result = await p.fs.compact();
    expect(result.files_written).toBe(2);
    const { runs, total } = p.fs.runs.list({ kind: 'compact' });
    expect(total).toBe(1);
    const [run] = runs;
    const [gs, gt] = [result.groups.find((g) => g.folder.endsWith(join('data', 's')))!, result.groups.find((g) => g.folder.endsWith(join('data', 't')))!];
    expect(run).toMatchObject({ kind: 'compact', view: null, service: null, status: 'success', rows_in: 6, rows_out: 6, message: null });
    expect(run.started_at >= startedBefore && run.finished_at! >= run.started_at).toBe(true);
    expect(run.options).toMatchObject({
      views: ['v', 'v_again', 'w'],
      groups: [
        { folder: gs.folder, file: gs.file, status: 'compacted', files: 3, rows: 4, sources: ['s', 's_again'], views: ['v', 'v_again'] },
        { folder: gt.folder, file: gt.file, status: 'compacted', files: 2, rows: 2, sources: ['t'], views: ['w'] },
      ],
    });
    const lineage = run.lineage!;
    expect(lineage.job).toBe('compact');
    expect(Object.keys(lineage.definition_versions).sort()).toEqual(['feature_view/v', 'feature_view/v_again', 'feature_view/w', 'source/s', 'source/s_again', 'source/t']);
    // Every file merged, with its size, rows and row checksum as read before the compaction.
    expect(lineage.inputs.map((i) => i.uri).sort()).toEqual([...s, ...t].map((f) => `file://${f}`).sort());
    for (const i of lineage.inputs) {
      const path = i.uri.slice('file://'.length);
      expect(i).toMatchObject({ kind: 'file', name: s.includes(path) ? 's, s_again' : 't' });
      expect(i.fingerprint).toEqual({ path, ...prints.get(path)!, merged_into: s.includes(path) ? gs.file : gt.file });
    }
    expect([lineage.output, ...(lineage.other_outputs ?? [])]).toEqual([
      { kind: 'file', uri: `file://${gs.file}`, rows: 4 },
      { kind: 'file', uri: `file://${gt.file}`, rows: 2 },
    ]);
    // The checksum the compaction checked the merged file against: the sum over the files it merged.
    const sum = (files: string[]) => String(files.reduce((n, f) => n + BigInt(prints.get(f)!.checksum), 0n));
    expect((run.options!.groups as { checksum: string }[]).map((g) => g.checksum)).toEqual([sum(s), sum(t)]);
    const [merged] = [...(await filePrints([gs.file!])).values()];
    expect(merged.checksum).toBe(sum(s));

    // Nothing left to merge: no run.
    expect((await p.fs.compact()).groups).toEqual([]);
    expect(p.fs.runs.list({ kind: 'compact' }).total).toBe(1);
    // Not a run of a view: a view's runs are the runs that read or judged its rows, which a compaction leaves as they were.
    expect(p.fs.runs.list({ view: 'v' }).runs.map((r) => r.kind)).not.toContain('compact');
  });

  it('is failed with the message of a group that could not be merged', async () => {
    const p = await project('compact_run_failed');
    const s = await pushEach(p, 'v', [[row(1, 2)], [row(2, 2)]]);
    // The first data page of one file broken: its footer (columns, types) still reads, its rows do not.
    const fd = openSync(s[1], 'r+');
    writeSync(fd, Buffer.alloc(16, 0xff), 0, 16, 4);
    closeSync(fd);
    const result = await p.fs.compact();
    expect(result.groups).toMatchObject([{ status: 'failed' }]);
    const [run] = p.fs.runs.list({ kind: 'compact' }).runs;
    expect(run).toMatchObject({ status: 'failed', rows_in: 0, rows_out: 0, view: null });
    expect(run.message).toBe(`${result.groups[0].folder}: ${result.groups[0].reason!.split('\n')[0]}`);
    expect(run.finished_at).not.toBeNull();
    expect(run.options).toMatchObject({ views: ['v', 'v_again'], groups: [{ status: 'failed', files: 2, file: null, code: result.groups[0].code }] });
    expect(run.lineage!.inputs.map((i) => i.uri).sort()).toEqual(s.map((f) => `file://${f}`).sort());
    expect(run.lineage!.output).toBeNull();
  });

  it('is failed with the error that stopped the compaction after it had begun (it finished a journal, then a lease was held)', async () => {
    const p = await project('compact_run_thrown');
    const s = await pushEach(p, 'v', [[row(1, 2)], [row(2, 2)]]);
    await pushEach(p, 'w', [[row(5, 2)], [row(6, 3)]]);
    // What a compaction of data/s killed after renaming its merged file into place leaves.
    const target = join(p.dir, 'data', 's', 'push-20260101T235959999Z-compacted-0f0e0d0c-0b0a-4908-8706-050403020100.parquet');
    const conn = await (await openOfflineEngine()).connect();
    let sum;
    try {
      await conn.run(`COPY (SELECT * FROM read_parquet([${s.map((f) => `'${f}'`).join(', ')}])) TO '${target}' (FORMAT parquet)`);
      sum = await fingerprintRelation(conn, `SELECT * FROM read_parquet([${s.map((f) => `'${f}'`).join(', ')}])`);
    } finally {
      conn.closeSync();
    }
    mkdirSync(join(p.dir, '.featureguard', 'compacting'), { recursive: true });
    const runs = p.fs.runs.list({ kind: 'push', view: 'v' }).runs.map((r) => r.id);
    writeFileSync(join(p.dir, '.featureguard', 'compacting', 'killed.json'), JSON.stringify({ file: target, merged: s, runs, format: 'parquet', rows: sum.rows, checksum: sum.checksum }));
    // A materialization of w holds its lease: the journal of data/s is finished, then the merge of data/t refused.
    const [lease] = acquireLeases(p.fs.project.state, ['w'], 'materialize-test');
    try {
      const refused = await p.fs.compact().catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(ConflictError);
      const [run] = p.fs.runs.list({ kind: 'compact' }).runs;
      expect(run).toMatchObject({ status: 'failed', message: (refused as Error).message.split('\n')[0], rows_in: 2, rows_out: 2 });
      expect(run.options).toMatchObject({ views: ['v', 'v_again'], groups: [{ folder: join(p.dir, 'data', 's'), file: target, status: 'compacted', recovered: true, rows: 2, files: 2 }] });
      expect(run.lineage!.inputs.map((i) => i.uri).sort()).toEqual(s.map((f) => `file://${f}`).sort());
      expect(run.lineage!.output).toEqual({ kind: 'file', uri: `file://${target}`, rows: 2 });
    } finally {
      await lease.release();
    }
  });
});
