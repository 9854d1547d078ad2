/**
 * Authentication for the HTTP API. Keys come in `Authorization: Bearer <key>`
 * or `X-API-Key: <key>`. The API never reads the web pages' cookie
 * (`featureguard_key`, scoped to `/ui`), so a cross-site form cannot use it.
 * When no key exists and the server listens on loopback only, every request is
 * allowed; as soon as a key exists (created by any process) keys are required.
 * A server bound beyond loopback always requires keys.
 */
import type { Context, MiddlewareHandler } from 'hono';
import type { RunTrigger } from '../runs/trigger.js';
import { AuthError } from '../errors.js';
import { keyStoreFor, scopeAllows, type KeyIdentity, type Scope } from '../auth/keys.js';
import type { StateDb } from '../state/state-db.js';

/** Name of the cookie the web pages keep a key in (HttpOnly). */
export const KEY_COOKIE = 'featureguard_key';

/** What routes (and the web pages) use to check callers. */
export interface ServerAuth {
  /** Whether requests must present a key right now. */
  required(): boolean;
  /** The identity of a key, or null. */
  verify(key: string): KeyIdentity | null;
  /** Middleware: 401 without a valid key, 403 when its scope is too small (no-op when keys are not required). */
  requireScope(scope: Scope): MiddlewareHandler;
  /** The identity of the request's key (null when none or when keys are not required). */
  identity(c: Context): KeyIdentity | null;
  /** The identity already verified for this request (by `requireScope` or `identity`), without verifying anything. */
  verifiedIdentity(c: Context): KeyIdentity | null;
  /** What a run this request starts records as its trigger: `api`, with the presented key's id and name (never the key). */
  runTrigger(c: Context): RunTrigger;
  /** Keys were created or revoked through this process (`/v1/keys`): re-read whether any exists on the next request. */
  keysChanged(): void;
}

export interface ServerAuthOptions {
  /** Require keys even when none exist (the server listens beyond loopback). */
  alwaysRequire?: boolean;
}

/** The presented key of a request, if any. */
export function presentedKey(c: Context): string | undefined {
  const header = c.req.header('authorization');
  if (header) {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (m) return m[1];
  }
  return c.req.header('x-api-key') ?? undefined;
}

/** How long the "does any key exist" answer is reused (keys created by another process take effect within this). */
const ACTIVE_CACHE_MS = 1000;

/**
 * Create the auth helpers for a project's state database.
 *
 * @example
 * const auth = createServerAuth(project.state);
 * app.post('/v1/push', auth.requireScope('write'), handler);
 */
export function createServerAuth(state: StateDb, options: ServerAuthOptions = {}): ServerAuth {
  const keys = keyStoreFor(state);
  let cached = { at: 0, active: 0 };
  const required = (): boolean => {
    if (options.alwaysRequire) return true;
    const now = Date.now();
    if (now - cached.at > ACTIVE_CACHE_MS) cached = { at: now, active: keys.activeCount() };
    return cached.active > 0;
  };
  const identities = new WeakMap<Request, KeyIdentity | null>();
  const identity = (c: Context): KeyIdentity | null => {
    if (identities.has(c.req.raw)) return identities.get(c.req.raw) ?? null;
    const key = presentedKey(c);
    const who = key === undefined ? null : keys.verify(key);
    identities.set(c.req.raw, who);
    return who;
  };
  return {
    required,
    verify: (key) => keys.verify(key),
    identity,
    verifiedIdentity: (c) => identities.get(c.req.raw) ?? null,
    runTrigger(c) {
      const who = presentedKey(c) === undefined ? null : identity(c);
      return who ? { source: 'api', key_id: who.id, key_name: who.name } : { source: 'api' };
    },
    keysChanged() {
      cached = { at: 0, active: 0 };
    },
    requireScope(scope) {
      // Not async (hono's compose catches what it throws): an extra awaited frame per request is a cost on the
      // online read path.
      return (c, next) => {
        if (required()) {
          const key = presentedKey(c);
          if (key === undefined) throw new AuthError('an API key is required: send "Authorization: Bearer <key>"');
          const who = identity(c);
          if (!who) throw new AuthError('invalid or revoked API key');
          if (!scopeAllows(who.scope, scope)) throw new AuthError(`this API key has scope '${who.scope}'; '${scope}' is required`, 403);
        }
        return next();
      };
    },
  };
}
