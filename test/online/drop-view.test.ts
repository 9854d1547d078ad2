/**
 * `featureguard online drop VIEW` / `store.dropOnlineValues(view)`: a view's online values dropped on request
 * (SQLite, Redis standalone and cluster), its windows forgotten so `materialize --incremental` writes them again,
 * the lease of a running materialization respected, and a Redis view whose `{meta}` counter keys were lost (a
 * master restarted without persistence: every read `online_store_inconsistent`) serving again. Real stores.
 */
import { randomUUID } from 'node:crypto';
import { Cluster, Redis } from 'ioredis';
import { describe, expect, inject, it } from 'vitest';
import { acquireLeases } from '../../src/materialize/lease.js';
import { listIntervals } from '../../src/materialize/intervals.js';
import { materialize, startMaterialization } from '../../src/materialize/materialize.js';
import { dropOnlineValues } from '../../src/online/drop-view.js';
import { redisKeys } from '../../src/online/redis-keys.js';
import { isDropPending } from '../../src/registry/online-drops.js';
import { getOnlineFeatures } from '../../src/serving/online-features.js';
import { openFeatureStore } from '../../src/sdk/index.js';
import { runCli } from '../cli/cli-io.js';
import { createFixture, READ_SEA, type Fixture } from '../server/fixture.js';

const VIEW = 'origin_delays';
const incremental = { views: [VIEW], incremental: true, guards: false } as const;
/** The fixture's view has ttl 0: the rebuild reads from the source's earliest row (2001-01-01 00:00 UTC). */
const REBUILD = `featureguard materialize --start 2001-01-01T00:00:00.000Z --views ${VIEW}`;

const seaDelay = async (fx: Fixture) => (await getOnlineFeatures(fx.project, READ_SEA)).results[1];
/** What the store holds for SEA, read past the pending-drop check of the online API. */
const storedSea = async (fx: Fixture) => (await (await fx.project.onlineStore()).readMany(VIEW, ['dep_delay'], [['SEA']]))[0]?.values;

/** Materialize, drop, check that nothing is served nor stored and no window kept, then rebuild incrementally. */
async function dropAndRebuild(fx: Fixture, firstStart: string, afterDrop: () => Promise<void> = async () => undefined): Promise<void> {
  const r = await dropOnlineValues(fx.project, VIEW);
  expect([r.outcome, r.rebuild]).toEqual(['dropped', REBUILD]);
  expect(r.intervalsForgotten).toBeGreaterThanOrEqual(1);
  expect((await seaDelay(fx)).statuses).toEqual(['NOT_FOUND']);
  expect(await storedSea(fx)).toBeUndefined();
  expect(listIntervals(fx.project.state, VIEW)).toEqual([]);
  expect(isDropPending(fx.project.state, VIEW)).toBe(false);
  await afterDrop();
  const [again] = await materialize(fx.project, incremental);
  expect([again.status, again.entitiesWritten, again.window.start]).toEqual(['success', 3, firstStart]);
  expect((await seaDelay(fx)).values).toEqual([23]);
}

