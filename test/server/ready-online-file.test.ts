/**
 * `/ready` with the SQLite online store: a store file removed or replaced under the running server (`rm -rf
 * .featureguard`, a restore) still answers through the handle the server has open, but the CLI's and other
 * processes' materializations write the new file: the server would serve its old values for ever. As for the
 * state database, `/ready` is 503 then (a review finding: it was 200).
 */
import { copyFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createApp, type FeatureguardApp } from '../../src/server/app.js';
import { startServer } from '../../src/server/serve.js';
import { createFixture, type Fixture } from './fixture.js';

let fx: Fixture;
let app: FeatureguardApp;

beforeAll(async () => {
  fx = await createFixture();
  app = createApp(fx.project, { ui: false });
});
afterAll(async () => {
  await fx?.close();
});

const ready = async () => {
  const res = await app.request('/ready');
  return { status: res.status, online_store: ((await res.json()) as { checks: Record<string, unknown> }).checks.online_store };
};

it('/ready is 503 once the SQLite online store file was removed or replaced under the server', async () => {
  expect(await ready()).toEqual({ status: 200, online_store: { ok: true } });
  const file = join(fx.dir, '.featureguard', 'online.db');
  renameSync(file, `${file}.moved`);
  expect(await ready()).toEqual({
    status: 503,
    online_store: { ok: false, code: 'store_file_gone', error: `${join('.featureguard', 'online.db')} was removed after the server opened it; restart the server` },
  });
  copyFileSync(`${file}.moved`, file); // a restore: another file at the same path
  expect(await ready()).toEqual({
    status: 503,
    online_store: { ok: false, code: 'store_file_gone', error: `${join('.featureguard', 'online.db')} was replaced after the server opened it; restart the server` },
  });
});

it('`serve`: a file removed before the first /ready is told too (the store is opened at start)', async () => {
  const other = await createFixture();
  const server = await startServer(other.project, { port: 0, quiet: true, scheduler: false, logger: pino({ level: 'silent' }) });
  try {
    const file = join(other.dir, '.featureguard', 'online.db');
    renameSync(file, `${file}.moved`);
    const res = await fetch(`${server.url}/ready`);
    expect(res.status).toBe(503);
    expect(((await res.json()) as { checks: Record<string, unknown> }).checks.online_store).toMatchObject({ ok: false, code: 'store_file_gone' });
  } finally {
    await server.close();
    await other.close();
  }
});
