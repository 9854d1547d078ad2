/**
 * The real server: listening with @hono/node-server, registry changes applied by
 * another process picked up without a restart, the scheduler listing, shutdown.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../../src/server/serve.js';
import { createFixture, type Fixture } from './fixture.js';

let fx: Fixture;
let server: RunningServer;
const lines: string[] = [];
beforeAll(async () => {
  fx = await createFixture();
  const sink = new Writable({ write(chunk, _enc, cb) { lines.push(String(chunk)); cb(); } });
  server = await startServer(fx.project, { port: 0, logger: pino({ level: 'info' }, sink) });
});
afterAll(async () => {
  await server?.close();
  await fx?.close();
});

const call = async (path: string, body?: unknown) => {
  const res = await fetch(`${server.url}${path}`, body === undefined ? undefined : { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json' } });
  return { status: res.status, body: (await res.json()) as any };
};

it('serves over HTTP on loopback and logs one line per request', async () => {
  expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  expect((await call('/health')).status).toBe(200);
  const logged = lines.map((l) => JSON.parse(l)).filter((l) => l.msg === 'request');
  expect(logged.at(-1)).toMatchObject({ method: 'GET', path: '/health', status: 200 });
});

it('picks up definitions applied by another process without a restart', async () => {
  const before = await call('/v1/registry/feature_views');
  expect(before.body.items.map((v: any) => v.name)).toEqual(['origin_delays']);
  const unknown = await call('/v1/online-features', { features: ['origin_delays_v2:dep_delay'], entities: { origin: ['SEA'] } });
  expect(unknown.status).toBe(400);
  // A separate Node process applies a second view (copy of the first) and a schedule change.
  const script = `
    import { openProject } from './src/project.js';
    const p = openProject(${JSON.stringify(fx.dir)});
    const s = p.registry.current();
    const v = s.views.get('origin_delays');
    const defs = [...s.entities.values(), ...s.sources.values(), ...s.views.values(), ...s.services.values(),
      { ...v, name: 'origin_delays_v2', schedule: '0 3 * * *' }];
    p.registry.apply(defs);
    await p.close();`;
  // Not execFileSync: blocking this process's event loop (seconds on a loaded machine) let the server close the
  // client's idle keep-alive connection just as the next request went out on it (ECONNRESET).
  await promisify(execFile)(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: process.cwd() });
  const after = await call('/v1/registry/feature_views');
  expect(after.body.items.map((v: any) => v.name)).toEqual(['origin_delays', 'origin_delays_v2']);
  const read = await call('/v1/online-features', { features: ['origin_delays_v2:dep_delay'], entities: { origin: ['SEA'] } });
  expect(read.status).toBe(200);
  expect(read.body.results[1].statuses).toEqual(['NOT_FOUND']);
  // The scheduler follows the registry too.
  const schedules = await call('/v1/schedules');
  expect(schedules.body.scheduler).toBe('running');
  expect(schedules.body.schedules.map((s: any) => [s.view, s.cron, s.active])).toEqual([
    ['origin_delays', '*/5 * * * *', true],
    ['origin_delays_v2', '0 3 * * *', true],
  ]);
  expect(new Date(schedules.body.schedules[1].next_run).getUTCHours()).toBe(3);
});

it('refuses bodies over the limit over real HTTP, declared or chunked', async () => {
  const big = JSON.stringify({ features: ['origin_delays'], entities: { origin: Array.from({ length: 200_000 }, () => "SEA") } });
  expect(big.length).toBeGreaterThan(1024 * 1024);
  const declared = await fetch(`${server.url}/v1/online-features`, { method: 'POST', body: big, headers: { 'content-type': 'application/json' } });
  expect(declared.status).toBe(413);
  expect(((await declared.json()) as any).error.code).toBe('payload_too_large');
  const bytes = new TextEncoder().encode(big);
  const chunked = await fetch(`${server.url}/v1/online-features`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: new ReadableStream({ start(c) { for (let i = 0; i < bytes.length; i += 65536) c.enqueue(bytes.slice(i, i + 65536)); c.close(); } }),
    duplex: 'half',
  } as RequestInit);
  expect(chunked.status).toBe(413);
  // The server is still fine afterwards.
  expect((await call('/health')).status).toBe(200);
});

