/**
 * Where a webhook body says the run is (quality-log review leftovers): `links` were paths relative to the server's
 * address, which featureguard.yaml did not know, so a receiver had to join them to a base URL of its own; with
 * `server.public_url` they are absolute. A held-back summary carried no links at all: each run it lists now has its
 * own. Real deliveries to a real local HTTP receiver; the expected URLs are built with WHATWG `URL`, not the code's join.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { NOT_JUDGED, fireAlerts } from '../../src/alerts/dispatch.js';
import { sendHeldBackSummaries } from '../../src/alerts/held-back.js';
import { loadConfig } from '../../src/definitions/loader.js';
import { DefinitionError } from '../../src/errors.js';
import { guardBench, type GuardBench } from './helpers.js';

const servers: Server[] = [];
let bench: GuardBench | undefined;
afterEach(async () => {
  await bench?.close();
  bench = undefined;
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
  delete process.env.FEATUREGUARD_ALERT_BACKOFF_MS;
});

/** A receiver answering 204, keeping each body parsed. */
async function receiver(): Promise<{ url: string; bodies: Record<string, unknown>[] }> {
  const bodies: Record<string, unknown>[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      bodies.push(JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>);
      res.writeHead(204).end();
    });
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, bodies };
}

/** A failed push run, alerted (an alert on `statuses: [failed]` matches it). */
async function failedRun(project: GuardBench['project']): Promise<string> {
  const run = project.runs.create({ kind: 'push', view: 'delays', options: {} });
  project.runs.update(run.id, { status: 'failed', finished_at: new Date().toISOString() });
  await fireAlerts(project, run.id, NOT_JUDGED);
  return run.id;
}

/** The links a receiver should get for `runId` under `base` (a folder URL ending in `/`), joined by WHATWG URL. */
const expected = (base: string, runId: string) => ({ api: new URL(`v1/runs/${runId}`, base).href, ui: new URL(`ui/runs/${runId}`, base).href });

describe('webhook links', () => {
  it('are paths relative to the server without server.public_url, as before', async () => {
    const rx = await receiver();
    bench = await guardBench({ alerts: [{ name: 'failures', url: rx.url, statuses: ['failed'] }] });
    const runId = await failedRun(bench.project);
    expect(rx.bodies).toHaveLength(1);
    expect(rx.bodies[0].links).toEqual({ api: `/v1/runs/${runId}`, ui: `/ui/runs/${runId}` });
  });

  it.each([
    ['https://fg.example.com', 'https://fg.example.com/'],
    ['https://fg.example.com/', 'https://fg.example.com/'],
    ['http://10.0.0.5:6567', 'http://10.0.0.5:6567/'],
    ['https://example.com/featureguard', 'https://example.com/featureguard/'],
    ['https://example.com/featureguard/', 'https://example.com/featureguard/'],
    // Non-ASCII host and path (an IRI): the links are the URL's serialized form (punycode host, percent-encoded path).
    ['https://bücher.example/', 'https://xn--bcher-kva.example/'],
    ['https://fg.example.com/équipe/', 'https://fg.example.com/%C3%A9quipe/'],
    ['https://bücher.example/équipe', 'https://xn--bcher-kva.example/%C3%A9quipe/'],
  ])('are absolute URLs under server.public_url %s', async (publicUrl, base) => {
    const rx = await receiver();
    bench = await guardBench({ alerts: [{ name: 'failures', url: rx.url, statuses: ['failed'] }], server: { public_url: publicUrl } });
    const runId = await failedRun(bench.project);
    expect(rx.bodies).toHaveLength(1);
    expect(rx.bodies[0].links).toEqual(expected(base, runId));
  });

  it("of a held-back summary: one per run it lists, each that run's (absolute under server.public_url)", async () => {
    for (const publicUrl of [undefined, 'https://fg.example.com/team/']) {
      const rx = await receiver();
      bench = await guardBench({ alerts: [{ name: 'failures', url: rx.url, statuses: ['failed'], min_interval: '1h' }], ...(publicUrl ? { server: { public_url: publicUrl } } : {}) });
      const runIds = [await failedRun(bench.project), await failedRun(bench.project), await failedRun(bench.project)];
      expect(rx.bodies.map((b) => b.event)).toEqual(['featureguard.run']);
      // The interval ended: the summary of the two runs held back is due.
      bench.project.state.prepare('UPDATE alert_throttle SET last_sent_at = last_sent_at - 3600000').run();
      const attempts = await sendHeldBackSummaries(bench.project);
      expect(attempts.map((a) => a.ok)).toEqual([true]);
      const summary = rx.bodies[1] as { event: string; runs: { id: string; links: unknown }[] };
      expect(summary.event).toBe('featureguard.held_back');
      expect(summary.runs.map((r) => r.id)).toEqual(runIds.slice(1));
      for (const r of summary.runs) {
        expect(r.links).toEqual(publicUrl ? expected(publicUrl, r.id) : { api: `/v1/runs/${r.id}`, ui: `/ui/runs/${r.id}` });
      }
      await bench.close();
      bench = undefined;
    }
  });
});

