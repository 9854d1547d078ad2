/**
 * Login for the pages. When the server requires API keys, every page needs a
 * key with read scope. The login form posts the key once; the server verifies
 * it and stores **the key itself** in the `featureguard_key` cookie (HttpOnly,
 * SameSite=Strict, Path=/ui, Secure on https, 8 hours). Every request
 * re-verifies the cookie against the key store, so revoking the key logs the
 * browser out at once; no server-side session state is kept, so several
 * `serve` replicas work without sharing a secret.
 */
import type { Context, MiddlewareHandler } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import { scopeAllows, type KeyIdentity } from '../../auth/keys.js';
import { KEY_COOKIE } from '../auth.js';
import type { UiEnv } from './env.js';
import { Layout, type PageFrame } from './layout.js';

/** The part of the server's auth the pages use (see `src/server/auth.ts`). */
export interface UiAuth {
  required(): boolean;
  verify(key: string): KeyIdentity | null;
}

const COOKIE_MAX_AGE = 8 * 3600;

/** The key presented by a page request: the cookie, or a Bearer header (scripts, curl). */
function pageKey(c: Context): string | undefined {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(c.req.header('authorization') ?? '');
  return m ? m[1] : getCookie(c, KEY_COOKIE);
}

/** The identity of a page request, or null. */
export function pageIdentity(c: Context, auth: UiAuth | undefined): KeyIdentity | null {
  const key = pageKey(c);
  return auth && key ? auth.verify(key) : null;
}

/**
 * Middleware: without a valid read key, GET/HEAD requests are redirected (303)
 * to the login form, anything else gets 401. No page data is produced first.
 */
export function requirePageKey(auth: UiAuth | undefined, base: string): MiddlewareHandler<UiEnv> {
  return async (c, next) => {
    if (auth && auth.required()) {
      // Verified once per request by the pages' first middleware.
      const who = c.get('identity') ?? null;
      if (!who || !scopeAllows(who.scope, 'read')) {
        if (c.req.method === 'GET' || c.req.method === 'HEAD') {
          const url = new URL(c.req.url);
          return c.redirect(`${base}/login?next=${encodeURIComponent(url.pathname + url.search)}`, 303);
        }
        return c.text('an API key with read scope is required', 401);
      }
    }
    await next();
  };
}

/** Only local page paths are accepted as a post-login target (no open redirect). */
export function safeNext(next: string | undefined, base: string): string {
  // No control characters either: a Location header cannot carry them (the login would end in a 500).
  if (next && next.startsWith(`${base}/`) && !next.startsWith('//') && !/[\\\x00-\x1f\x7f]/.test(next)) return next;
  return `${base}/runs`;
}

export function LoginPage(props: { frame: PageFrame; next: string; error?: string; notRequired?: boolean }) {
  const { frame } = props;
  return (
    <Layout frame={frame} title="Log in" section="login">
      <section class="login" aria-labelledby="login-h">
        <h1 id="login-h">Log in</h1>
        {props.notRequired ? (
          <p>
            This server does not require API keys. <a href={`${frame.base}/runs`}>Open the runs</a>.
          </p>
        ) : (
          <>
            <p class="muted">
              Paste an API key with <code>read</code> scope (create one with <code>featureguard keys create --scope read</code>).
            </p>
            {props.error ? (
              <p class="error-box" role="alert">
                {props.error}
              </p>
            ) : null}
            <form method="post" action={`${frame.base}/login`}>
              <input type="hidden" name="next" value={props.next} />
              <label for="key">API key</label>
              <input id="key" name="key" type="password" autocomplete="current-password" required autofocus />
              <p>
                <button class="primary" type="submit">
                  Log in
                </button>
              </p>
            </form>
          </>
        )}
      </section>
    </Layout>
  );
}

/**
 * Whether the page was asked for over https: directly, or through a TLS proxy (`X-Forwarded-Proto: https`;
 * `serve` itself speaks plain HTTP). A forged header only makes the cookie stricter, so it needs no trust.
 */
function overHttps(c: Context): boolean {
  if (new URL(c.req.url).protocol === 'https:') return true;
  return c.req.header('x-forwarded-proto')?.split(',')[0]?.trim().toLowerCase() === 'https';
}

/** Verify a posted key; on success set the cookie. Returns the identity or null. */
export function login(c: Context, auth: UiAuth, key: string, base: string): KeyIdentity | null {
  const who = auth.verify(key.trim());
  if (!who || !scopeAllows(who.scope, 'read')) return null;
  setCookie(c, KEY_COOKIE, key.trim(), {
    httpOnly: true,
    sameSite: 'Strict',
    secure: overHttps(c),
    path: base,
    maxAge: COOKIE_MAX_AGE,
  });
  return who;
}

export function logout(c: Context, base: string): void {
  deleteCookie(c, KEY_COOKIE, { path: base });
}
