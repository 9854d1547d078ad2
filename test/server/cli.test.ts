/** `featureguard keys create|list|revoke` and `featureguard push` through the real CLI entry point. */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { KEY_NAME_MAX_LENGTH, keyStoreFor } from '../../src/auth/keys.js';
import { schemaObject } from '../../src/schemas.js';
import { createApp } from '../../src/server/app.js';
import { getOnlineFeatures } from '../../src/serving/online-features.js';
import { bearer, createFixture, post, type Fixture } from './fixture.js';

let fx: Fixture;
beforeAll(async () => {
  fx = await createFixture();
});
afterAll(async () => {
  await fx?.close();
});

async function cli(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(['--project', fx.dir, ...args], { out: (t) => (out += `${t}\n`), err: (t) => (err += `${t}\n`), isTty: false });
  return { code, out, err };
}

it('creates, lists and revokes keys; the key is printed once and only its hash is stored', async () => {
  const created = await cli('--json', 'keys', 'create', '--scope', 'write', '--name', 'ingest');
  expect(created.code, created.err).toBe(0);
  const { key, id, scope } = JSON.parse(created.out);
  expect(scope).toBe('write');
  expect(keyStoreFor(fx.project.state).verify(key)?.id).toBe(id);
  const listed = await cli('keys', 'list');
  expect(listed.out).toMatch(new RegExp(`${id}\\s+ingest\\s+write`));
  expect(listed.out).not.toContain(key);
  expect((await cli('keys', 'revoke', id)).code).toBe(0);
  expect(keyStoreFor(fx.project.state).verify(key)).toBeNull();
  expect((await cli('keys', 'revoke', 'nope')).code).toBe(2);
  expect((await cli('keys', 'create', '--scope', 'root')).code).toBe(2);
});

it('revokes by the key itself without printing its secret; --json shows keys as the API does (revoked)', async () => {
  const app = createApp(fx.project);
  const admin = keyStoreFor(fx.project.state).create('admin', 'shape test').key;
  const created = await cli('--json', 'keys', 'create', '--scope', 'read', '--name', 'leaked');
  expect(created.code, created.err).toBe(0);
  const made = JSON.parse(created.out);
  expect(made).toMatchObject({ revoked: false, revoked_at: null });
  const secret = made.key.slice(`fg_${made.id}_`.length);
  // One shape: the CLI's --json records are the API's (plus the key, once).
  const viaHttp = (await (await app.request('/v1/keys', { headers: bearer(admin) })).json()) as { keys: { id: string }[] };
  const listed = JSON.parse((await cli('--json', 'keys', 'list')).out) as { id: string }[];
  expect(listed).toEqual(viaHttp.keys);
  expect(Object.keys(made).sort()).toEqual([...Object.keys(listed[0]), 'key'].sort());

  const forged = `fg_${made.id}_${'A'.repeat(43)}`;
  const refused = await cli('keys', 'revoke', forged);
  expect(refused.code).toBe(2);
  expect(refused.err).toContain(`fg_${made.id}_…`);
  expect(refused.err + refused.out).not.toContain('A'.repeat(43));
  expect(keyStoreFor(fx.project.state).verify(made.key)).not.toBeNull();

  const revoked = await cli('--json', 'keys', 'revoke', made.key);
  expect(revoked.code, revoked.err).toBe(0);
  expect(JSON.parse(revoked.out)).toMatchObject({ id: made.id, revoked: true, revoked_at: expect.any(String) });
  expect(revoked.out + revoked.err).not.toContain(secret);
  expect(keyStoreFor(fx.project.state).verify(made.key)).toBeNull();
  const text = await cli('keys', 'revoke', made.key);
  expect(text.out).toBe(`Revoked key ${made.id}.\n`);
});

