/**
 * API keys, stored in the state database. A key looks like `fg_<id>_<secret>`:
 * the id is public (it is what `keys list` and `keys revoke` show), the secret is
 * 32 random bytes. Only the SHA-256 of the whole key is stored. Keys are random
 * and high-entropy, so a fast hash is enough (a slow KDF such as scrypt protects
 * low-entropy passwords against guessing; it adds nothing here and would cost
 * milliseconds on every request). The stored hash is compared with
 * `crypto.timingSafeEqual`, so the comparison time does not depend on how much
 * of a guess is right.
 *
 * Scopes nest: `read` ⊂ `write` ⊂ `admin`.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { InputError, NotFoundError } from '../errors.js';
import { ensureTables, writeWithoutWaiting, type StateDb } from '../state/state-db.js';
import { UNSAFE_TEXT } from '../text-safety.js';

export type Scope = 'read' | 'write' | 'admin';
export const SCOPES: readonly Scope[] = ['read', 'write', 'admin'];

/** True when `granted` includes everything `needed` allows. */
export function scopeAllows(granted: Scope, needed: Scope): boolean {
  return SCOPES.indexOf(granted) >= SCOPES.indexOf(needed);
}

export function isScope(v: unknown): v is Scope {
  return typeof v === 'string' && (SCOPES as readonly string[]).includes(v);
}

/** What `keys list` shows: never the key or its hash. */
export interface ApiKeyInfo {
  readonly id: string;
  readonly name: string | null;
  readonly scope: Scope;
  readonly created_at: string;
  readonly last_used_at: string | null;
  readonly revoked_at: string | null;
}

/** The longest key name, in characters (as `schemas/api/keys_create.schema.json`'s `maxLength` counts them). */
export const KEY_NAME_MAX_LENGTH = 200;

/**
 * Refuse a key name the API refuses: empty, longer than KEY_NAME_MAX_LENGTH, or holding control or
 * direction-changing characters (a name is printed by `keys list` in a terminal and shown in logs). The CLI and
 * `POST /v1/keys` (whose schema says the same) create keys through this one rule.
 */
export function checkKeyName(name: string): void {
  if (name.length === 0) throw new InputError('a key name cannot be empty: give a label, or leave the name out', undefined, 'bad_key_name');
  const length = [...name].length;
  if (length > KEY_NAME_MAX_LENGTH) {
    throw new InputError(`a key name is at most ${KEY_NAME_MAX_LENGTH} characters (this one has ${length})`, { length }, 'bad_key_name');
  }
  if (UNSAFE_TEXT.test(name)) {
    throw new InputError('a key name cannot hold control characters or bidirectional text controls (it is shown in terminals and logs)', undefined, 'bad_key_name');
  }
}

/** The identity of a verified key. */
export interface KeyIdentity {
  readonly id: string;
  readonly name: string | null;
  readonly scope: Scope;
}

export interface KeyStore {
  /** Create a key; the returned `key` is shown once and never stored. */
  create(scope: Scope, name?: string): { key: string; info: ApiKeyInfo };
  list(): ApiKeyInfo[];
  /**
   * Revoke by id, or by the key itself (a leaked key: the one its secret proves); revoking twice is fine. An unknown
   * id, or a key whose secret matches no key, is a `NotFoundError` naming the key as `fg_<id>_…`, never its secret.
   */
  revoke(idOrKey: string): ApiKeyInfo;
  /** The identity of a presented key, or null (unknown, malformed or revoked). */
  verify(key: string): KeyIdentity | null;
  /** Number of keys that are not revoked (any process may have changed it). */
  activeCount(): number;
}

const DDL = `
CREATE TABLE IF NOT EXISTS api_keys (
  id TEXT PRIMARY KEY,
  name TEXT,
  scope TEXT NOT NULL,
  hash BLOB NOT NULL,
  created_at TEXT NOT NULL,
  last_used_at TEXT,
  revoked_at TEXT
);
`;

const KEY_RE = /^fg_([a-z0-9]{10})_([A-Za-z0-9_-]{43})$/;
/** Write `last_used_at` at most this often per key: a write per request would cost more than the read it guards. */
const LAST_USED_EVERY_MS = 60_000;

interface KeyRow {
  id: string;
  name: string | null;
  scope: Scope;
  hash: Buffer;
  created_at: string;
  last_used_at: string | null;
  revoked_at: string | null;
}

const sha256 = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();

function toInfo(r: KeyRow): ApiKeyInfo {
  return { id: r.id, name: r.name, scope: r.scope, created_at: r.created_at, last_used_at: r.last_used_at, revoked_at: r.revoked_at };
}

/** A key as the CLI's `--json` and the API show it: its `ApiKeyInfo` and whether it is revoked. */
export type ShownKey = ApiKeyInfo & { readonly revoked: boolean };

/**
 * What `keys list|create|revoke --json` and `/v1/keys` show of a key (one shape for both).
 *
 * @example
 * shownKey(keys.revoke(id)); // { id, name, scope, ..., revoked_at: '2026-…', revoked: true }
 */
export function shownKey(info: ApiKeyInfo): ShownKey {
  return { ...info, revoked: info.revoked_at !== null };
}

