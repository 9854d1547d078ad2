/**
 * The server's edge for errors: one `onError` that turns a `FeatureguardError`
 * into `{"error": {code, message, details}}` with its status, a JSON 404 for
 * unknown routes, and a generic 500 (logged, never echoing internals) for bugs.
 */
import type { Context, ErrorHandler, NotFoundHandler } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { FeatureguardError, isFeatureguardError, type ErrorDetails } from '../errors.js';

/** A JSON error response in the one shape every route uses. */
export function errorResponse(c: Context, status: number, code: string, message: string, details?: ErrorDetails): Response {
  return c.json({ error: { code, message, details: details ?? null } }, status as ContentfulStatusCode);
}

/**
 * Logs the errors of the server's side: unexpected ones (500s, bugs) and FeatureguardErrors of a 5xx status (a
 * SQLite error answered 503 `state_unavailable` is logged as such a FeatureguardError, the SQLite error its cause).
 * `serve` logs a 503 of a known kind (`store_unavailable`, `state_unavailable`, `shutting_down`, …) as a condition,
 * one short line per outage and a count while it lasts, not a stack per request (`unavailable-log.ts`).
 */
export type ErrorLogger = (err: unknown, c: Context) => void;

export function onError(log: ErrorLogger): ErrorHandler {
  return (err, c) => {
    if (isFeatureguardError(err)) {
      if (err.status >= 500) log(err, c);
      // A body declared over the limit is not read, and the connection stays open: @hono/node-server drains what
      // the client still sends (up to 64 MB, for 500 ms) so that it reads this answer (a `Connection: close` ended
      // the socket under it: EPIPE instead of the 413, 9 in 10 fetches of an 8 MB body). One found over the limit
      // while streaming was read in part: that connection is closed after the answer.
      if ((err as { closeConnection?: boolean }).closeConnection) c.header('connection', 'close');
      // A store that is down (503) is worth retrying shortly; the client reconnects in the background.
      if (err.status === 503) c.header('retry-after', '1');
      // RFC 9110 §11.6.1: a 401 names the scheme that would have worked.
      if (err.status === 401) c.header('www-authenticate', 'Bearer realm="featureguard"');
      return errorResponse(c, err.status, err.code, err.message, err.details);
    }
    if (err instanceof HTTPException) {
      const status = err.status;
      return errorResponse(c, status, status === 413 ? 'payload_too_large' : 'http_error', err.message || 'request failed');
    }
    // A SQLite database (the state database, or the embedded online store) could not be written or read (read-only,
    // a disk error, full, locked too long): the server's condition, worth retrying, not a bug.
    const sqlite = (err as { code?: unknown }).code;
    if (typeof sqlite === 'string' && /^SQLITE_(READONLY|IOERR|FULL|BUSY|CANTOPEN|LOCKED)/.test(sqlite)) {
      const what = `a SQLite database of the project (the state database, or the embedded online store) cannot be used now (${sqlite})`;
      // Logged as the 503 it answers, with SQLite's reason (a CLI holding the lock is routine: `serve` logs the
      // condition, not a stack per request); the answer does not quote SQLite.
      const reason = (err instanceof Error ? err.message : String(err)).split('\n')[0];
      log(new FeatureguardError('state_unavailable', `${what}: ${reason}`, { status: 503, exitCode: 3, details: { code: sqlite }, cause: err }), c);
      c.header('retry-after', '5');
      return errorResponse(c, 503, 'state_unavailable', `${what}; see the server log`, { code: sqlite });
    }
    log(err, c);
    return errorResponse(c, 500, 'internal', 'internal server error');
  };
}

export const notFound: NotFoundHandler = (c) =>
  errorResponse(c, 404, 'not_found', `no route for ${c.req.method} ${new URL(c.req.url).pathname}`);

/**
 * The not-found handler of an app whose routes are `routes`: a path that exists with other methods is a
 * 405 `method_not_allowed` with an `Allow` header (`GET /v1/push`), anything else the JSON 404.
 */
export function notFoundOrWrongMethod(routes: readonly { method: string; path: string }[]): NotFoundHandler {
  const patterns = routes
    .filter((r) => r.method !== 'ALL' && !r.path.includes('*'))
    .map((r) => ({ method: r.method, re: new RegExp(`^${(r.path.replace(/\/+$/, '') || '/').replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/:[A-Za-z_][A-Za-z0-9_]*/g, '[^/]+')}$`) }));
  return (c) => {
    const path = new URL(c.req.url).pathname;
    const allowed = [...new Set(patterns.filter((p) => p.re.test(path)).map((p) => p.method))];
    if (allowed.length === 0 || allowed.includes(c.req.method)) return notFound(c);
    if (allowed.includes('GET')) allowed.push('HEAD');
    c.header('allow', allowed.join(', '));
    return errorResponse(c, 405, 'method_not_allowed', `${c.req.method} is not allowed on ${path}; use ${allowed.join(' or ')}`, { allowed });
  };
}