it('keys create refuses the names POST /v1/keys refuses (empty, over 200 characters), and takes those it takes', async () => {
  const app = createApp(fx.project);
  const admin = keyStoreFor(fx.project.state).create('admin', 'names test').key;
  const names = ['', 'x'.repeat(201), 'x'.repeat(300), 'x'.repeat(200), '😀'.repeat(200), 'dashboard'];
  for (const name of names) {
    const before = keyStoreFor(fx.project.state).list().length;
    const viaCli = await cli('--json', 'keys', 'create', '--scope', 'read', '--name', name);
    const viaHttp = await app.request('/v1/keys', post({ scope: 'read', name }, bearer(admin)));
    const label = `${name.slice(0, 12)}… (${[...name].length} characters)`;
    expect(viaCli.code === 0, `${label}: ${viaCli.err}`).toBe(viaHttp.status === 201);
    if (viaCli.code !== 0) {
      expect(viaCli.code, label).toBe(2);
      expect(viaCli.err, label).toMatch(/a key name (cannot be empty|is at most 200 characters)/);
    }
    // Refused by both: nothing stored; taken by both: stored by each, as given.
    const after = keyStoreFor(fx.project.state).list();
    expect(after.length - before, label).toBe(viaCli.code === 0 ? 2 : 0);
    if (viaCli.code === 0) expect(after.at(-1)?.name).toBe(name);
  }
  // The schema of POST /v1/keys states the same rule.
  expect(schemaObject('api/keys_create')).toMatchObject({ properties: { name: { minLength: 1, maxLength: KEY_NAME_MAX_LENGTH } } });
});

it('pushes a JSON file into the online store', async () => {
  const file = join(fx.dir, 'rows.json');
  writeFileSync(file, JSON.stringify({ df: { origin: ['SFO'], event_timestamp: ['2001-01-05T00:00:00Z'], dep_delay: [12.5], flights: [4], carrier: ['UA'] } }));
  const res = await cli('push', '--view', 'origin_delays', '--file', file);
  expect(res.code, res.err).toBe(0);
  expect(res.out).toMatch(/Pushed 1 row to origin_delays \(online; run .*\): 1 written online/);
  const read = await getOnlineFeatures(fx.project, { features: ['origin_delays:dep_delay'], entities: { origin: ['SFO'] } });
  expect(read.results[1].values).toEqual([12.5]);
  const bad = await cli('push', '--view', 'origin_delays', '--file', file, '--to', 'disk');
  expect(bad.code).toBe(2);
  const notParquet = join(fx.dir, 'rows.parquet');
  writeFileSync(notParquet, 'not parquet at all');
  const unreadable = await cli('push', '--view', 'origin_delays', '--file', notParquet);
  expect(unreadable.code).toBe(2);
  expect(unreadable.err).toContain(`cannot read rows from ${notParquet}: not a readable Parquet file`);
  expect(unreadable.err).not.toContain('DESCRIBE');
  // A file whose footer reads but whose data pages are broken: the same clear error, nothing pushed.
  const engine = await fx.project.engine();
  const broken = join(fx.dir, 'broken.parquet');
  await engine.run(`COPY (SELECT 'SEA' AS origin, TIMESTAMP '2001-01-05' + INTERVAL (i) MINUTE AS event_timestamp, i * 1.5 AS dep_delay, 4 AS flights, 'UA' AS carrier FROM range(1000) t(i)) TO '${broken}' (FORMAT parquet, COMPRESSION zstd)`);
  const bytes = readFileSync(broken);
  bytes.fill(0xab, 4, 600);
  writeFileSync(broken, bytes);
  const pages = await cli('push', '--view', 'origin_delays', '--file', broken);
  expect(pages.code).toBe(2);
  expect(pages.err).toContain(`cannot read rows from ${broken}: not a readable Parquet file`);
  expect((await getOnlineFeatures(fx.project, { features: ['origin_delays:dep_delay'], entities: { origin: ['SEA'] } })).results[1].values).toEqual([null]);
});
