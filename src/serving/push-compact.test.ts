/**
 * `compactPushedFiles` on real projects (DuckDB files, the SQLite state database): the files of finished offline
 * pushes are merged into one with the same rows and column types (compared with the raw rows, a dataset build, a
 * materialization's online values and a reference computed here), the tamper check passes across a compaction,
 * running and failed pushes' files are left alone, `olderThan` and `dryRun` are honoured, and a materialization
 * of any view reading the folder holding its lease refuses the compaction.
 */
import Database from 'better-sqlite3';
import { copyFileSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ConflictError } from '../errors.js';
import { acquireLeases } from '../materialize/lease.js';
import { openOfflineEngine } from '../offline/engine.js';
import { formatRunShow } from '../cli/commands/quality-format.js';
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
kind: feature_view
name: v
entities: [user]
source: s
online: true
quality: {drift: off, anomaly: off}
features: [{name: n, type: int64}, {name: x, type: float64}]
---
kind: feature_view
name: v_offline
entities: [user]
source: s_again
quality: {drift: off, anomaly: off}
features: [{name: n, type: int64}]
`;

/** Users 1-3 on Jan 1, 4 and 5; `x` is FLOAT in the files (a float64 feature the files hold as float32). */
const SEED = `SELECT u::BIGINT AS user_id, TIMESTAMP '2026-01-01' + INTERVAL (d) DAY AS ts, (u * 10 + d + 1)::BIGINT AS n, ((u * 10 + d + 1) / 4)::FLOAT AS x
  FROM range(1, 4) a(u), (VALUES (0), (3), (4)) b(d)`;

/** A pushed row of user `u` on January `day`, values as the seed's: n = u * 10 + day, x = n / 4. */
const row = (u: number, day: number, hour = 0) => ({ user_id: u, event_timestamp: `2026-01-0${day}T${String(hour).padStart(2, '0')}:00:00Z`, n: u * 10 + day + hour, x: (u * 10 + day + hour) / 4 });

/** Four pushes: users 1-3 on Jan 2 (one push each), users 1 and 4 on Jan 3 (one push). */
async function pushFour(p: PushProject): Promise<string[]> {
  const files: string[] = [];
  for (const rows of [[row(1, 2)], [row(2, 2)], [row(3, 2, 6)], [row(1, 3), row(4, 3)]]) {
    const r = await p.fs.push({ view: 'v', rows, to: 'offline' });
    expect(r.status).not.toBe('blocked');
    files.push(r.file!);
  }
  return files;
}

const ENTITIES = [1, 2, 3, 4].flatMap((u) => ['2026-01-01T12:00:00Z', '2026-01-02T12:00:00Z', '2026-01-03T12:00:00Z', '2026-01-05T12:00:00Z'].map((t) => ({ user_id: u, event_timestamp: t })));

/** The values a training set must hold for `ENTITIES` after `pushFour`: the latest row at or before each time, from the rows themselves. */
function reference(): { n: bigint | null; x: number | null }[] {
  const rows: { u: number; t: number; n: number }[] = [];
  for (const u of [1, 2, 3]) for (const d of [1, 4, 5]) rows.push({ u, t: Date.UTC(2026, 0, d), n: u * 10 + d });
  for (const r of [row(1, 2), row(2, 2), row(3, 2, 6), row(1, 3), row(4, 3)]) rows.push({ u: r.user_id, t: Date.parse(r.event_timestamp), n: r.n });
  return ENTITIES.map((e) => {
    const at = rows.filter((r) => r.u === e.user_id && r.t <= Date.parse(e.event_timestamp)).sort((a, b) => b.t - a.t)[0];
    return at ? { n: BigInt(at.n), x: at.n / 4 } : { n: null, x: null };
  });
}

async function build(p: PushProject): Promise<{ n: bigint | null; x: number | null }[]> {
  const ds = await p.fs.getHistoricalFeatures({ entities: ENTITIES, features: ['v:n', 'v:x'] });
  const n = [...ds.table!.getChild('n')!] as (bigint | null)[];
  const x = [...ds.table!.getChild('x')!] as (number | null)[];
  return n.map((v, i) => ({ n: v, x: x[i] }));
}

/** Every row of the folder as DuckDB reads the glob, sorted, with the types it reads them in. */
async function rawRows(p: PushProject, glob = 'data/s/*.parquet'): Promise<{ types: unknown; rows: unknown }> {
  const conn = await (await openOfflineEngine()).connect();
  try {
    const from = `read_parquet('${join(p.dir, glob)}')`;
    const types = (await conn.runAndReadAll(`DESCRIBE SELECT * FROM ${from}`)).getRowObjectsJson().map((r) => [r.column_name, r.column_type]);
    const rows = (await conn.runAndReadAll(`SELECT * FROM ${from} ORDER BY ALL`)).getRowObjectsJson();
    return { types, rows };
  } finally {
    conn.closeSync();
  }
}

const projects: PushProject[] = [];
async function project(name: string, defs = DEFS, seeds: Parameters<typeof openPushProject>[2] = { parquet: { 's/part-0.parquet': SEED } }): Promise<PushProject> {
  const p = await openPushProject(name, defs, seeds);
  projects.push(p);
  return p;
}
afterEach(async () => {
  for (const p of projects.splice(0)) await p.close();
});

describe('compact', () => {
  it('merges the files of finished pushes into one, with the same rows and column types, and the runs record it', async () => {
    const p = await project('compact_rows');
    const pushed = await pushFour(p);
    const before = await rawRows(p);
    const built = await build(p);
    expect(built).toEqual(reference());
    const runIds = p.fs.runs.list({ kind: 'push' }).runs.map((r) => r.id);

    const result = await p.fs.compact();
    expect(result).toMatchObject({ dry_run: false, files_merged: 4, files_written: 1, recovered: 0 });
    expect(result.groups).toHaveLength(1);
    const [g] = result.groups;
    expect(g).toMatchObject({ folder: join(p.dir, 'data', 's'), format: 'parquet', status: 'compacted', sources: ['s', 's_again'], views: ['v', 'v_offline'], rows: 5, reason: null });
    expect([...g.files].sort()).toEqual([...pushed].sort());
    expect([...g.runs].sort()).toEqual([...runIds].sort());
    // Named as a push to the source names its file, so the same globs read it, and before the files it merged.
    const merged = basename(g.file!);
    expect(merged).toMatch(/^push-\d{8}T\d{9}Z-compacted-[0-9a-f-]{36}\.parquet$/);
    expect(p.files('s')).toEqual(['part-0.parquet', merged]);
    for (const f of pushed) expect(existsSync(f)).toBe(false);

    expect(await rawRows(p)).toEqual(before);
    expect(await build(p)).toEqual(built);
    // The merged file holds the columns and types each pushed file held (and the seed file has).
    const conn = await (await openOfflineEngine()).connect();
    try {
      const describe = async (f: string) => (await conn.runAndReadAll(`DESCRIBE SELECT * FROM read_parquet('${f}')`)).getRowObjectsJson();
      expect(await describe(g.file!)).toEqual(await describe(join(p.dir, 'data', 's', 'part-0.parquet')));
    } finally {
      conn.closeSync();
    }
    for (const id of runIds) {
      const run = p.fs.runs.get(id);
      expect(run.options).toMatchObject({ file: expect.stringMatching(/push-.*\.parquet$/), compacted_into: g.file });
      expect(pushed).toContain(run.options!.file);
      expect(formatRunShow(run, [], [], [], false)).toContain(`  appended file ${run.options!.file as string} (compacted into ${g.file})`);
    }

    // Nothing more to merge: one file.
    expect(await p.fs.compact()).toMatchObject({ groups: [], files_merged: 0, files_written: 0 });
    // Later pushes are merged with the merged file, which the earlier pushes' runs then point past.
    const later = await p.fs.push({ view: 'v', rows: [row(2, 3, 1)], to: 'offline' });
    const again = await p.fs.compact();
    expect(again.groups).toMatchObject([{ status: 'compacted', files: [g.file, later.file].sort(), rows: 6 }]);
    const merged2 = again.groups[0].file!;
    expect(merged2 < g.file!).toBe(true);
    expect(p.files('s')).toEqual(['part-0.parquet', basename(merged2)]);
    for (const id of [...runIds, later.run_id]) expect(p.fs.runs.get(id).options).toMatchObject({ compacted_into: merged2 });
    const now = await rawRows(p);
    expect(now.types).toEqual(before.types);
    expect((now.rows as unknown[]).length).toBe((before.rows as unknown[]).length + 1);
  });

  it('materializes the same online values as a project whose pushed files were not merged, as the rows say', async () => {
    const compacted = await project('compact_online');
    const twin = await project('compact_online_twin');
    await pushFour(compacted);
    await pushFour(twin);
    expect((await compacted.fs.compact()).files_written).toBe(1);
    const values = async (p: PushProject) => {
      const [m] = await p.fs.materialize({ start: '2026-01-01', end: '2026-01-04', views: ['v'] });
      expect(m.status).toBe('success');
      const online = await p.fs.getOnlineFeatures({ features: ['v:n', 'v:x'], entities: { user_id: [1, 2, 3, 4] } });
      return online.results.slice(1).map((r) => r.values);
    };
    const got = await values(compacted);
    expect(got).toEqual(await values(twin));
    // The latest row of each user before Jan 4 (user 3's pushed row is at 06:00 on Jan 2).
    const latest = [row(1, 3), row(2, 2), row(3, 2, 6), row(4, 3)];
    expect(got).toEqual([latest.map((r) => r.n), latest.map((r) => r.x)]);
  });

  it('leaves history as the tamper check recorded it: a materialization after a compaction re-checks the days unchanged', async () => {
    const p = await project('compact_tamper');
    await pushFour(p);
    const [first] = await p.fs.materialize({ start: '2026-01-01', end: '2026-01-04', views: ['v'] });
    expect(first.status).toBe('success');
    expect((await p.fs.compact()).files_written).toBe(1);
    const [next] = await p.fs.materialize({ start: '2026-01-04', end: '2026-01-05', views: ['v'] });
    expect(next.status).toBe('success');
    const tamper = next.checks.find((c) => c.check === 'provenance' && c.method === 'tampering')!;
    expect(tamper).toMatchObject({ status: 'pass', metrics: { partitions_checked: 3, partitions_changed: 0 } });
    // The control: the same re-check over the rows of the merged file read twice blocks the run.
    const merged = p.files('s').find((f) => f.includes('compacted'))!;
    copyFileSync(join(p.dir, 'data', 's', merged), join(p.dir, 'data', 's', 'copy.parquet'));
    const [doubled] = await p.fs.materialize({ start: '2026-01-05', end: '2026-01-06', views: ['v'] });
    expect(doubled.status).toBe('blocked');
    expect(doubled.checks.find((c) => c.check === 'provenance' && c.method === 'tampering')).toMatchObject({ status: 'fail', message: expect.stringContaining('2026-01-02, 2026-01-03') });
  });

  it('a dataset build reading the merged file beside the files it merged (the instant between) gives the same rows', async () => {
    const p = await project('compact_duplicates');
    const pushed = await pushFour(p);
    const built = await build(p);
    // What a build listing the folder in that instant reads: every pushed row twice.
    for (const f of pushed) copyFileSync(f, f.replace('push-', 'push-0-'));
    expect(p.files('s')).toHaveLength(9);
    expect(await build(p)).toEqual(built);
  });

  it("leaves the files of a running push, of a failed push and of no push alone", async () => {
    const p = await project('compact_running');
    await p.fs.push({ view: 'v', rows: [row(1, 2)], to: 'online' }); // the online store exists
    const done = await pushFour(p);
    // A failed push's record (its file is one it is about to remove) and a file no push wrote.
    const failedFile = join(p.dir, 'data', 's', 'push-20260101T000000000Z-failed.parquet');
    copyFileSync(done[0], failedFile);
    const failed = p.fs.project.runs.create({ kind: 'push', view: 'v', options: { to: 'offline', rows: 1 } });
    p.fs.project.runs.update(failed.id, { status: 'failed', finished_at: new Date().toISOString(), options: { to: 'offline', rows: 1, file: failedFile } });
    writeFileSync(join(p.dir, 'data', 's', 'notes.txt'), 'not a source file');
    // A push to both that waits for the online store's write lock with its file written (another process's write).
    const other = new Database(join(p.dir, '.featureguard', 'online.db'));
    let running: string | undefined;
    try {
      other.exec('BEGIN IMMEDIATE');
      const pushing = p.fs.push({ view: 'v', rows: [row(2, 3)], to: 'both' });
      const known = new Set(p.files('s'));
      for (let i = 0; i < 500 && running === undefined; i++) {
        await new Promise((r) => setTimeout(r, 10));
        running = p.files('s').find((f) => f.startsWith('push-') && !known.has(f));
      }
      expect(running).toBeDefined();
      const result = await p.fs.compact();
      expect(result.groups).toMatchObject([{ status: 'compacted', files: [...done].sort() }]);
      expect(p.files('s')).toEqual(expect.arrayContaining(['notes.txt', 'part-0.parquet', basename(failedFile), running!]));
      expect(p.files('s')).toHaveLength(5);
      other.exec('COMMIT');
      expect((await pushing).file).toBe(join(p.dir, 'data', 's', running!));
    } finally {
      if (other.inTransaction) other.exec('ROLLBACK');
      other.close();
    }
    // Finished now: merged with the merged file; the failed push's file stays.
    const next = await p.fs.compact();
    expect(next.groups).toMatchObject([{ status: 'compacted', files: expect.arrayContaining([join(p.dir, 'data', 's', running!)]) }]);
    expect(p.files('s')).toEqual(expect.arrayContaining(['notes.txt', 'part-0.parquet', basename(failedFile)]));
    expect(p.files('s')).toHaveLength(4);
  });

  it('merges only the files of pushes that finished olderThan ago', async () => {
    const p = await project('compact_older');
    const files = await pushFour(p);
    const runs = p.fs.runs.list({ kind: 'push' }).runs;
    const aged = runs.filter((r) => files.slice(0, 2).includes(r.options!.file as string)).map((r) => r.id);
    expect(aged).toHaveLength(2);
    expect((await p.fs.compact({ olderThan: '1h' })).groups).toEqual([]);
    const db = new Database(join(p.dir, '.featureguard', 'state.db'));
    try {
      const twoHoursAgo = new Date(Date.now() - 2 * 3_600_000).toISOString();
      for (const id of aged) db.prepare('UPDATE runs SET finished_at = ? WHERE id = ?').run(twoHoursAgo, id);
    } finally {
      db.close();
    }
    const result = await p.fs.compact({ olderThan: '1h' });
    expect(result.groups).toMatchObject([{ status: 'compacted', files: files.slice(0, 2).sort() }]);
    for (const f of files.slice(2)) expect(existsSync(f)).toBe(true);
    await expect(p.fs.compact({ olderThan: '1 hour' })).rejects.toMatchObject({ code: 'bad_request', message: expect.stringContaining("invalid olderThan '1 hour'") });
  });

  it('changes nothing on a dry run, and says what it would merge', async () => {
    const p = await project('compact_dry');
    const files = await pushFour(p);
    const listing = p.files('s');
    const options = p.fs.runs.list({ kind: 'push' }).runs.map((r) => r.options);
    const result = await p.fs.compact({ dryRun: true });
    expect(result).toMatchObject({ dry_run: true, files_merged: 4, files_written: 0, groups: [{ status: 'planned', file: null, files: [...files].sort(), views: ['v', 'v_offline'] }] });
    expect(p.files('s')).toEqual(listing);
    expect(p.fs.runs.list({ kind: 'push' }).runs.map((r) => r.options)).toEqual(options);
    expect(existsSync(join(p.dir, '.featureguard', 'compacting'))).toBe(false);
  });

  it('is refused while a materialization of any view reading the folder holds its lease, and changes nothing', async () => {
    const p = await project('compact_lease');
    await pushFour(p);
    const listing = p.files('s');
    // `v_offline` reads the folder through another source: its lease counts too.
    for (const view of ['v', 'v_offline']) {
      const [lease] = acquireLeases(p.fs.project.state, [view], `materialize-test-${view}`);
      try {
        const error = await p.fs.compact().then(() => null, (e: unknown) => e);
        expect(error).toBeInstanceOf(ConflictError);
        expect(error).toMatchObject({ code: 'materialization_running', status: 409, message: expect.stringContaining(`cannot compact the pushed files in ${join(p.dir, 'data', 's')} now: feature view '${view}' is already being materialized`) });
        expect(p.files('s')).toEqual(listing);
      } finally {
        await lease.release();
      }
    }
    // Compacting holds them: a materialization starting meanwhile is refused (the lease is free again after).
    expect((await p.fs.compact()).files_written).toBe(1);
    expect(acquireLeases(p.fs.project.state, ['v', 'v_offline'], 'materialize-after').length).toBe(2);
  });

  it('only the folders the named views read, with views', async () => {
    const defs = `${DEFS}---
