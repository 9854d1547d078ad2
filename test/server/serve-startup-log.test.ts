/** `serve`'s startup line says whether API keys are required, and how many are active. */
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { keyStoreFor } from '../../src/auth/keys.js';
import { startServer } from '../../src/server/serve.js';
import { createFixture, type Fixture } from './fixture.js';

let fx: Fixture;
beforeAll(async () => {
  fx = await createFixture();
});
afterAll(async () => {
  await fx?.close();
});

async function startupLine(): Promise<Record<string, unknown>> {
  const lines: string[] = [];
  const sink = new Writable({ write(chunk, _enc, cb) { lines.push(String(chunk)); cb(); } });
  const server = await startServer(fx.project, { port: 0, quiet: true, scheduler: false, logger: pino({ level: 'info' }, sink) });
  await server.close();
  const line = lines.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.msg === 'featureguard serving');
  expect(line).toBeDefined();
  return line!;
}

it('says keys are not required on a loopback server without keys, and required with the active count once some exist', async () => {
  expect((await startupLine()).keys).toBe('none: loopback only (required once a key is created)');
  const keys = keyStoreFor(fx.project.state);
  const made = [keys.create('admin'), keys.create('read'), keys.create('write'), keys.create('read')];
  keys.revoke(made[3].info.id);
  expect((await startupLine()).keys).toBe('required (3 active)');
});