it('answers requests the HTTP parser refuses (huge headers, a malformed request line) in the JSON error shape', async () => {
  const huge = await fetch(`${server.url}/health`, { headers: { 'x-big': 'a'.repeat(20_000) } });
  expect(huge.status).toBe(431);
  expect(((await huge.json()) as any).error).toMatchObject({ code: 'headers_too_large', message: expect.stringContaining('16 KB') });
  const { connect } = await import('node:net');
  const raw = await new Promise<string>((resolve, reject) => {
    const sock = connect(server.port, '127.0.0.1', () => sock.write('NOT A REQUEST\r\n\r\n'));
    let got = '';
    sock.on('data', (d) => (got += String(d))).on('end', () => resolve(got)).on('error', reject);
  });
  expect(raw).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
  expect(JSON.parse(raw.slice(raw.indexOf('\r\n\r\n') + 4)).error.code).toBe('bad_request');
  expect((await call('/health')).status).toBe(200);
});

it('answers requests no URL can be made of (a backslash in the path, a Host that is no host) in the JSON error shape, not a bare 400', async () => {
  const { connect } = await import('node:net');
  const send = (request: string) => new Promise<string>((resolve, reject) => {
    const sock = connect(server.port, '127.0.0.1', () => sock.write(request));
    let got = '';
    sock.on('data', (d) => (got += String(d))).on('end', () => resolve(got)).on('error', reject);
  });
  for (const request of ['GET /v1\\runs HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n', 'GET /v1/runs HTTP/1.1\r\nHost: localhost:\r\nConnection: close\r\n\r\n']) {
    const raw = await send(request);
    expect(raw, request).toMatch(/^HTTP\/1\.1 400 /);
    const body = raw.slice(raw.indexOf('\r\n\r\n') + 4);
    expect(body, request).not.toBe('');
    expect(JSON.parse(body).error, request).toMatchObject({ code: 'bad_request', message: expect.stringContaining('malformed request') });
  }
});

it('answers an HTTP/1.1 request without a Host header 400 bad_request in the JSON error shape (HTTP/1.0 needs none)', async () => {
  const { connect } = await import('node:net');
  const send = (request: string) => new Promise<string>((resolve, reject) => {
    const sock = connect(server.port, '127.0.0.1', () => sock.write(request));
    let got = '';
    sock.on('data', (d) => (got += String(d))).on('end', () => resolve(got)).on('error', reject);
  });
  for (const request of ['GET /health HTTP/1.1\r\n\r\n', 'POST /v1/online-features HTTP/1.1\r\ncontent-type: application/json\r\ncontent-length: 2\r\n\r\n{}']) {
    const raw = await send(request); // the connection is closed after the answer: `end` comes without the client's
    expect(raw, request).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
    expect(raw, request).toMatch(/\r\ncontent-type: application\/json\r\n/i);
    expect(JSON.parse(raw.slice(raw.indexOf('\r\n\r\n') + 4)).error, request).toEqual({
      code: 'bad_request', message: 'malformed request: an HTTP/1.1 request needs a Host header', details: null,
    });
  }
  const old = await send('GET /health HTTP/1.0\r\n\r\n');
  expect(old).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
  expect(JSON.parse(old.slice(old.indexOf('\r\n\r\n') + 4)).status).toBe('ok');
});

it('shuts down gracefully', async () => {
  const other = await startServer(fx.project, { port: 0, quiet: true, scheduler: false, logger: pino({ level: 'silent' }) });
  expect((await fetch(`${other.url}/health`)).status).toBe(200);
  await other.close();
  await expect(fetch(`${other.url}/health`)).rejects.toThrow();
});

it('fails at start the runs a killed process left running', async () => {
  const run = fx.project.runs.create({ kind: 'dataset', service: 'delay_service' });
  const { spawnSync } = await import('node:child_process');
  fx.project.state.prepare('UPDATE run_owners SET pid = ? WHERE run_id = ?').run(spawnSync(process.execPath, ['-e', '0']).pid, run.id);
  const other = await startServer(fx.project, { port: 0, quiet: true, scheduler: false, logger: pino({ level: 'silent' }) });
  try {
    // In the background once serving (startServer does not wait for the state database's write lock).
    for (let i = 0; i < 100 && fx.project.runs.get(run.id).status === 'running'; i++) await new Promise((r) => setTimeout(r, 20));
    expect(fx.project.runs.get(run.id)).toMatchObject({ status: 'failed', message: expect.stringContaining('stopped before it finished') });
  } finally {
    await other.close();
  }
});