describe('dropping a view\'s online values', () => {
  it('SQLite: values gone, windows forgotten, the incremental run writes them again', async () => {
    const fx = await createFixture();
    try {
      const [first] = await materialize(fx.project, incremental);
      expect([first.status, (await seaDelay(fx)).values]).toEqual(['success', [23]]);
      await dropAndRebuild(fx, first.window.start);
      await expect(dropOnlineValues(fx.project, 'origin_delay')).rejects.toMatchObject({ code: 'unknown_view', message: expect.stringContaining("did you mean 'origin_delays'") });
    } finally {
      await fx.close();
    }
  });

  it('a materialization holding the lease: deferred to it (nothing dropped under it, reads NOT_FOUND), done when it runs', async () => {
    const fx = await createFixture();
    try {
      const [first] = await materialize(fx.project, incremental);
      const [lease] = acquireLeases(fx.project.state, [VIEW], `materialize-test-${randomUUID()}`);
      let r;
      try {
        r = await dropOnlineValues(fx.project, VIEW);
        expect(r.outcome).toBe('deferred');
        // Under the lease nothing was touched: the values and the windows are still there, but not served.
        expect(await storedSea(fx)).toEqual([23]);
        expect(listIntervals(fx.project.state, VIEW)).toHaveLength(1);
        expect((await seaDelay(fx)).statuses).toEqual(['NOT_FOUND']);
        // A materialization meanwhile: refused, the lease is held.
        await expect(materialize(fx.project, incremental)).rejects.toMatchObject({ code: 'materialization_running' });
      } finally {
        await lease.release();
      }
      expect(isDropPending(fx.project.state, VIEW)).toBe(true);
      // The next materialization does the pending drop before reading (windows forgotten): from the earliest row.
      const [again] = await materialize(fx.project, incremental);
      expect([again.status, again.entitiesWritten, again.window.start]).toEqual(['success', 3, first.window.start]);
      expect(isDropPending(fx.project.state, VIEW)).toBe(false);
      expect((await seaDelay(fx)).values).toEqual([23]);
    } finally {
      await fx.close();
    }
  });

  it('a drop during a running materialization: that run drops the values (nothing left, no window kept, nothing pending)', async () => {
    const fx = await createFixture();
    try {
      await materialize(fx.project, incremental);
      const handle = await startMaterialization(fx.project, { views: [VIEW], start: '2001-01-01', guards: false });
      const r = await dropOnlineValues(fx.project, VIEW);
      expect(['deferred', 'dropped']).toContain(r.outcome);
      const [run] = await handle.done;
      if (r.outcome === 'deferred') expect([run.status, run.message]).toEqual(['failed', expect.stringMatching(/nothing was written|the values this run wrote were dropped/)]);
      expect(await storedSea(fx)).toBeUndefined();
      expect(listIntervals(fx.project.state, VIEW)).toEqual([]);
      expect(isDropPending(fx.project.state, VIEW)).toBe(false);
    } finally {
      await fx.close();
    }
  });

  it('CLI: refuses without --yes off a terminal (exit 2, nothing dropped); with --yes drops and prints the rebuild command', async () => {
    const fx = await createFixture();
    try {
      await materialize(fx.project, incremental);
      const refused = await runCli(['online', 'drop', VIEW, '-p', fx.dir]);
      expect(refused.code).toBe(2);
      expect(refused.err).toContain('pass --yes');
      expect((await seaDelay(fx)).values).toEqual([23]);
      const done = await runCli(['online', 'drop', VIEW, '--yes', '-p', fx.dir]);
      expect(done.code).toBe(0);
      expect(done.out).toContain(`dropped the online values of '${VIEW}' (sqlite store) and forgot its 1 materialized window(s)`);
      expect(done.out).toContain(`rebuild: ${REBUILD}`);
      expect(await storedSea(fx)).toBeUndefined();
      const json = await runCli(['online', 'drop', VIEW, '--yes', '--json', '-p', fx.dir]);
      expect(JSON.parse(json.out)).toMatchObject({ view: VIEW, store: 'sqlite', outcome: 'dropped', intervalsForgotten: 0, rebuild: REBUILD });
    } finally {
      await fx.close();
    }
  });

  it('SDK: store.dropOnlineValues(view) drops as the CLI does; a name that is no string is a bad request', async () => {
    const fx = await createFixture();
    const store = await openFeatureStore(fx.dir);
    try {
      await store.materialize(incremental);
      expect((await store.getOnlineFeatures(READ_SEA)).results[1].values).toEqual([23]);
      expect(await store.dropOnlineValues(VIEW)).toEqual({ view: VIEW, store: 'sqlite', outcome: 'dropped', intervalsForgotten: 1, rebuild: REBUILD });
      expect((await store.getOnlineFeatures(READ_SEA)).results[1].statuses).toEqual(['NOT_FOUND']);
      await expect(store.dropOnlineValues(42 as unknown as string)).rejects.toMatchObject({ code: 'invalid_request' });
    } finally {
      await store.close();
      await fx.close();
    }
  });

  for (const kind of ['standalone', 'cluster'] as const) {
    it(`Redis ${kind}: the {meta} counter keys lost (reads and writes online_store_inconsistent) → drop → serves again after the incremental run`, async () => {
      const prefix = `fgtest:${randomUUID()}:`;
      const ports = kind === 'cluster' ? inject('redisClusterPorts') : [inject('redisPort')];
      const config = kind === 'cluster'
        ? `{type: redis, cluster: [${ports.map((p) => `"127.0.0.1:${p}"`).join(', ')}], key_prefix: "${prefix}"}`
        : `{type: redis, url: "redis://127.0.0.1:${ports[0]}", key_prefix: "${prefix}"}`;
      const fx = await createFixture({ onlineStore: config });
      const client = kind === 'cluster' ? new Cluster(ports.map((port) => ({ host: '127.0.0.1', port }))) : new Redis(ports[0]);
      const masters = () => (client instanceof Cluster ? client.nodes('master') : [client]);
      /** The view's entity keys on every master (independent of the store's own scan). */
      const entityKeys = async () => (await Promise.all(masters().map((n) => n.keys(`${prefix}{*}:${VIEW}`)))).flat();
      try {
        // Three write sessions (gens 1 to 3), each writing every entity: the records are of gen 3.
        for (const [start, end] of [['2001-01-01T00:00Z', '2001-01-01T08:00Z'], ['2001-01-01T08:00Z', '2001-01-01T16:00Z']]) {
          expect((await materialize(fx.project, { views: [VIEW], start, end, guards: false }))[0].entitiesWritten).toBe(3);
        }
        const [last] = await materialize(fx.project, incremental);
        expect([last.status, last.entitiesWritten, (await seaDelay(fx)).values]).toEqual(['success', 3, [23]]);
        expect(await entityKeys()).toHaveLength(3);
        // The master holding `{meta}` restarted without persistence: the view's session keys are gone (one slot).
        const k = redisKeys(prefix);
        await client.del(k.genKey(VIEW), k.pendingKey(VIEW), k.exclusiveKey(VIEW), k.ownersKey(VIEW), k.countKey(VIEW));
        const inconsistent = await getOnlineFeatures(fx.project, READ_SEA).then(() => null, (e: unknown) => e as Error & { code: string });
        expect(inconsistent?.code).toBe('online_store_inconsistent');
        expect(inconsistent?.message).toContain(`run \`featureguard online drop ${VIEW} --yes\``);
        expect(inconsistent?.message).not.toContain('delete its keys');
        // Materializing the window again does not mend it (its session is gen 1): the reads keep failing.
        await materialize(fx.project, { views: [VIEW], start: '2001-01-01', guards: false });
        await expect(getOnlineFeatures(fx.project, READ_SEA)).rejects.toMatchObject({ code: 'online_store_inconsistent' });

        await dropAndRebuild(fx, '2001-01-01T00:00:00.000Z', async () => expect(await entityKeys()).toEqual([]));
        expect(await entityKeys()).toHaveLength(3);
        expect(Number(await client.get(k.countKey(VIEW)))).toBe(3);
      } finally {
        client.disconnect();
        await fx.close();
      }
    });
  }
});
