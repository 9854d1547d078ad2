/**
 * `--incremental` materializes the gaps in a view's history instead of skipping
 * them for good (a review finding: after a manual window, the first incremental
 * run started at its end, and an entity whose rows all came before it stayed
 * NOT_FOUND).
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { materialize } from '../src/materialize/materialize.js';
import { getOnlineFeatures } from '../src/serving/online-features.js';
import { guardBench, type GuardBench } from './guards/helpers.js';

let bench: GuardBench;
beforeAll(async () => {
  // Hourly rows of three airports over January 2024, ttl 0: the history starts at the source's earliest row.
  bench = await guardBench();
  // An airport with rows on the first day only.
  await bench.writeSource(`SELECT * FROM read_parquet('${bench.dir}/data/rows.parquet') UNION ALL
    SELECT 'BOS', TIMESTAMP '2024-01-01 05:00:00', TIMESTAMP '2024-01-01 05:05:00', 7.5, 'AA'`);
});
afterAll(async () => {
  await bench?.close();
});

const bos = async () => (await getOnlineFeatures(bench.project, { features: ['delays:delay'], entities: { airport: ['BOS'] } })).results[1];
const only = async (options: Parameters<typeof materialize>[1]) => (await materialize(bench.project, { views: ['delays'], guards: false, ...options } as never))[0];

describe('incremental runs after a manual window', () => {
  it('start at the earliest row the windows do not cover, then carry on from the last window', async () => {
    const manual = await only({ start: '2024-01-20', end: '2024-01-21' });
    expect(manual.status).toBe('success');
    expect((await bos()).statuses).toEqual(['NOT_FOUND']);
    const first = await only({ incremental: true });
    expect([first.status, first.window.start]).toEqual(['success', '2024-01-01T00:00:00.000Z']);
    expect((await bos()).values).toEqual([7.5]);
    // Covered from the earliest row on: the next run starts where the last one ended.
    const next = await only({ incremental: true });
    expect(next.window.start).toBe(first.window.end);
  });

  it('start at a gap between windows', async () => {
    const fresh = await guardBench();
    try {
      const run = async (o: object) => (await materialize(fresh.project, { views: ['delays'], guards: false, ...o } as never))[0];
      await run({ incremental: true, end: '2024-01-10' });
      await run({ start: '2024-01-15', end: '2024-01-20' });
      const next = await run({ incremental: true, end: '2024-01-25' });
      expect(next.window).toMatchObject({ start: '2024-01-10T00:00:00.000Z', end: '2024-01-25T00:00:00.000Z' });
    } finally {
      await fresh.close();
    }
  });
});

describe('a view whose ttl became 0', () => {
  it('materializes the history older than its old ttl on the next incremental run (a review finding)', async () => {
    const b = await guardBench();
    try {
      const set = b.project.registry.current();
      const withTtl = (ttl: string) => b.project.registry.apply([...set.entities.values(), ...set.sources.values(), { ...set.views.get('delays')!, ttl }]);
      const run = async (o: object) => (await materialize(b.project, { views: ['delays'], guards: false, ...o } as never))[0];
      withTtl('1d');
      const first = await run({ incremental: true, end: '2024-01-20' });
      expect(first.window.start).toBe('2024-01-19T00:00:00.000Z');
      withTtl('0');
      const next = await run({ incremental: true, end: '2024-01-21' });
      expect(next.window.start).toBe('2024-01-01T00:00:00.000Z');
      // Covered from the earliest row now: the next run carries on from the last window.
      expect((await run({ incremental: true, end: '2024-01-22' })).window.start).toBe('2024-01-21T00:00:00.000Z');
    } finally {
      await b.close();
    }
  });
});

describe('rows backfilled before the earliest row an incremental run saw', () => {
  it('are materialized by the next incremental run of a ttl-0 view, which starts at the new earliest row (a review finding)', async () => {
    const b = await guardBench();
    try {
      const run = async (o: object) => (await materialize(b.project, { views: ['delays'], guards: false, ...o } as never))[0];
      const first = await run({ incremental: true, end: '2024-01-10' });
      expect(first.window.start).toBe('2024-01-01T00:00:00.000Z');
      expect((await run({ incremental: true, end: '2024-01-11' })).window.start).toBe('2024-01-10T00:00:00.000Z');
      // A backfill: an airport whose only row is older than every row seen so far.
      await b.writeSource(`SELECT * FROM read_parquet('${b.dir}/data/rows.parquet') UNION ALL
        SELECT 'BOS', TIMESTAMP '2023-12-20 05:00:00', TIMESTAMP '2023-12-20 05:05:00', 7.5, 'AA'`);
      const next = await run({ incremental: true, end: '2024-01-12' });
      expect([next.status, next.window.start]).toEqual(['success', '2023-12-20T05:00:00.000Z']);
      const bosNow = (await getOnlineFeatures(b.project, { features: ['delays:delay'], entities: { airport: ['BOS'] } })).results[1];
      expect(bosNow.values).toEqual([7.5]);
      // Covered from the new earliest row on: the next run carries on from the last window.
      expect((await run({ incremental: true, end: '2024-01-13' })).window.start).toBe('2024-01-12T00:00:00.000Z');
    } finally {
      await b.close();
    }
  });

  it('a source that cannot be read fails the incremental run, recorded with its reason', async () => {
    const b = await guardBench();
    try {
      const run = async (o: object) => (await materialize(b.project, { views: ['delays'], guards: false, ...o } as never))[0];
      await run({ incremental: true, end: '2024-01-10' });
      rmSync(join(b.dir, 'data', 'rows.parquet'));
      const failed = await run({ incremental: true, end: '2024-01-11' });
      expect([failed.status, failed.window.start, failed.run?.status]).toEqual(['failed', '2024-01-10T00:00:00.000Z', 'failed']);
      expect(failed.message).toMatch(/rows\.parquet/);
    } finally {
      await b.close();
    }
  });
});