/** Whether `hash` is the stored hash `stored`, in constant time. */
function sameHash(stored: Buffer, hash: Buffer): boolean {
  const b = Buffer.from(stored);
  return b.length === hash.length && timingSafeEqual(b, hash);
}

/** An argument as a message may repeat it: anything shaped as a key (even cut short) as `fg_<id>_…`, without its secret. */
function withoutSecret(arg: string): string {
  return arg.replace(/^fg_([a-z0-9]{10})_.*$/s, 'fg_$1_…');
}

/**
 * Open the key store of a state database.
 *
 * @example
 * const keys = openKeyStore(project.state);
 * const { key } = keys.create('read', 'dashboard');
 * keys.verify(key); // { id, name: 'dashboard', scope: 'read' }
 */
export function openKeyStore(db: StateDb): KeyStore {
  ensureTables(db, 'api_keys', DDL);
  const insert = db.prepare('INSERT INTO api_keys (id, name, scope, hash, created_at) VALUES (?, ?, ?, ?, ?)');
  const byId = db.prepare('SELECT * FROM api_keys WHERE id = ?');
  const all = db.prepare('SELECT * FROM api_keys ORDER BY created_at, id');
  const revokeStmt = db.prepare('UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL');
  const touch = db.prepare('UPDATE api_keys SET last_used_at = ? WHERE id = ?');
  const active = db.prepare('SELECT count(*) FROM api_keys WHERE revoked_at IS NULL').pluck();
  const touched = new Map<string, number>();

  return {
    create(scope, name) {
      if (!isScope(scope)) throw new InputError(`unknown scope '${String(scope)}' (expected read, write or admin)`);
      if (name !== undefined) checkKeyName(name);
      const id = randomBytes(8).toString('hex').slice(0, 10);
      const key = `fg_${id}_${randomBytes(32).toString('base64url')}`;
      insert.run(id, name ?? null, scope, sha256(key), new Date().toISOString());
      return { key, info: toInfo(byId.get(id) as KeyRow) };
    },
    list: () => (all.all() as KeyRow[]).map(toInfo),
    revoke(idOrKey) {
      // The key itself (someone holding a leaked key revokes that key): the one whose hash it is, never another
      // key of its id part. The secret is never repeated, in a message or in details.
      // Anything starting with `fg_` is taken as a key, also when malformed (a character too many or too few): ids
      // never start so, and as an id it would be repeated whole.
      if (idOrKey.startsWith('fg_')) {
        const id = /^fg_([a-z0-9]{10})_/.exec(idOrKey)?.[1];
        const row = id === undefined ? undefined : (byId.get(id) as KeyRow | undefined);
        if (!(KEY_RE.test(idOrKey) && row && sameHash(row.hash, sha256(idOrKey)))) {
          throw new NotFoundError(`no API key matches '${id === undefined ? 'fg_…' : withoutSecret(idOrKey)}' (the key's secret is not shown): revoke by id, as keys list shows it`, id === undefined ? undefined : { id });
        }
      }
      const id = idOrKey.startsWith('fg_') ? idOrKey.slice(3, 13) : idOrKey;
      const row = byId.get(id) as KeyRow | undefined;
      if (!row) throw new NotFoundError(`no API key with id '${withoutSecret(id)}'`);
      revokeStmt.run(new Date().toISOString(), id);
      return toInfo(byId.get(id) as KeyRow);
    },
    verify(key) {
      const m = KEY_RE.exec(key);
      // Always hash, so a malformed key costs the same as a wrong one.
      const presented = sha256(key);
      if (!m) return null;
      const row = byId.get(m[1]) as KeyRow | undefined;
      if (!row || row.revoked_at !== null) return null;
      if (!sameHash(row.hash, presented)) return null;
      const now = Date.now();
      if (now - (touched.get(row.id) ?? 0) > LAST_USED_EVERY_MS) {
        touched.set(row.id, now);
        // Bookkeeping: a state database that cannot be written now (busy, read-only, a disk error) must not refuse
        // a valid key, nor hold it up. The write never waits for another process's write lock (a CLI apply, a
        // prune, a VACUUM): better-sqlite3 is synchronous, so the connection's 10 s busy wait would stop the whole
        // server. A busy database is tried again by the key's next request; other failures after a minute.
        try {
          writeWithoutWaiting(db, () => touch.run(new Date(now).toISOString(), row.id));
        } catch (e) {
          if ((e as { code?: string }).code?.startsWith('SQLITE_BUSY')) touched.delete(row.id);
        }
      }
      return { id: row.id, name: row.name, scope: row.scope };
    },
    activeCount: () => active.get() as number,
  };
}

/**
 * Verify a presented key against a project's keys (for the UI's cookie login).
 *
 * @example
 * const who = verifyKey(project, cookieValue); // { id, name, scope } or null
 */
export function verifyKey(project: { readonly state: StateDb }, key: string): KeyIdentity | null {
  return keyStoreFor(project.state).verify(key);
}

const stores = new WeakMap<StateDb, KeyStore>();
/** The key store of a state database, opened once per connection. */
export function keyStoreFor(db: StateDb): KeyStore {
  let s = stores.get(db);
  if (!s) stores.set(db, (s = openKeyStore(db)));
  return s;
}
