import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { timingSafeEqual } from 'node:crypto';
import { afterEach, describe, expect, it, vi } from 'vitest';

// Spy on timingSafeEqual so the test can prove the comparison goes through it.
vi.mock('node:crypto', async (importOriginal) => {
  const actual = await importOriginal<typeof import('node:crypto')>();
  return { ...actual, timingSafeEqual: vi.fn(actual.timingSafeEqual) };
});
import { openStateDb, type StateDb } from '../state/state-db.js';
import { openKeyStore, scopeAllows } from './keys.js';
import { holdWriteLock } from '../../test/helpers/write-lock.js';

let dir: string;
let db: StateDb;
const fresh = () => {
  dir = mkdtempSync(join(tmpdir(), 'fg-keys-'));
  db = openStateDb(join(dir, 'state.db'));
  return openKeyStore(db);
};
afterEach(() => {
  db?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('API keys', () => {
  it('creates a key shown once, stores only its SHA-256, verifies it', () => {
    const keys = fresh();
    const { key, info } = keys.create('write', 'ingest');
    expect(key).toMatch(/^fg_[a-z0-9]{10}_[A-Za-z0-9_-]{43}$/);
    const row = db.prepare('SELECT * FROM api_keys').get() as Record<string, unknown>;
    // The secret is everything after `fg_<id>_` (base64url: it may hold '_' itself).
    expect(JSON.stringify(row)).not.toContain(key.slice(`fg_${info.id}_`.length));
    expect(Buffer.from(row.hash as Buffer).equals(createHash('sha256').update(key).digest())).toBe(true);
    expect(keys.verify(key)).toEqual({ id: info.id, name: 'ingest', scope: 'write' });
    expect(keys.list()[0]).toMatchObject({ id: info.id, scope: 'write', revoked_at: null });
    expect(keys.list()[0].last_used_at).not.toBeNull();
    expect(keys.activeCount()).toBe(1);
  });

  it('refuses names with control characters or bidirectional controls (printed by keys list in a terminal)', () => {
    const keys = fresh();
    for (const name of ['\u001b[31mred', 'a\u0000b', 'x\u202eevil', 'tab\there']) {
      expect(() => keys.create('read', name), JSON.stringify(name)).toThrow(expect.objectContaining({ code: 'bad_key_name' }));
    }
    expect(keys.create('read', 'dashboards – prod (β)').info.name).toBe('dashboards – prod (β)');
    expect(keys.list()).toHaveLength(1);
  });

  it('rejects wrong, malformed and revoked keys', () => {
    const keys = fresh();
    const { key, info } = keys.create('read');
    const flipped = key.slice(0, -1) + (key.endsWith('A') ? 'B' : 'A');
    expect(keys.verify(flipped)).toBeNull();
    expect(keys.verify('fg_nope')).toBeNull();
    expect(keys.verify('')).toBeNull();
    keys.revoke(info.id);
    expect(keys.verify(key)).toBeNull();
    expect(keys.activeCount()).toBe(0);
    expect(keys.list()[0].revoked_at).not.toBeNull();
    expect(() => keys.revoke('nonexistent')).toThrow(/no API key/);
  });

  it('revokes by the key itself (a leaked key), and never repeats its secret', () => {
    const keys = fresh();
    const leaked = keys.create('write', 'leaked');
    const other = keys.create('read', 'other');
    const secret = leaked.key.slice(`fg_${leaked.info.id}_`.length);
    const info = keys.revoke(leaked.key);
    expect(info).toMatchObject({ id: leaked.info.id, name: 'leaked', revoked_at: expect.any(String) });
    expect(keys.verify(leaked.key)).toBeNull();
    expect(keys.verify(other.key)).not.toBeNull();
    // Again: as by id, revoking twice is fine (the key still proves which one it is).
    expect(keys.revoke(leaked.key)).toMatchObject({ id: leaked.info.id, revoked_at: info.revoked_at });
    // The shape of a key whose secret matches no key: refused, naming its id part only.
    const forged = `fg_${other.info.id}_${secret}`;
    const refusal = (arg: string): Error => {
      try {
        keys.revoke(arg);
      } catch (e) {
        return e as Error;
      }
      throw new Error(`revoke(${arg.slice(0, 14)}…) did not refuse`);
    };
    // Anything starting with fg_ is a key (the real one plus a character, one cut short): the same refusal as a
    // wrong secret, never "no API key with id 'fg_…'" as if it were an id.
    for (const arg of [forged, `fg_0123456789_${secret}`, `fg_${leaked.info.id}_${secret.slice(0, 20)}`, `${other.key}x`, `${other.key.slice(0, -1)}!`]) {
      const e = refusal(arg);
      expect(e).toMatchObject({ code: 'not_found' });
      expect(e.message).toMatch(/^no API key matches /);
      expect(JSON.stringify({ message: e.message, details: (e as { details?: unknown }).details })).not.toContain(secret.slice(0, 20));
      expect(JSON.stringify({ message: e.message, details: (e as { details?: unknown }).details })).not.toContain(other.key.slice(14, 34));
      expect(e.message).toContain(`fg_${arg.slice(3, 13)}_…`);
    }
    for (const arg of ['fg_', 'fg_short', `fg_${other.info.id}`]) {
      const e = refusal(arg);
      expect(e.message).toMatch(/^no API key matches /);
    }
    expect(keys.verify(other.key)).not.toBeNull();
    expect(keys.activeCount()).toBe(1);
  });

  it('is visible to a second connection (another process)', () => {
    const keys = fresh();
    const { key } = keys.create('admin');
    const other = openStateDb(join(dir, 'state.db'));
    try {
      expect(openKeyStore(other).verify(key)?.scope).toBe('admin');
    } finally {
      other.close();
    }
  });

  it('compares the stored hash in constant time (crypto.timingSafeEqual)', () => {
    const keys = fresh();
    const { key } = keys.create('read');
    vi.mocked(timingSafeEqual).mockClear();
    expect(keys.verify(key.slice(0, -1) + (key.endsWith('x') ? 'y' : 'x'))).toBeNull();
    expect(keys.verify(key)).not.toBeNull();
    expect(vi.mocked(timingSafeEqual)).toHaveBeenCalledTimes(2);
  });

  it("does not wait for another process's write lock to record a key's use, and records it on a later request", async () => {
    // A review finding: the touch waited up to the 10 s busy timeout on the request thread, so the whole server
    // (other requests, /health) stopped while a CLI command or a VACUUM wrote to the state database.
    const keys = fresh();
    const { key, info } = keys.create('read');
    const { ended } = await holdWriteLock(join(dir, 'state.db'), 3000);
    const t0 = performance.now();
    expect(keys.verify(key)).toMatchObject({ id: info.id });
    expect(performance.now() - t0).toBeLessThan(500);
    expect(keys.list()[0].last_used_at).toBeNull();
    expect(db.pragma('busy_timeout', { simple: true })).toBe(10_000);
    await ended;
    // The busy touch was not counted as done: the next request records the use, without waiting a minute.
    expect(keys.verify(key)).not.toBeNull();
    expect(keys.list()[0].last_used_at).not.toBeNull();
  });

  it('nests scopes read ⊂ write ⊂ admin', () => {
    expect(scopeAllows('admin', 'write')).toBe(true);
    expect(scopeAllows('write', 'read')).toBe(true);
    expect(scopeAllows('write', 'admin')).toBe(false);
    expect(scopeAllows('read', 'write')).toBe(false);
  });
});

