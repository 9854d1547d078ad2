/**
 * `featureguard serve --public-url URL` over featureguard.yaml's `server.public_url` (the base of webhook bodies'
 * absolute links): refused exactly as the file's value is (the file's own validation, `loadConfig`, is the
 * reference), never echoing the URL; taken, it is the base of the links a real receiver gets, over the file's.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { NOT_JUDGED, fireAlerts } from '../../src/alerts/dispatch.js';
import { loadConfig } from '../../src/definitions/loader.js';
import { DefinitionError } from '../../src/errors.js';
import { withPublicUrl } from '../../src/project.js';
import { runCli } from '../cli/cli-io.js';
import { guardBench, type GuardBench } from '../guards/helpers.js';

let bench: GuardBench | undefined;
const servers: Server[] = [];
afterEach(async () => {
  await bench?.close();
  bench = undefined;
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

/** The message featureguard.yaml's `server.public_url: value` is refused with, or undefined when it is taken. */
function fileRefusal(value: string): string | undefined {
  const dir = mkdtempSync(join(tmpdir(), 'fg-public-url-'));
  try {
    writeFileSync(join(dir, 'featureguard.yaml'), stringify({ project: 'p', server: { public_url: value } }));
    loadConfig(dir);
    return undefined;
  } catch (e) {
    if (!(e instanceof DefinitionError)) throw e;
    return e.problems.find((p) => p.path === '/server/public_url')?.message;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('serve --public-url', () => {
  const BAD = ['ftp://fg.example.com', 'https://user:s3cret@fg.example.com', 'https://fg.example.com/?team=a', 'https://fg.example.com/#x', 'fg.example.com', '/relative', 'https://fg.example.com/a b', 'https://'];
  it.each(BAD)('refuses %s as featureguard.yaml refuses it, exit 2, without echoing it', async (value) => {
    bench = await guardBench();
    const reference = fileRefusal(value);
    expect(reference, 'the file refuses it').toBeDefined();
    const r = await runCli(['--project', bench.dir, 'serve', '--port', '0', '--public-url', value]);
    expect(r.code).toBe(2);
    expect(r.err).toContain(`--public-url: ${reference}`);
    if (value.includes('s3cret')) expect(r.err).not.toContain('s3cret');
  });

  it('is listed in serve --help', async () => {
    const r = await runCli(['serve', '--help']);
    expect(r.out).toMatch(/--public-url <url>/);
  });

  it('takes what the file takes and makes webhook links absolute under it, over server.public_url', async () => {
    const bodies: Record<string, unknown>[] = [];
    const rx = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => (bodies.push(JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>), res.writeHead(204).end()));
    });
    servers.push(rx);
    await new Promise<void>((r) => rx.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(rx.address() as AddressInfo).port}/hook`;
    bench = await guardBench({ alerts: [{ name: 'failures', url, statuses: ['failed'] }], server: { public_url: 'https://from-file.example.com/' } });
    for (const value of ['https://fg.example.com/team', 'https://bücher.example/', 'http://10.0.0.5:6567']) expect(fileRefusal(value)).toBeUndefined();
    const served = withPublicUrl(bench.project, 'https://bücher.example/team');
    expect(served.config.server).toMatchObject({ public_url: 'https://bücher.example/team' });
    const run = served.runs.create({ kind: 'push', view: 'delays', options: {} });
    served.runs.update(run.id, { status: 'failed', finished_at: new Date().toISOString() });
    await fireAlerts(served, run.id, NOT_JUDGED);
    expect(bodies).toHaveLength(1);
    // Joined by WHATWG URL, not the code's join.
    expect(bodies[0].links).toEqual({ api: new URL(`v1/runs/${run.id}`, 'https://bücher.example/team/').href, ui: new URL(`ui/runs/${run.id}`, 'https://bücher.example/team/').href });
    // The project as opened keeps the file's.
    expect(bench.project.config.server?.public_url).toBe('https://from-file.example.com/');
  });
});
