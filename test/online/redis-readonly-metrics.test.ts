/**
 * A serve replica whose Redis user is read-only (README: "a read-only Redis user can serve") reports the
 * freshness gauge as the read-write server over the same state does: the store's epoch is read, not written.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import { materialize } from '../../src/materialize/materialize.js';
import { openProject, type Project } from '../../src/project.js';
import { createApp } from '../../src/server/app.js';
import { createFixture, type Fixture } from '../server/fixture.js';

const user = `ro_${randomUUID().slice(0, 8)}`;
let admin: Redis;
let fx: Fixture;
let replica: Project;
beforeAll(async () => {
  const port = inject('redisPort');
  admin = new Redis({ port, host: '127.0.0.1' });
  await admin.call('ACL', 'SETUSER', user, 'on', '>pw', '~*', '+@read', '+@connection', '+info');
  const prefix = `fgtest_ro_${randomUUID()}:`;
  fx = await createFixture({ onlineStore: `{type: redis, url: "redis://127.0.0.1:${port}", key_prefix: "${prefix}"}` });
  const [result] = await materialize(fx.project, { start: '2001-01-01T00:00:00Z', end: '2001-01-02T00:00:00Z' });
  expect(['success', 'warned']).toContain(result.status);
  // The same project and state, served through the read-only user.
  const config = join(fx.dir, 'featureguard.yaml');
  writeFileSync(config, readFileSync(config, 'utf8').replace(`redis://127.0.0.1:${port}`, `redis://${user}:pw@127.0.0.1:${port}`));
  replica = openProject(fx.dir);
});
afterAll(async () => {
  await replica?.close();
  await fx?.close();
  await admin?.call('ACL', 'DELUSER', user);
  admin?.disconnect();
});

it('reports featureguard_view_materialized_until_seconds on a replica with a read-only Redis user', async () => {
  const gauge = async (project: Project) =>
    /^featureguard_view_materialized_until_seconds\{view="origin_delays"\} (\d+)/m.exec(await (await createApp(project).request('/metrics')).text())?.[1];
  const rw = await gauge(fx.project);
  expect(rw).toBeDefined();
  expect(await gauge(replica)).toBe(rw);
});