it('close cuts a connection that holds it after the grace time', async () => {
  const other = await startServer(fx.project, { port: 0, quiet: true, scheduler: false, shutdownGraceMs: 300, logger: pino({ level: 'silent' }) });
  const { connect } = await import('node:net');
  const sock = connect(other.port, '127.0.0.1');
  await new Promise((r) => sock.once('connect', r));
  sock.write('GET /health HTTP/1.1\r\nhost: x\r\n'); // headers that never finish (Node would wait 20 s for them)
  sock.on('error', () => undefined);
  const t0 = Date.now();
  await other.close();
  expect(Date.now() - t0).toBeLessThan(5000);
  sock.destroy();
});

it('a port in use is a clear listen_failed error (exit 3)', async () => {
  const taken = await startServer(fx.project, { port: 0, quiet: true, scheduler: false, logger: pino({ level: 'silent' }) });
  try {
    const err = await startServer(fx.project, { port: taken.port, quiet: true, logger: pino({ level: 'silent' }) }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'listen_failed', exitCode: 3, message: `cannot listen on 127.0.0.1:${taken.port}: the port is in use (another featureguard serve?)` });
  } finally {
    await taken.close();
  }
});

it('a body the client stops sending is a 499 request_aborted in the log and metrics, not a logged 500', async () => {
  const { connect } = await import('node:net');
  const sock = connect(server.port, '127.0.0.1');
  await new Promise((r) => sock.once('connect', r));
  sock.write('POST /v1/online-features HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\ncontent-length: 500\r\n\r\n{"features": [');
  await new Promise((r) => setTimeout(r, 100));
  sock.destroy();
  let line: string | undefined;
  for (let i = 0; i < 50 && !line; i++) {
    await new Promise((r) => setTimeout(r, 50));
    line = lines.find((l) => l.includes('"path":"/v1/online-features"') && l.includes('"status":499'));
  }
  expect(line).toBeDefined();
  expect(lines.filter((l) => l.includes('request failed'))).toEqual([]);
  const metrics = await (await fetch(`${server.url}/metrics`)).text();
  expect(metrics).toMatch(/featureguard_http_request_duration_seconds_count\{[^}]*route="\/v1\/online-features"[^}]*status="499"\} 1/);
  expect(metrics).not.toMatch(/route="\/v1\/online-features"[^}]*status="500"/);
});

it('a Redis store down at start fails the start (exit 3) instead of leaving a process that never listens', async () => {
  const { mkdtempSync, cpSync, writeFileSync, rmSync } = await import('node:fs');
  const { join } = await import('node:path');
  const { tmpdir } = await import('node:os');
  const { spawnSync } = await import('node:child_process');
  const { createServer } = await import('node:net');
  // A port nothing listens on.
  const port = await new Promise<number>((res) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => res(p));
    });
  });
  const dir = mkdtempSync(join(tmpdir(), 'fg-serve-down-'));
  try {
    cpSync(fx.dir, dir, { recursive: true, filter: (src) => !src.includes('.featureguard') });
    writeFileSync(join(dir, 'featureguard.yaml'), `project: servertest\nonline_store: {type: redis, url: "redis://127.0.0.1:${port}"}\n`);
    // The view and its schedule applied: the scheduler's timers are what kept such a process alive.
    const applied = spawnSync(process.execPath, ['bin/featureguard.js', '--project', dir, 'apply'], { encoding: 'utf8' });
    expect(applied.status, applied.stderr).toBe(0);
    const r = spawnSync(process.execPath, ['bin/featureguard.js', '--project', dir, 'serve', '--port', '0'], { encoding: 'utf8', timeout: 20_000 });
    expect(r.signal, r.stderr).toBeNull(); // not killed by the timeout: it exited on its own
    expect([r.status, r.stderr]).toEqual([3, expect.stringContaining('is unavailable')]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
