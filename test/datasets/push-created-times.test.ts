/**
 * The created time of rows a push also appends to the offline source is the one the source's files hold, online
 * too: the online store compares rows by it, as training sets and materializations do. A source without a
 * created_timestamp_field holds none, so a row sending one is refused (Feast's bodies: left out); a source with
 * one gets the push's time for rows without it, so a late row is a late arrival (not an edit) and a later push at
 * the same event time replaces an earlier one in both places.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPushProject, refusal, type PushProject } from './push-project.js';
import { InputError } from '../../src/errors.js';
import { openOfflineEngine } from '../../src/offline/engine.js';
import { join } from 'node:path';

const view = (name: string, source: string) => `---
kind: feature_view
name: ${name}
entities: [user]
source: ${source}
ttl: 0
online: true
quality: {drift: off, anomaly: off}
features: [{name: n, type: int64}]
`;

let project: PushProject;
const hoursAgo = (h: number) => new Date(Date.now() - h * 3_600_000).toISOString().replace('T', ' ').replace('Z', '');
beforeAll(async () => {
  project = await openPushProject('push_created', `kind: entity
name: user
join_keys: [{name: user_id, type: int64}]
---
kind: source
name: plain
path: data/plain/*.parquet
timestamp_field: ts
---
kind: source
name: stamped
path: data/stamped/*.parquet
timestamp_field: ts
created_timestamp_field: created
---
kind: source
name: dated
path: data/dated/*.parquet
timestamp_field: ts
created_timestamp_field: loaded_on
${view('plain_v', 'plain')}${view('stamped_v', 'stamped')}${view('dated_v', 'dated')}`, {
    parquet: {
      'plain/part-0.parquet': `SELECT 1::BIGINT AS user_id, TIMESTAMP '${hoursAgo(30)}' AS ts, 0::BIGINT AS n`,
      'dated/part-0.parquet': `SELECT 1::BIGINT AS user_id, TIMESTAMP '${hoursAgo(30)}' AS ts, DATE '2024-01-01' AS loaded_on, 0::BIGINT AS n`,
      'stamped/part-0.parquet': `SELECT (i % 5)::BIGINT AS user_id, TIMESTAMP '${hoursAgo(3)}' - i * INTERVAL 17 MINUTE AS ts, TIMESTAMP '${hoursAgo(3)}' - i * INTERVAL 17 MINUTE AS created, i::BIGINT AS n FROM range(50) t(i)`,
    },
  });
});

afterAll(async () => {
  await project?.close();
});

/** The entity's `n` online and in a training set built now. */
async function servedAndTrained(v: string, id: number): Promise<[unknown, unknown]> {
  const online = await project.fs.getOnlineFeatures({ features: [`${v}:n`], entities: { user_id: [id] } });
  const ds = await project.fs.getHistoricalFeatures({ entities: [{ user_id: id, event_timestamp: new Date().toISOString() }], features: [`${v}:n`] });
  const trained = ds.table!.getChild('n')!.get(0);
  return [online.results[1].values[0], trained == null ? null : Number(trained)];
}

describe('a to: both push into a source without created_timestamp_field', () => {
  const at = '2026-01-02T00:00:00Z';
  it('refuses a row with a created time (the files cannot hold it; online it would outrank what training sets hold)', async () => {
    const e = await refusal(() => project.fs.push({ view: 'plain_v', rows: [{ user_id: 2, event_timestamp: at, created_timestamp: '2026-01-02T00:00:05Z', n: 1 }], to: 'both' }), InputError);
    expect(e).toMatchObject({ code: 'created_timestamp_not_stored', status: 400, details: { view: 'plain_v', source: 'plain', row: 0 } });
    expect(e.message).toMatch(/^row 0 \(counting from 0\) has a created_timestamp, but the source 'plain' of feature view 'plain_v' has no created_timestamp_field/);
    expect(project.files('plain')).toEqual(['part-0.parquet']);
    // Online only, the created time is the online store's alone to compare: taken.
    expect((await project.fs.push({ view: 'plain_v', rows: [{ user_id: 2, event_timestamp: at, created_timestamp: '2026-01-02T00:00:05Z', n: 1 }], to: 'online' })).written).toBe(1);
  });

  it("leaves it out with ignoreUnknownColumns (Feast's bodies), listed in ignored_columns, online as offline", async () => {
    const r = await project.fs.push({ view: 'plain_v', rows: [{ user_id: 3, event_timestamp: at, created_timestamp: '2026-01-02T00:00:09Z', n: 1 }], to: 'both', ignoreUnknownColumns: true });
    expect(r).toMatchObject({ status: 'success', written: 1, ignored_columns: ['created_timestamp'] });
    // Equal event time, no created time on either side: the stored row is kept (see the README, Push).
    const again = await project.fs.push({ view: 'plain_v', rows: [{ user_id: 3, event_timestamp: at, n: 2 }], to: 'both' });
    expect(again).toMatchObject({ written: 0, skipped: 1 });
    expect((await project.fs.getOnlineFeatures({ features: ['plain_v:n'], entities: { user_id: [3] } })).results[1].values).toEqual([1]);
  });
});

