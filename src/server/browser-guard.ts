/**
 * What a server without API keys refuses from browsers. Such a server is open to whatever reaches it, and it is
 * bound to loopback for that reason; but a web page the user visits is on the loopback too, through their browser:
 * - a cross-site form or `fetch` post (a "simple" request needs no CORS preflight) could push rows, start
 *   materializations or apply definitions: posts that a browser says come from another site are refused;
 * - a page on a domain that resolves to 127.0.0.1 (DNS rebinding) would be the server's own origin to the browser
 *   and could read every answer: requests addressed to a name other than a loopback one are refused.
 * Clients that are not browsers (the Feast SDK, curl, scripts) send neither `Sec-Fetch-Site` nor `Origin` and
 * address the server as they reach it; nothing changes for them. With keys, every request carries a key a page
 * cannot know (the pages' cookie is `SameSite=Strict`), and these checks are not needed.
 */
import type { Context, MiddlewareHandler } from 'hono';
import { FeatureguardError } from '../errors.js';
import type { ServerAuth } from './auth.js';

/**
 * Whether a request is not a cross-site one: browsers say where a request comes from in `Sec-Fetch-Site`, older
 * ones only in `Origin`. Clients that send neither (curl, scripts) are not browsers being tricked.
 */
export function sameOrigin(c: Context): boolean {
  const site = c.req.header('sec-fetch-site');
  if (site) return site === 'same-origin' || site === 'none';
  const origin = c.req.header('origin');
  if (!origin) return true;
  try {
    return origin !== 'null' && new URL(origin).host === new URL(c.req.url).host;
  } catch {
    return false;
  }
}

/**
 * Whether a `Host` header names this machine: `localhost`, 127.0.0.0/8, `[::1]` or `0.0.0.0` (which Linux delivers to
 * the loopback, and people type), with any port and at most one trailing dot. A rebinding page's Host is its own name.
 */
export function loopbackHost(host: string): boolean {
  const name = host.replace(/:\d+$/, '').toLowerCase().replace(/(?<=[^.])\.$/, '');
  if (name === 'localhost' || name === '[::1]' || name === '0.0.0.0' || /^127(\.\d{1,3}){3}$/.test(name)) return true;
  // Another spelling of ::1 (`[0:0:0:0:0:0:0:1]`, `[::0001]`), as the URL parser writes it; only when the quick test
  // above failed, which an IPv6 literal does (the online read path pays for none of this).
  return name.startsWith('[') && ipv6Name(name) === '[::1]';
}

/** An IPv6 literal (`[…]`) in its canonical form, or null when it is none. */
function ipv6Name(name: string): string | null {
  try {
    return new URL(`http://${name}/`).hostname;
  } catch {
    return null;
  }
}

const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** Middleware: while keys are not required, refuse other hosts' names (403 `host_not_allowed`) and cross-site writes (403 `cross_site_refused`). */
export function keylessBrowserGuard(auth: ServerAuth): MiddlewareHandler {
  // The last Host found a loopback name: a client sends the same one on every request, checked once.
  let loopback: string | undefined;
  // Not async: on the online read path an extra awaited frame per request costs more than the checks.
  return (c, next) => {
    // Liveness and readiness answer whatever the name (they tell nothing).
    const path = c.req.path;
    if (!auth.required() && path !== '/health' && path !== '/ready') {
      const host = c.req.header('host');
      if (host !== undefined && host !== loopback) {
        if (!loopbackHost(host)) {
          throw new FeatureguardError('host_not_allowed', `this server has no API keys, so it answers requests addressed to localhost, 127.0.0.1 or [::1] only, not '${host}' (a web page could reach it under its own name); create a key (featureguard keys create) to serve other names`, {
            status: 403, exitCode: 2, details: { host },
          });
        }
        loopback = host;
      }
      if (UNSAFE.has(c.req.method) && !sameOrigin(c)) {
        throw new FeatureguardError('cross_site_refused', 'this server has no API keys, so it refuses writes a browser sends from another site (a web page cannot push, materialize or apply here); send them from a script, or create a key', {
          status: 403, exitCode: 2,
        });
      }
    }
    return next();
  };
}
