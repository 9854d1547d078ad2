/**
 * Child process of the serving benchmark: serves a project with the real API
 * (`createApp`, quiet, no scheduler) on a loopback port, plus bare Hono routes
 * `POST /bare/:scenario` that return a constant JSON body as large as the real
 * response of that scenario (the reference for throughput ratios), and `POST /spin/:us/:scenario`, the same plus
 * reading the request body and `us` µs of busy work (the calibration of those ratios). The API is served by its own
 * `fetch`, as `featureguard serve` serves it; the bare and calibration routes by a second Hono app, chosen by path.
 *
 * Usage: node --import tsx test/bench/serving-server.ts <projectDir> <scenarios.json> (after `npm run build`: it serves
 * the compiled package)
 * Prints `READY <url>` once listening; exits on SIGTERM.
 */
import { serve } from '@hono/node-server';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { Hono } from 'hono';

// The compiled package (`npm run bench` builds it first), as `featureguard serve` runs it: the sources through tsx
// carry esbuild's helpers (`__name` on every function made per request), which cost the route about a tenth of its
// throughput. Typed by the sources it is built from.
const dist = (path: string) => new URL(`../../dist/${path}`, import.meta.url).href;
const { openProject } = (await import(dist('project.js'))) as typeof import('../../src/project.js');
const { createApp } = (await import(dist('server/app.js'))) as typeof import('../../src/server/app.js');
// The API's own body reader (src/server/body.ts): the calibration routes read a body as the online route does.
const { readJson } = (await import(dist('server/body.js'))) as typeof import('../../src/server/body.js');

const [dir, scenariosFile] = process.argv.slice(2);
const scenarios = JSON.parse(readFileSync(scenariosFile, 'utf8')) as { name: string; sample: unknown }[];
const project = openProject(dir);
await project.onlineStore();
const api = createApp(project, { ui: false, maxEntities: 1000 });

const root = new Hono();
for (const s of scenarios) {
  const res = await api.request('/v1/online-features', { method: 'POST', body: JSON.stringify(s.sample), headers: { 'content-type': 'application/json' } });
  if (res.status !== 200) throw new Error(`scenario ${s.name}: ${res.status} ${await res.text()}`);
  const constant = await res.text();
  root.post(`/bare/${s.name}`, (c) => c.body(constant, 200, { 'content-type': 'application/json' }));
  // Calibration: the bare route plus reading and parsing the request body and `us` µs of busy work, the share of
  // the bare route's throughput a route doing that much per request gets on this machine (serving.bench.ts).
  root.post(`/spin/:us/${s.name}`, async (c) => {
    const us = Number(c.req.param('us'));
    await readJson(c);
    const until = performance.now() + us / 1000;
    while (performance.now() < until);
    return c.body(constant, 200, { 'content-type': 'application/json' });
  });
}
// Everything else is the API's own fetch, as `featureguard serve` serves it. Mounted with `root.route('/', api)`,
// each of its handlers, its middleware included, would run wrapped in a compose of its error handler: work on every
// request that `serve` does not do.
const fetch = (req: Request, env: unknown): Response | Promise<Response> => {
  const url = req.url;
  const path = url.indexOf('/', url.indexOf('//') + 2);
  return url.startsWith('/bare/', path) || url.startsWith('/spin/', path) ? root.fetch(req, env) : api.fetch(req, env);
};

const server = serve({ fetch, hostname: '127.0.0.1', port: 0 }, (info: AddressInfo) => {
  process.stdout.write(`READY http://127.0.0.1:${info.port}\n`);
});
process.on('SIGTERM', () => {
  server.close(() => void project.close().then(() => process.exit(0)));
});