describe('a to: both push into a source with created_timestamp_field', () => {
  it("stamps rows without a created time with the push's time, in the file and online", async () => {
    const before = Date.now();
    const r = await project.fs.push({ view: 'stamped_v', rows: [{ user_id: 10, event_timestamp: '2026-01-02T00:00:00Z', n: 1 }], to: 'both' });
    const conn = await (await openOfflineEngine()).connect();
    try {
      const created = (await conn.runAndReadAll(`SELECT epoch_ms(created) FROM read_parquet('${join(r.file!)}')`)).getRowsJS()[0][0];
      expect(Number(created)).toBeGreaterThanOrEqual(before);
      expect(Number(created)).toBeLessThanOrEqual(Date.now());
    } finally {
      conn.closeSync();
    }
  });

  it('serves the later of two pushes at the same event time, as training sets hold it', async () => {
    const at = '2026-01-03T00:00:00Z';
    for (const n of [1, 2]) {
      await new Promise((res) => setTimeout(res, 5));
      expect(await project.fs.push({ view: 'stamped_v', rows: [{ user_id: 11, event_timestamp: at, n }], to: 'both' })).toMatchObject({ written: 1, skipped: 0 });
    }
    expect(await servedAndTrained('stamped_v', 11)).toEqual([2, 2]);
  });

  it("does not block the view's next materialization as tampering when it lands seconds behind the last window (stream lag)", async () => {
    const first = await project.fs.materialize({ views: ['stamped_v'], incremental: true });
    expect(first[0].status).not.toBe('blocked');
    const lagging = new Date(Date.now() - 5_000).toISOString();
    expect((await project.fs.push({ view: 'stamped_v', rows: [{ user_id: 3, event_timestamp: lagging, n: 99 }], to: 'both' })).status).toBe('success');
    const next = await project.fs.materialize({ views: ['stamped_v'], incremental: true });
    expect(next[0].status).not.toBe('blocked');
    expect(next[0].checks.find((c) => c.check === 'provenance' && c.method === 'tampering')).toMatchObject({ status: 'pass' });
  });
});

describe('a to: both push into a source whose files hold the created time as a DATE', () => {
  it("leaves the created time of rows without one empty, in the file and online (the push's time has a time of day a DATE cannot hold)", async () => {
    const at = '2026-01-04T00:00:00Z';
    const r = await project.fs.push({ view: 'dated_v', rows: [{ user_id: 12, event_timestamp: at, n: 1 }], to: 'both' });
    expect(r).toMatchObject({ status: 'success', written: 1 });
    const conn = await (await openOfflineEngine()).connect();
    try {
      expect((await conn.runAndReadAll(`SELECT loaded_on FROM read_parquet('${r.file!}')`)).getRowsJS()).toEqual([[null]]);
    } finally {
      conn.closeSync();
    }
    // Online too, no created time: a second push at the same event time ties with the stored row, which stays.
    expect(await project.fs.push({ view: 'dated_v', rows: [{ user_id: 12, event_timestamp: at, created_timestamp: null, n: 2 }], to: 'both' })).toMatchObject({ status: 'success', written: 0, skipped: 1 });
    expect((await project.fs.getOnlineFeatures({ features: ['dated_v:n'], entities: { user_id: [12] } })).results[1].values).toEqual([1]);
  });
});

describe("a to: both push of a row whose event time is ahead of the server's clock (within max_clock_skew)", () => {
  it('stamps it with its event time (to the millisecond up), not a created time before it that provenance would warn about', async () => {
    const ahead = new Date(Date.now() + 20_000).toISOString().replace('Z', '456Z');
    const r = await project.fs.push({ view: 'stamped_v', rows: [{ user_id: 13, event_timestamp: ahead, n: 1 }], to: 'both' });
    expect(r).toMatchObject({ status: 'success', counts: { warn: 0 } });
    const conn = await (await openOfflineEngine()).connect();
    try {
      const [[created, event]] = (await conn.runAndReadAll(`SELECT epoch_us(created), epoch_us(ts) FROM read_parquet('${r.file!}')`)).getRowsJS();
      expect(Number(created) - Number(event)).toBe(544);
    } finally {
      conn.closeSync();
    }
  });
});