describe('server.public_url in featureguard.yaml', () => {
  const problemsOf = (publicUrl: unknown): { path: string; message: string }[] => {
    const dir = mkdtempSync(join(tmpdir(), 'fg-public-url-'));
    try {
      writeFileSync(join(dir, 'featureguard.yaml'), stringify({ project: 'p', server: { public_url: publicUrl } }));
      loadConfig(dir);
      return [];
    } catch (e) {
      if (!(e instanceof DefinitionError)) throw e;
      return e.problems.map((p) => ({ path: p.path, message: p.message }));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };

  it('takes an absolute http or https URL, with a path', () => {
    for (const ok of ['https://fg.example.com', 'http://127.0.0.1:6567/', 'https://example.com/featureguard', 'HTTPS://FG.example.com/x/']) expect(problemsOf(ok), ok).toEqual([]);
  });

  it('takes a non-ASCII host or path, as WHATWG URL does (ajv\'s `uri` format refused them)', () => {
    for (const ok of ['https://bücher.example/', 'https://fg.example.com/équipe', 'https://bücher.example/équipe/', 'https://xn--bcher-kva.example/']) {
      expect(URL.canParse(ok), ok).toBe(true);
      expect(problemsOf(ok), ok).toEqual([]);
    }
  });

  it('is checked by the JSON Schema alone as an editor checks it: URLs with spaces, <>, a broken IPv6 host are refused there too', () => {
    // The editor-side check (no `format: uri`, which refused non-ASCII hosts): the schema's own pattern, compiled as ajv does (`u`).
    const schema = JSON.parse(readFileSync(join(__dirname, '..', '..', 'schemas', 'project.schema.json'), 'utf8'));
    const pattern = new RegExp(schema.properties.server.properties.public_url.pattern, 'u');
    const good = ['https://fg.example.com', 'http://127.0.0.1:6567/', 'https://[::1]:8080/fg/', 'https://bücher.example/équipe/', 'HTTPS://FG.example.com/x/', 'http://h/a%20b'];
    const bad = ['https://exa mple.com', 'https://a<b>.com', 'https://[::1', 'https://[::1]x/', 'https://example.com/a b', 'https://example.com/"x"', 'https://u:p@x.com', 'https://x.com?q', 'https://x.com#f', 'ftp://x', 'https://'];
    expect(good.filter((v) => !pattern.test(v))).toEqual([]);
    expect(bad.filter((v) => pattern.test(v))).toEqual([]);
    // Whatever the schema takes, the loader's own check (WHATWG URL) takes too.
    for (const v of good) expect(problemsOf(v), v).toEqual([]);
  });

  it.each([
    ['fg.example.com', /absolute http or https URL/],
    ['/featureguard', /absolute http or https URL/],
    ['https://fg example.com/', /absolute http or https URL/],
    ['https://[::1/', /absolute http or https URL/],
    ['ftp://fg.example.com', /http or https, not ftp/],
    ['https://fg.example.com/?team=a', /no query/],
    ['https://fg.example.com/#runs', /no fragment/],
    ['https://fg.example.com/?', /no query/],
    ['https://admin:pw@fg.example.com/', /user name or password/],
    [42, /must be text/],
  ])('refuses %s, saying why at /server/public_url', (value, why) => {
    const problems = problemsOf(value);
    expect(problems).toHaveLength(1);
    expect(problems[0].path).toBe('/server/public_url');
    expect(problems[0].message).toMatch(why);
  });
});