kind: source
name: t
path: data/t/*.parquet
timestamp_field: ts
---
kind: feature_view
name: w
entities: [user]
source: t
quality: {drift: off, anomaly: off}
features: [{name: n, type: int64}]
`;
    const p = await project('compact_views', defs, { parquet: { 's/part-0.parquet': SEED, 't/part-0.parquet': `SELECT 1::BIGINT AS user_id, TIMESTAMP '2026-01-01' AS ts, 1::BIGINT AS n` } });
    await pushFour(p);
    for (const u of [1, 2]) await p.fs.push({ view: 'w', rows: [{ user_id: u, event_timestamp: '2026-01-02T00:00:00Z', n: u }], to: 'offline' });
    const onlyW = await p.fs.compact({ views: ['w'] });
    expect(onlyW.groups).toMatchObject([{ folder: join(p.dir, 'data', 't'), status: 'compacted', views: ['w'] }]);
    expect(p.files('s')).toHaveLength(5);
    await expect(p.fs.compact({ views: ['nope'] })).rejects.toMatchObject({ code: 'unknown_view' });
    // `v_offline` reads data/s (through its own source): named, it compacts that folder.
    expect((await p.fs.compact({ views: ['v_offline'] })).groups).toMatchObject([{ folder: join(p.dir, 'data', 's'), status: 'compacted' }]);
  });

  it('merges CSV pushes as text, empty strings and missing values kept apart', async () => {
    const defs = `kind: entity
name: user
join_keys: [{name: user_id, type: int64}]
---
kind: source
name: c
path: data/c/*.csv
timestamp_field: ts
---
kind: feature_view
name: vc
entities: [user]
source: c
online: true
quality: {drift: off, anomaly: off}
features: [{name: label, type: string}, {name: x, type: float64}]
`;
    const p = await project('compact_csv', defs, { text: { 'c/part-0.csv': 'user_id,ts,label,x\n1,2026-01-01T00:00:00Z,a,0.5\n' } });
    const files: string[] = [];
    for (const rows of [
      [{ user_id: 2, event_timestamp: '2026-01-02T00:00:00Z', label: '', x: 1.5 }],
      [{ user_id: 3, event_timestamp: '2026-01-02T00:00:00Z', label: null, x: null }],
      [{ user_id: 4, event_timestamp: '2026-01-02T00:00:00Z', label: 'say "hi", then\nleave', x: 0.1 }],
    ]) files.push((await p.fs.push({ view: 'vc', rows, to: 'offline' })).file!);
    const read = async () => {
      const conn = await (await openOfflineEngine()).connect();
      try {
        return (await conn.runAndReadAll(`SELECT * FROM read_csv('${join(p.dir, 'data', 'c', '*.csv')}', header = true, all_varchar = true, quote = '"', escape = '"', allow_quoted_nulls = false) ORDER BY ALL`)).getRowObjectsJson();
      } finally {
        conn.closeSync();
      }
    };
    const before = await read();
    expect(before.map((r) => r.label)).toEqual(['a', '', null, 'say "hi", then\nleave']);
    const entities = [1, 2, 3, 4].map((u) => ({ user_id: u, event_timestamp: '2026-01-03T00:00:00Z' }));
    const ds = async () => {
      const t = (await p.fs.getHistoricalFeatures({ entities, features: ['vc:label', 'vc:x'] })).table!;
      return [[...t.getChild('label')!], [...t.getChild('x')!]];
    };
    const built = await ds();
    const result = await p.fs.compact();
    expect(result.groups).toMatchObject([{ format: 'csv', status: 'compacted', files: files.sort(), rows: 3 }]);
    expect(p.files('c')).toEqual(['part-0.csv', basename(result.groups[0].file!)]);
    expect(result.groups[0].file).toMatch(/-compacted-.*\.csv$/);
    expect(await read()).toEqual(before);
    expect(await ds()).toEqual(built);
    expect(built).toEqual([['a', '', null, 'say "hi", then\nleave'], [0.5, 1.5, null, 0.1]]);
  });

  it('leaves files whose columns differ from what the source reads, saying why', async () => {
    const p = await project('compact_schema');
    const files = await pushFour(p);
    // A file of the folder written by another tool in other types, recorded as a push's (as if pushed before the
    // seed file changed): merged, it could change what the glob reads.
    const conn = await (await openOfflineEngine()).connect();
    try {
      await conn.run(`COPY (SELECT 7::BIGINT AS user_id, TIMESTAMP '2026-01-02' AS ts, 7::BIGINT AS n, 1.75::DOUBLE AS x) TO '${files[0]}' (FORMAT parquet)`);
    } finally {
      conn.closeSync();
    }
    const result = await p.fs.compact();
    expect(result.groups).toEqual(expect.arrayContaining([
      expect.objectContaining({ status: 'skipped', files: [files[0]], reason: expect.stringContaining("differ from what source 's', 's_again' reads") }),
      expect.objectContaining({ status: 'compacted', files: files.slice(1).sort() }),
    ]));
    expect(existsSync(files[0])).toBe(true);
  });

  it('finishes a compaction a stopped process left midway (merged file in place, merged files not yet removed)', async () => {
    const p = await project('compact_journal');
    const files = await pushFour(p);
    const before = await rawRows(p);
    // What a process killed after renaming the merged file into place leaves: the file, its journal, the files it merged.
    const target = join(p.dir, 'data', 's', 'push-20250101T000000000Z-compacted-test.parquet');
    const conn = await (await openOfflineEngine()).connect();
    try {
      await conn.run(`COPY (SELECT * FROM read_parquet([${files.map((f) => `'${f}'`).join(', ')}])) TO '${target}' (FORMAT parquet)`);
    } finally {
      conn.closeSync();
    }
    const runs = p.fs.runs.list({ kind: 'push' }).runs.map((r) => r.id);
    const journal = join(p.dir, '.featureguard', 'compacting', 'j.json');
    const { mkdirSync } = await import('node:fs');
    mkdirSync(join(p.dir, '.featureguard', 'compacting'));
    writeFileSync(journal, JSON.stringify({ file: target, merged: files, runs }));
    // A dry run reports, and changes nothing.
    expect((await p.fs.compact({ dryRun: true })).recovered).toBe(0);
    expect(existsSync(journal)).toBe(true);
    const result = await p.fs.compact();
    expect(result).toMatchObject({ recovered: 1, groups: [] });
    expect(existsSync(journal)).toBe(false);
    expect(p.files('s')).toEqual(['part-0.parquet', basename(target)]);
    expect(await rawRows(p)).toEqual(before);
    for (const id of runs) expect(p.fs.runs.get(id).options).toMatchObject({ compacted_into: target });
    // One stopped before the rename: only its hidden file is removed.
    writeFileSync(journal, JSON.stringify({ file: join(p.dir, 'data', 's', 'never.parquet'), merged: [target], runs }));
    writeFileSync(join(p.dir, 'data', 's', '.never.parquet.featureguard-writing'), 'partial');
    expect(await p.fs.compact()).toMatchObject({ recovered: 1 });
    expect(p.files('s')).toEqual(['part-0.parquet', basename(target)]);
    expect(readFileSync(target).length).toBeGreaterThan(0);
    rmSync(journal, { force: true });
  });

  it('a source never reads the files a killed compaction merged beside the merged file: materialize, check and builds read each row once', async () => {
    const p = await project('compact_killed_reads');
    const files = await pushFour(p);
    const counted = await sourceRows(p);
    expect(counted).toBe(9 + 5);
    // What a process killed after renaming the merged file into place leaves: the file, its journal, the files it merged.
    const target = await killedAfterRename(p, files);
    expect(await sourceRows(p)).toBe(counted);
    // A materialization in that gap records the checksums of the rows read once, so the recovery changes nothing it sees.
    const [m] = await p.fs.materialize({ views: ['v'], start: '2026-01-01', end: '2026-01-04' });
    expect(m.status).toBe('success');
    expect(await p.fs.compact()).toMatchObject({ recovered: 1 });
    expect(p.files('s')).toEqual(['part-0.parquet', basename(target)]);
    expect(await sourceRows(p)).toBe(counted);
    const [again] = await p.fs.materialize({ views: ['v'], start: '2026-01-04', end: '2026-01-06' });
    expect(again.status).toBe('success');
    expect(again.checks.find((c) => c.check === 'provenance' && c.method === 'tampering')).toMatchObject({ status: 'pass' });
  });
});


describe('compact, concurrently', () => {
  it('two compactions of a folder no view reads never both merge it (a lock keyed by the folder)', async () => {
    const p = await project('compact_noview');
    await pushFour(p);
    const counted = await sourceRows(p);
    writeFileSync(join(p.dir, 'features', 'defs.yaml'), DEFS.slice(0, DEFS.indexOf('---\nkind: feature_view')));
    await p.fs.apply();
    const settled = await Promise.allSettled([p.fs.compact(), p.fs.compact(), p.fs.compact()]);
    const written = settled.reduce((n, s) => n + (s.status === 'fulfilled' ? s.value.files_written : 0), 0);
    expect(written).toBe(1);
    for (const s of settled) if (s.status === 'rejected') expect(s.reason).toBeInstanceOf(ConflictError);
    expect(await sourceRows(p)).toBe(counted);
    expect(p.files('s').filter((f) => f.includes('compacted'))).toHaveLength(1);
  });
});

describe('compact, recovering', () => {
  it('a merged file that does not read as the journal recorded (lost to a power loss) is removed, and the files it merged kept', async () => {
    const p = await project('compact_torn');
    const files = await pushFour(p);
    const before = await rawRows(p);
    const target = await killedAfterRename(p, files);
    const conn = await (await openOfflineEngine()).connect();
    try {
      await conn.run(`COPY (SELECT * FROM read_parquet('${files[0]}')) TO '${target}' (FORMAT parquet)`);
    } finally {
      conn.closeSync();
    }
    expect(await p.fs.compact({ olderThan: '1d' })).toMatchObject({ recovered: 1 });
    expect(existsSync(target)).toBe(false);
    for (const f of files) expect(existsSync(f)).toBe(true);
    expect(await rawRows(p)).toEqual(before);
    for (const id of p.fs.runs.list({ kind: 'push' }).runs.map((r) => r.id)) expect(p.fs.runs.get(id).options).not.toHaveProperty('compacted_into');
  });
});

describe('compact, after a kill before its journal', () => {
  it("removes the hidden merged file and the journal's temp file a killed compaction left, and nothing else hidden", async () => {
    const p = await project('compact_sweep');
    await pushFour(p);
    const { mkdirSync, utimesSync } = await import('node:fs');
    const hidden = join(p.dir, 'data', 's', '.push-20250101T000000000Z-compacted-0f0e0d0c-0b0a-4908-8706-050403020100.parquet.featureguard-writing');
    const pushing = join(p.dir, 'data', 's', '.push-20250101T000000000Z-0f0e0d0c-0b0a-4908-8706-050403020100.parquet.featureguard-writing');
    writeFileSync(hidden, 'partial');
    writeFileSync(pushing, 'a push writing');
    mkdirSync(join(p.dir, '.featureguard', 'compacting'), { recursive: true });
    const tmp = join(p.dir, '.featureguard', 'compacting', '0f0e0d0c-0b0a-4908-8706-050403020100.json.tmp');
    writeFileSync(tmp, '{"file":');
    const old = new Date(Date.now() - 10 * 60_000);
    utimesSync(tmp, old, old);
    expect((await p.fs.compact()).files_written).toBe(1);
    expect(existsSync(hidden)).toBe(false);
    expect(existsSync(tmp)).toBe(false);
    expect(existsSync(pushing)).toBe(true);
  });
});

describe('compact, while definitions change', () => {
  it('locks a view an apply added while the compaction planned (the plan under the leases reads the definitions again)', async () => {
    const p = await project('compact_apply_during', DEFS.slice(0, DEFS.indexOf('---\nkind: feature_view\nname: v_offline')));
    await pushFour(p);
    const stale = p.fs.project.registry.current();
    writeFileSync(join(p.dir, 'features', 'defs.yaml'), DEFS);
    await p.fs.apply();
    // v_offline (added by the apply) is being materialized: its lease is held.
    const [lease] = acquireLeases(p.fs.project.state, ['v_offline'], 'materialize-test-v_offline');
    // The compaction's first read of the definitions predates the apply.
    let reads = 0;
    const registry = new Proxy(p.fs.project.registry, {
      get: (t, k, r) => (k === 'current' ? () => (reads++ === 0 ? stale : t.current()) : Reflect.get(t, k, r)),
    });
    const project_ = { ...p.fs.project, registry } as typeof p.fs.project;
    const { compactPushedFiles } = await import('./push-compact.js');
    const before = p.files('s');
    await expect(compactPushedFiles(project_)).rejects.toBeInstanceOf(ConflictError);
    expect(p.files('s')).toEqual(before);
    await lease.release();
  });
});

describe('compact, after runs prune', () => {
  it('merges the files of pushes whose runs were pruned, never those of a run still in the log (failed, running) nor files not named as a push', async () => {
    const p = await project('compact_pruned');
    const done = await pushFour(p);
    const before = await rawRows(p);
    const { pruneRuns } = await import('../runs/prune.js');
    expect(pruneRuns(p.fs.project.state, { before: new Date(Date.now() + 1000), keep: 0 }).deleted).toBeGreaterThanOrEqual(4);
    expect(p.fs.runs.list({ kind: 'push' }).runs).toHaveLength(0);
    // A failed push's file (its run in the log) and a file named almost as a push's.
    const failed = p.fs.project.runs.create({ kind: 'push', view: 'v', options: { to: 'offline', rows: 1 } });
    const failedFile = join(p.dir, 'data', 's', `push-20260101T000000000Z-${failed.id}.parquet`);
    const oddFile = join(p.dir, 'data', 's', 'push-20260101T000000000Z-not-a-run.parquet');
    p.fs.project.runs.update(failed.id, { status: 'failed', finished_at: new Date().toISOString(), options: { to: 'offline', rows: 1, file: failedFile } });
    const conn = await (await openOfflineEngine()).connect();
    try {
      for (const f of [failedFile, oddFile]) await conn.run(`COPY (SELECT 9::BIGINT AS user_id, TIMESTAMP '2026-01-02' AS ts, 9::BIGINT AS n, 2.25::FLOAT AS x) TO '${f}' (FORMAT parquet)`);
    } finally {
      conn.closeSync();
    }
    const result = await p.fs.compact();
    expect(result.groups).toMatchObject([{ status: 'compacted', files: [...done].sort() }]);
    for (const f of done) expect(existsSync(f)).toBe(false);
    expect(existsSync(failedFile)).toBe(true);
    expect(existsSync(oddFile)).toBe(true);
    rmSync(failedFile);
    rmSync(oddFile);
    expect(await rawRows(p)).toEqual(before);
  });
});

describe('compact, then dataset verify', () => {
  it('names the compaction when a dataset built before it is reported as not reproducible', async () => {
    const p = await project('compact_verify');
    await pushFour(p);
    const out = join(p.dir, 'train.parquet');
    await p.fs.getHistoricalFeatures({ entities: ENTITIES, features: ['v:n'], out });
    const path = `${out}.manifest.json`;
    expect((await p.fs.verifyDataset(path)).reproducible).toBe(true);
    const merged = (await p.fs.compact()).groups[0].file!;
    const v = await p.fs.verifyDataset(path);
    expect(v.reproducible).toBe(false);
    const messages = v.differences.map((d) => d.message);
    expect(messages.filter((m) => m.includes('is gone'))).not.toHaveLength(0);
    for (const m of messages.filter((x) => x.includes('is gone'))) expect(m).toContain(`merged by \`featureguard compact\` into`);
    expect(messages.some((m) => m.includes('was added') && m.includes('featureguard compact') && m.includes(basename(merged)))).toBe(true);
  });
});

/** The rows source `s` reads now, through featureguard's own listing of its glob (as materialize, check and builds do). */
async function sourceRows(p: PushProject): Promise<number> {
  const { rawSourceSql, runSetup } = await import('../offline/source-sql.js');
  const { sourceRootsOf } = await import('../definitions/source-location.js');
  const { setup, from } = rawSourceSql(sourceRootsOf(p.dir, undefined), { kind: 'source', name: 's', path: 'data/s/*.parquet', timestamp_field: 'ts' });
  const conn = await (await openOfflineEngine()).connect();
  try {
    await runSetup(conn, setup);
    return Number((await conn.runAndReadAll(`SELECT count(*) FROM ${from}`)).getRowsJS()[0][0]);
  } finally {
    conn.closeSync();
  }
}

