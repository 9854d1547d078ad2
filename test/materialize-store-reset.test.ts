/**
 * An online store that lost its values (a Redis restarted without persistence,
 * an online database deleted) while the state database still lists the windows
 * written into it: `materialize --incremental` writes them again instead of
 * answering "already materialized" over an empty store. Real Redis and SQLite.
 */
import { randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { describe, expect, inject, it } from 'vitest';
import { materialize } from '../src/materialize/materialize.js';
import { createApp } from '../src/server/app.js';
import { openProject } from '../src/project.js';
import { getOnlineFeatures } from '../src/serving/online-features.js';
import { createFixture, READ_SEA } from './server/fixture.js';

const incremental = { views: ['origin_delays'], incremental: true, guards: false } as const;

describe('materialize --incremental after the online store lost its values', () => {
  it('Redis restarted without persistence: the windows are written again', async () => {
    const prefix = `fgtest:${randomUUID()}:`;
    const url = `redis://127.0.0.1:${inject('redisPort')}`;
    const fx = await createFixture({ onlineStore: `{type: redis, url: "${url}", key_prefix: "${prefix}"}` });
    const r = new Redis(url);
    try {
      const [first] = await materialize(fx.project, incremental);
      expect([first.status, first.entitiesWritten]).toEqual(['success', 3]);
      // Incremental: from the end of the first window, nothing new.
      const second = (await materialize(fx.project, incremental))[0];
      expect([second.window.start, second.entitiesWritten]).toEqual([first.window.end, 0]);
      // What a restart without persistence leaves of this project's keys: none.
      const gauge = async () => /featureguard_view_materialized_until_seconds\{view="origin_delays"\} (\S+)/.exec(await (await createApp(fx.project).request('/metrics')).text())?.[1];
      expect(Number(await gauge())).toBeGreaterThanOrEqual(Date.parse(first.window.end) / 1000);
      const keys = await r.keys(`${prefix}*`);
      await r.del(...keys);
      expect((await getOnlineFeatures(fx.project, READ_SEA)).results[1].statuses).toEqual(['NOT_FOUND']);
      // The freshness gauge says what the store holds now: nothing materialized (it kept saying fresh).
      expect(await gauge()).toBeUndefined();
      const [again] = await materialize(fx.project, incremental);
      expect([again.status, again.entitiesWritten, again.window.start]).toEqual(['success', 3, first.window.start]);
      expect((await getOnlineFeatures(fx.project, READ_SEA)).results[1].values).toEqual([23]);
      expect((await materialize(fx.project, incremental))[0].window.start).toBe(again.window.end);
    } finally {
      r.disconnect();
      await fx.close();
    }
  });

  it('the SQLite online database deleted: the windows are written again', async () => {
    const fx = await createFixture();
    try {
      const [first] = await materialize(fx.project, incremental);
      expect(first.status).toBe('success');
      await fx.project.close();
      for (const f of ['online.db', 'online.db-wal', 'online.db-shm']) rmSync(join(fx.dir, '.featureguard', f), { force: true });
      const project = openProject(fx.dir);
      try {
        const [again] = await materialize(project, incremental);
        expect([again.status, again.entitiesWritten]).toEqual(['success', 3]);
        expect((await getOnlineFeatures(project, READ_SEA)).results[1].values).toEqual([23]);
      } finally {
        await project.close();
      }
    } finally {
      await fx.close();
    }
  });
});
