/**
 * Idempotency keys of pushes (`PushRequest.idempotencyKey`, the HTTP `Idempotency-Key` header): a caller that
 * retries a push it got no answer to (a timeout, a dropped connection) sends the same key, and a push of the same
 * view with the same key and the same request within `IDEMPOTENCY_RETENTION_MS` answers the first push's answer
 * again (`replayed: true`, the same `run_id`) and writes nothing — no second file offline, no second run. The same
 * key with another request is a 409 `idempotency_key_reused`. Kept in the state database's `push_idempotency`
 * table beside the run it names; a push that failed (threw) keeps no answer, so its retry runs again.
 *
 * @example
 * const earlier = replayedPush(project.state, request, key);
 * if (earlier) return earlier;
 */
import { createHash } from 'node:crypto';
import { ConflictError, InputError } from '../errors.js';
import { ensureTables, writeWhenFree, type StateDb } from '../state/state-db.js';
import type { PushRequest, PushResult } from './push-types.js';

/** How long a key's answer is kept: a retry later than this is a new push. */
export const IDEMPOTENCY_RETENTION_MS = 24 * 60 * 60 * 1000;

/** The longest key taken. */
const MAX_KEY_LENGTH = 255;

const DDL = `CREATE TABLE IF NOT EXISTS push_idempotency (
  view TEXT NOT NULL,
  key TEXT NOT NULL,
  request_sha256 TEXT NOT NULL,
  run_id TEXT NOT NULL,
  answer TEXT NOT NULL,
  created_at TEXT NOT NULL,
  PRIMARY KEY (view, key)
);
CREATE INDEX IF NOT EXISTS push_idempotency_created ON push_idempotency (created_at);`;

/** A request's key, checked: a non-empty text of at most 255 characters (400 `invalid_idempotency_key` otherwise). */
export function idempotencyKeyOf(request: PushRequest): string | undefined {
  const key: unknown = request.idempotencyKey;
  if (key === undefined) return undefined;
  if (typeof key !== 'string' || key.length === 0 || key.length > MAX_KEY_LENGTH || /[\u0000-\u001f\u007f]/.test(key)) {
    throw new InputError(`an idempotency key must be a text of 1 to ${MAX_KEY_LENGTH} printable characters`, { idempotency_key: typeof key === 'string' ? key.slice(0, 300) : String(key) }, 'invalid_idempotency_key');
  }
  return key;
}

/** The SHA-256 of what a push asks (view, target, rows, `ignoreUnknownColumns`), object keys in any order. */
export function pushRequestDigest(request: PushRequest, to: string): string {
  const asked = { view: request.view, to, ignoreUnknownColumns: request.ignoreUnknownColumns === true, rows: request.rows };
  return createHash('sha256').update(stableJson(asked)).digest('hex');
}

/** JSON with object keys sorted; a bigint, a `Date` and a typed array as the SDK's push reads them. */
function stableJson(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) => {
    if (typeof v === 'bigint') return `${v}n`;
    if (ArrayBuffer.isView(v) && !(v instanceof DataView)) return Array.from(v as unknown as ArrayLike<number | bigint>, (x) => (typeof x === 'bigint' ? `${x}n` : x));
    if (v === null || typeof v !== 'object' || Array.isArray(v)) return v;
    return Object.fromEntries(Object.keys(v).sort().map((k) => [k, (v as Record<string, unknown>)[k]]));
  });
}

function table(db: StateDb): StateDb {
  ensureTables(db, 'push_idempotency', DDL);
  return db;
}

const cutoff = (now: number) => new Date(now - IDEMPOTENCY_RETENTION_MS).toISOString();

/**
 * The earlier answer of `key` for `view` (`replayed: true`), when a push of the same request (`digest`) gave one
 * within the retention; null when the key is new or expired. The same key with another request: 409
 * `idempotency_key_reused`.
 */
export function replayedPush(db: StateDb, view: string, key: string, digest: string, now = Date.now()): PushResult | null {
  const row = table(db).prepare('SELECT request_sha256, run_id, answer FROM push_idempotency WHERE view = ? AND key = ? AND created_at >= ?')
    .get(view, key, cutoff(now)) as { request_sha256: string; run_id: string; answer: string } | undefined;
  if (row === undefined) return null;
  if (row.request_sha256 !== digest) {
    throw new ConflictError(
      `the idempotency key '${key}' was used within the last 24 hours for another push to feature view '${view}' (run ${row.run_id}); send a new key for new rows`,
      { view, idempotency_key: key, run_id: row.run_id },
      'idempotency_key_reused',
      2,
    );
  }
  return { ...(JSON.parse(row.answer) as PushResult), replayed: true };
}

/** Keep `result` as the answer of `key` for `view` (and forget keys past the retention). */
export async function recordPushAnswer(db: StateDb, view: string, key: string, digest: string, result: PushResult, now = Date.now()): Promise<void> {
  const t = table(db);
  const write = t.transaction(() => {
    t.prepare('DELETE FROM push_idempotency WHERE created_at < ?').run(cutoff(now));
    t.prepare('INSERT OR REPLACE INTO push_idempotency (view, key, request_sha256, run_id, answer, created_at) VALUES (?, ?, ?, ?, ?, ?)')
      .run(view, key, digest, result.run_id, JSON.stringify(result), new Date(now).toISOString());
  });
  await writeWhenFree(db, () => write.immediate());
}