/** Leave what a compaction killed right after renaming its merged file into place leaves; the merged file's path. */
async function killedAfterRename(p: PushProject, files: readonly string[]): Promise<string> {
  const backup = files.map((f) => readFileSync(f));
  const result = await p.fs.compact();
  const g = result.groups.find((x) => x.status === 'compacted')!;
  files.forEach((f, i) => writeFileSync(f, backup[i]));
  // Killed before the runs recorded the merged file.
  const db = new Database(join(p.dir, '.featureguard', 'state.db'));
  try {
    for (const id of g.runs) {
      const { options } = db.prepare('SELECT options FROM runs WHERE id = ?').get(id) as { options: string };
      const { compacted_into: _, ...rest } = JSON.parse(options) as Record<string, unknown>;
      db.prepare('UPDATE runs SET options = ? WHERE id = ?').run(JSON.stringify(rest), id);
    }
  } finally {
    db.close();
  }
  const journal = join(p.dir, '.featureguard', 'compacting', 'killed.json');
  const { mkdirSync } = await import('node:fs');
  mkdirSync(join(p.dir, '.featureguard', 'compacting'), { recursive: true });
  const { fingerprintRelation } = await import('../offline/fingerprint.js');
  const conn = await (await openOfflineEngine()).connect();
  let sum;
  try {
    sum = await fingerprintRelation(conn, `SELECT * FROM read_parquet([${g.files.map((f) => `'${f}'`).join(', ')}])`);
  } finally {
    conn.closeSync();
  }
  writeFileSync(journal, JSON.stringify({ file: g.file, merged: g.files, runs: g.runs, format: 'parquet', rows: sum.rows, checksum: sum.checksum }));
  return g.file!;
}
