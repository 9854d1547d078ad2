/**
 * API keys over HTTP (admin scope), the same key store as `featureguard keys`:
 * `GET /v1/keys` lists them (never a secret or a hash), `POST /v1/keys`
 * `{scope, name?}` creates one and answers 201 with the key itself, shown once,
 * `DELETE /v1/keys/:id` revokes one, by id or by the key itself (404 for an unknown id, or a key matching none,
 * named without its secret). While no key exists
 * a loopback server is open, so its first key can be created here; from the
 * next request on, every API request needs a key.
 */
import { Hono } from 'hono';
import { keyStoreFor, shownKey, type Scope } from '../../auth/keys.js';
import { jsonBody } from '../body.js';
import type { ServerContext } from '../context.js';

interface CreateKeyBody {
  scope: Scope;
  name?: string;
}

/** `onChange` is told about every created or revoked key (so auth applies it at once). */
export function keyRoutes(ctx: ServerContext, onChange: () => void = () => undefined): Hono {
  const keys = keyStoreFor(ctx.project.state);
  const app = new Hono();
  app.use('*', ctx.auth.requireScope('admin'));
  app.get('/', (c) => c.json({ keys: keys.list().map(shownKey) }));
  app.post('/', async (c) => {
    const body = await jsonBody<CreateKeyBody>(c, 'keys_create', ctx.limits.bodyLimit);
    const { key, info } = keys.create(body.scope, body.name);
    onChange();
    // No Location: a key has no URL of its own to GET (only DELETE); without one, a 201 names the target,
    // `/v1/keys`, whose list shows the new key.
    return c.json({ ...shownKey(info), key }, 201, { 'cache-control': 'no-store' });
  });
  app.delete('/:id', (c) => {
    const info = keys.revoke(c.req.param('id'));
    onChange();
    return c.json(shownKey(info));
  });
  return app;
}
