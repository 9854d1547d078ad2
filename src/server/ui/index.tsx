/**
 * The quality review pages, mounted by the server under `/ui`:
 * `/ui/runs` (the log, filtered and paged), `/ui/runs/:id` (one run),
 * `/ui/runs/:id/drift/:feature` (histograms and drift metrics),
 * `/ui/features/:view/:feature` (history charts), `/ui/registry`, and
 * `/ui/login` when the server requires API keys. Server-rendered with Hono's
 * JSX; charts are SVG from `src/charts`; no external assets, no build step.
 *
 * @example
 * app.route('/ui', uiRoutes(project, auth));
 */
import { randomBytes } from 'node:crypto';
import { Hono, type Context } from 'hono';
import { InputError, isFeatureguardError } from '../../errors.js';
import { readBodyText } from '../body.js';
import { sameOrigin } from '../browser-guard.js';
import type { Project } from '../../project.js';
import { LoginPage, login, logout, pageIdentity, requirePageKey, safeNext, type UiAuth } from './auth.js';
import { ErrorPage } from './error-page.js';
import type { UiEnv } from './env.js';
import { driftPage, historyPage, redeliverFromPage, registryPage, runDetailPage, runsPage } from './handlers.js';
import { BIDI_CONTROL_CLASS } from '../../text-safety.js';

export type { UiAuth } from './auth.js';

export interface UiOptions {
  /** Where the pages are mounted (default `/ui`): links and the cookie path use it. */
  readonly base?: string;
}

type Env = UiEnv;

/** Security headers of every page: a per-response CSP nonce, no framing, no caching of data pages. */
function pageHeaders(c: Context, nonce: string): void {
  c.header(
    'Content-Security-Policy',
    `default-src 'none'; style-src 'nonce-${nonce}'; script-src 'nonce-${nonce}'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'`,
  );
  c.header('X-Content-Type-Options', 'nosniff');
  c.header('Referrer-Policy', 'same-origin');
  c.header('X-Frame-Options', 'DENY');
  c.header('Cache-Control', 'no-store');
}

/** Characters that reorder the text around them (bidirectional embeddings, overrides, isolates and marks). */
const BIDI_CONTROLS = new RegExp(`[${BIDI_CONTROL_CLASS}]`, 'g');

/**
 * Bidirectional control characters in a page shown as `[U+202E]`: one in a data value (a category, an entity key)
 * would otherwise reverse how the rest of a check's message reads, numbers and verdict included. The pages' own
 * text has none, so every one comes from data or definitions, and a reviewer should see it there.
 */
async function showBidiControls(c: Context): Promise<void> {
  if (!c.res.headers.get('content-type')?.startsWith('text/html')) return;
  const html = await c.res.clone().text();
  BIDI_CONTROLS.lastIndex = 0;
  if (!BIDI_CONTROLS.test(html)) return;
  const shown = html.replace(BIDI_CONTROLS, (ch) => `[U+${ch.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}]`);
  c.res = new Response(shown, { status: c.res.status, headers: c.res.headers });
}

/**
 * The pages as a Hono sub-app. `auth` is the server's key check (see
 * `src/server/auth.ts`); without it, or while no key exists on a loopback
 * server, the pages are open like the rest of the API.
 */
export function uiRoutes(project: Project, auth?: UiAuth, options: UiOptions = {}): Hono<Env> {
  const base = options.base ?? '/ui';
  const app = new Hono<Env>();

  app.use('*', async (c, next) => {
    const nonce = randomBytes(16).toString('base64');
    const required = Boolean(auth?.required());
    const identity = required ? pageIdentity(c, auth) : null;
    c.set('identity', identity);
    c.set('frame', { base, nonce, loggedIn: identity !== null, project: project.config.project });
    pageHeaders(c, nonce);
    await next();
    await showBidiControls(c);
  });

  app.onError((err, c) => {
    const frame = c.get('frame') ?? { base, nonce: '', loggedIn: false, project: project.config.project };
    const status = isFeatureguardError(err) ? err.status : 500;
    if (status >= 500) console.error(err);
    const message = isFeatureguardError(err) && status < 500 ? err.message : 'internal error: see the server log';
    return c.html(<ErrorPage frame={frame} status={status} message={message} />, status as 400);
  });

  // Login and logout are reachable without a key.
  app.get('/login', (c) => {
    const frame = c.get('frame');
    const next = safeNext(c.req.query('next'), base);
    if (!auth || !auth.required()) return c.html(<LoginPage frame={frame} next={next} notRequired />);
    return c.html(<LoginPage frame={frame} next={next} />);
  });
  app.post('/login', async (c) => {
    const frame = c.get('frame');
    if (!sameOrigin(c)) return c.text('cross-site form posts are refused', 403);
    const form = await loginForm(c);
    const next = safeNext(form.get('next') ?? undefined, base);
    if (!auth || !auth.required()) return c.redirect(next, 303);
    const key = form.get('key') ?? '';
    if (!login(c, auth, key, base)) return c.html(<LoginPage frame={frame} next={next} error="That key is not valid, was revoked, or lacks read scope." />, 401);
    return c.redirect(next, 303);
  });
  app.post('/logout', (c) => {
    if (!sameOrigin(c)) return c.text('cross-site form posts are refused', 403);
    logout(c, base);
    return c.redirect(auth?.required() ? `${base}/login` : `${base}/runs`, 303);
  });

  app.use('*', requirePageKey(auth, base));
  app.get('/', (c) => c.redirect(`${base}/runs`, 302));
  app.get('/runs', (c) => runsPage(c, project));
  app.get('/runs/:id', (c) => runDetailPage(c, project));
  app.post('/runs/:id/redeliver', (c) => {
    if (!sameOrigin(c)) return c.text('cross-site form posts are refused', 403);
    return redeliverFromPage(c, project);
  });
  app.get('/runs/:id/drift/:feature', (c) => driftPage(c, project));
  app.get('/features/:view/:feature', (c) => historyPage(c, project));
  app.get('/registry', (c) => registryPage(c, project));
  // A sub-app's notFound is not used once mounted: an explicit catch-all keeps 404s as HTML pages.
  app.all('*', (c) => {
    const url = new URL(c.req.url);
    if (c.req.method === 'GET' && url.pathname.length > 1 && url.pathname.endsWith('/')) return c.redirect(url.pathname.replace(/\/+$/, '') + url.search, 301);
    return c.html(<ErrorPage frame={c.get('frame')} status={404} message={`No page at ${url.pathname}.`} />, 404);
  });
  return app;
}

/** The login form's fields: a small URL-encoded body (what the page's form sends), 400 otherwise. */
async function loginForm(c: Context): Promise<URLSearchParams> {
  const type = (c.req.header('content-type') ?? '').split(';')[0].trim().toLowerCase();
  if (type !== 'application/x-www-form-urlencoded') {
    throw new InputError(`the login form is sent as application/x-www-form-urlencoded, not '${type || 'no content type'}'`, undefined, 'bad_request');
  }
  return new URLSearchParams(await readBodyText(c, LOGIN_BODY_LIMIT));
}

/** A login form holds a key and a path: a few hundred bytes. */
const LOGIN_BODY_LIMIT = 16 * 1024;
