/**
 * Serving benchmark: `POST /v1/online-features` under load from autocannon, the
 * server in a child process (so the load generator and the server don't share an
 * event loop on this 2-core machine). For the sqlite and redis online stores:
 * 1 entity × 50 features (one view, and spread over 5 views) and 100 entities ×
 * 50 features, at maximum throughput beside a bare Hono route returning a
 * constant body of the same size from the same process, and at a fixed rate of
 * 1,000 requests/s for the p99 target. Latencies are taken per response from
 * autocannon's `response` event (float ms), so percentiles are not rounded to
 * whole milliseconds. Data: 10,000 entities with 50 float64 features written
 * directly through the store's `writeBatch`.
 */
import autocannon from 'autocannon';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { Definition } from '../../src/definitions/types.js';
import { openProject } from '../../src/project.js';
import { startRedisServer, type RedisProcess } from '../setup/redis.js';

const ENTITIES = 10_000;
const FEATURES = 50;
const DURATION_S = Number(process.env.FG_BENCH_SERVING_SECONDS ?? 5);
const CONNECTIONS = 16;
const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

interface Scenario {
  name: string;
  title: string;
  features: string[];
  entities: number;
}

const SCENARIOS: Scenario[] = [
  { name: 'e1_v1', title: '1 entity × 50 features, 1 view', features: ['wide'], entities: 1 },
  { name: 'e1_v5', title: '1 entity × 50 features, 5 views', features: ['part_0', 'part_1', 'part_2', 'part_3', 'part_4'], entities: 1 },
  { name: 'e100_v1', title: '100 entities × 50 features, 1 view', features: ['wide'], entities: 100 },
];

function definitions(): Definition[] {
  const feats = (n: number, prefix: string) => Array.from({ length: n }, (_, i) => ({ name: `${prefix}${i}`, type: 'float64' as const }));
  return [
    { kind: 'entity', name: 'item', join_keys: [{ name: 'item_id', type: 'string' }] },
    { kind: 'source', name: 'bench_source', path: 'data/bench/*.parquet', timestamp_field: 'event_timestamp' },
    { kind: 'feature_view', name: 'wide', entities: ['item'], source: 'bench_source', ttl: '0', online: true, features: feats(FEATURES, 'f') },
    ...Array.from({ length: 5 }, (_, p): Definition => ({
      kind: 'feature_view', name: `part_${p}`, entities: ['item'], source: 'bench_source', ttl: '0', online: true, features: feats(FEATURES / 5, `p${p}_f`),
    })),
  ];
}

async function createProject(online: string): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'fg-bench-serving-'));
  mkdirSync(join(dir, 'features'));
  writeFileSync(join(dir, 'featureguard.yaml'), `project: bench\nonline_store: ${online}\n`);
  const project = openProject(dir);
  try {
    const defs = definitions();
    project.registry.apply(defs);
    const store = await project.onlineStore();
    const now = Date.now() * 1000;
    let seed = 42;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) * 100;
    for (const def of defs) {
      if (def.kind !== 'feature_view') continue;
      const names = def.features.map((f) => f.name);
      for (let start = 0; start < ENTITIES; start += 2000) {
        const rows = Array.from({ length: Math.min(2000, ENTITIES - start) }, (_, i) => ({
          key: [`e${start + i}`], values: names.map(() => rnd()), eventTs: now, createdTs: 0,
        }));
        await store.writeBatch(def.name, names, rows);
      }
    }
  } finally {
    await project.close();
  }
  return dir;
}

function body(s: Scenario, rnd: () => number): string {
  const ids = Array.from({ length: s.entities }, () => `e${Math.floor(rnd() * ENTITIES)}`);
  return JSON.stringify({ features: s.features, entities: { item_id: ids } });
}

async function startChild(dir: string): Promise<{ url: string; child: ChildProcess }> {
  const scenariosFile = join(dir, 'scenarios.json');
  let seed = 7;
  const rnd = () => (seed = (seed * 16807) % 2147483647) / 2147483647;
  writeFileSync(scenariosFile, JSON.stringify(SCENARIOS.map((s) => ({ name: s.name, sample: JSON.parse(body(s, rnd)) }))));
  const child = spawn(process.execPath, ['--import', 'tsx', join(repoRoot, 'test/bench/serving-server.ts'), dir, scenariosFile], {
    cwd: repoRoot, stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = await new Promise<string>((resolveUrl, reject) => {
    const rl = createInterface({ input: child.stdout! });
    rl.on('line', (line) => {
      if (line.startsWith('READY ')) resolveUrl(line.slice(6).trim());
    });
    child.once('exit', (code) => reject(new Error(`bench server exited with ${code}`)));
  });
  return { url, child };
}

interface Measured {
  rps: number;
  p50: number;
  p99: number;
  errors: number;
  bytes: number;
}

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

async function load(url: string, path: string, s: Scenario, opts: { rate?: number; duration?: number } = {}): Promise<Measured> {
  let seed = 12345;
  const rnd = () => (seed = (seed * 16807) % 2147483647) / 2147483647;
  const samples: number[] = [];
  let non2xx = 0;
  let bytes = 0;
  let finish!: (r: autocannon.Result) => void;
  let fail!: (e: unknown) => void;
  const done = new Promise<autocannon.Result>((res, rej) => ((finish = res), (fail = rej)));
  const instance = autocannon({
    url: `${url}${path}`,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    connections: opts.rate ? 10 : CONNECTIONS,
    duration: opts.duration ?? DURATION_S,
    overallRate: opts.rate,
    requests: [{ setupRequest: (req) => ({ ...req, body: body(s, rnd) }) }],
  }, (err, result) => (err ? fail(err) : finish(result)));
  instance.on('response', (_client, status, resBytes, ms) => {
    if (status >= 200 && status < 300) samples.push(ms);
    else non2xx++;
    bytes = resBytes;
  });
  const result = await done;
  const sorted = Float64Array.from(samples).sort();
  return { rps: samples.length / (opts.duration ?? DURATION_S), p50: percentile(sorted, 50), p99: percentile(sorted, 99), errors: non2xx + result.errors + result.timeouts, bytes };
}

/** Cumulative bucket counts of the server's own latency histogram for the online route. */
async function serverBuckets(url: string): Promise<Map<string, number>> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const out = new Map<string, number>();
  const re = /featureguard_http_request_duration_seconds_bucket\{le="([^"]+)",method="POST",route="\/v1\/online-features",status="200"\} (\d+)/g;
  for (const m of text.matchAll(re)) out.set(m[1], Number(m[2]));
  return out;
}

/** Share of requests the server handled within 1, 2 and 10 ms (its own timing, without the network and the client). */
function serverShare(before: Map<string, number>, after: Map<string, number>): string {
  const d = (le: string) => (after.get(le) ?? 0) - (before.get(le) ?? 0);
  const total = d('+Inf');
  if (total === 0) return '-';
  return ['0.001', '0.002', '0.01'].map((le) => `${((d(le) / total) * 100).toFixed(1)}%`).join(' / ');
}

/** Upper bound of the server's own p99 from its histogram buckets (e.g. `≤ 1 ms`). */
function serverP99(before: Map<string, number>, after: Map<string, number>): string {
  const total = (after.get('+Inf') ?? 0) - (before.get('+Inf') ?? 0);
  if (total === 0) return '-';
  const les = [...after.keys()].filter((k) => k !== '+Inf').sort((a, b) => Number(a) - Number(b));
  for (const le of les) if ((after.get(le) ?? 0) - (before.get(le) ?? 0) >= 0.99 * total) return `≤ ${Number(le) * 1000} ms`;
  return '> 10 s';
}

/** Rows of the calibration table: `/spin/:us` against the bare route, measured one after the other. */
async function calibrate(url: string, s: Scenario): Promise<string[]> {
  const rows: string[] = [];
  for (const us of [0, 10, 20, 30]) {
    const spin = await load(url, `/spin/${us}/${s.name}`, s);
    const bare = await load(url, `/bare/${s.name}`, s);
    rows.push(`| body read + ${us} µs | ${f0(spin.rps)} | ${f0(bare.rps)} | ${((spin.rps / bare.rps) * 100).toFixed(0)}% |`);
  }
  return rows;
}

const f2 = (n: number) => (Number.isFinite(n) ? n.toFixed(2) : '-');
const f0 = (n: number) => Math.round(n).toLocaleString('en-US');

/** Run the benchmark; returns the Markdown section. */
export async function run(): Promise<string> {
  const lines: string[] = [];
  const verdicts: string[] = [];
  const calibration: string[] = [];
  let redis: RedisProcess | undefined;
  const dirs: string[] = [];
  try {
    redis = await startRedisServer();
    const stores = [
      { name: 'sqlite', config: '{type: sqlite}' },
      { name: 'redis', config: `{type: redis, url: "redis://127.0.0.1:${redis.port}"}` },
    ];
    lines.push('## Serving (online features over HTTP)', '');
    lines.push(`autocannon in the bench process, server in a child process (Hono on @hono/node-server, quiet, auth off on loopback); ${ENTITIES.toLocaleString('en-US')} entities, float64 features; ${DURATION_S} s per run, ${CONNECTIONS} connections for throughput, 10 connections at a fixed rate. Latency = per-response time measured by autocannon, percentiles over all responses.`, '');
    lines.push(`Load average of the machine when the run started: ${loadavg().map((x) => x.toFixed(1)).join(', ')} (2 cores shared with other work; client-side latency includes queueing behind it). "server ≤1 / ≤2 / ≤10 ms" is the share of requests the server itself handled within that time (its request histogram, no network or client) for the fixed-rate runs.`, '');
    lines.push('| store | request | mode | req/s | p50 ms | p99 ms | bare route (req/s, or latency at the same rate) | vs bare | server ≤1 / ≤2 / ≤10 ms | response bytes |');
    lines.push('|---|---|---|---:|---:|---:|---:|---:|---:|---:|');
    for (const store of stores) {
      const dir = await createProject(store.config);
      dirs.push(dir);
      const { url, child } = await startChild(dir);
      try {
        // Warm up: JIT, connections, store caches.
        for (const s of SCENARIOS) await load(url, '/v1/online-features', s, { duration: 2 });
        for (const s of SCENARIOS) {
          const real = await load(url, '/v1/online-features', s);
          const bare = await load(url, `/bare/${s.name}`, s);
          const ratio = real.rps / bare.rps;
          lines.push(`| ${store.name} | ${s.title} | max throughput | ${f0(real.rps)} | ${f2(real.p50)} | ${f2(real.p99)} | ${f0(bare.rps)} | ${(ratio * 100).toFixed(0)}% | | ${real.bytes} |`);
          if (real.errors > 0) verdicts.push(`${store.name} ${s.title}: ${real.errors} errors`);
          if (s.entities === 1) verdicts.push(`${store.name} ${s.title}: throughput ${(ratio * 100).toFixed(0)}% of the bare route (target ≥ 60%): ${ratio >= 0.6 ? 'met' : 'NOT met'}`);
        }
        for (const s of SCENARIOS) {
          const rate = s.entities === 1 ? 1000 : 200;
          const before = await serverBuckets(url);
          const fixed = await load(url, '/v1/online-features', s, { rate });
          const after = await serverBuckets(url);
          // The same client at the same rate against the bare route: the floor this machine and client set on latency.
          const floor = await load(url, `/bare/${s.name}`, s, { rate });
          const share = serverShare(before, after);
          lines.push(`| ${store.name} | ${s.title} | fixed ${rate} req/s | ${f0(fixed.rps)} | ${f2(fixed.p50)} | ${f2(fixed.p99)} | bare: p50 ${f2(floor.p50)}, p99 ${f2(floor.p99)} | | ${share} | ${fixed.bytes} |`);
          const target = s.entities === 1 ? 2 : 10;
          verdicts.push(`${store.name} ${s.title}: p99 ${f2(fixed.p99)} ms at ${rate} req/s measured by the client (target ≤ ${target} ms): ${fixed.p99 <= target ? 'met' : 'NOT met'}; the bare route at the same rate: p99 ${f2(floor.p99)} ms; the server's own p99 ${serverP99(before, after)}`);
          if (fixed.errors > 0) verdicts.push(`${store.name} ${s.title} fixed rate: ${fixed.errors} errors`);
        }
        if (store === stores[0]) calibration.push(...(await calibrate(url, SCENARIOS[0])));
      } finally {
        child.kill('SIGTERM');
        await new Promise((r) => child.once('exit', r));
      }
    }
    lines.push('', `Calibration (${SCENARIOS[0].title}, same client and process): the share of the bare route's throughput a route gets that also reads and parses the request body and then does a fixed amount of busy work per request. It shows how much work per request the 60% target leaves on this machine: the bare route's figure is the load generator's own limit (the server waits for it), and the server's response write costs more once the client waits for the server.`, '');
    lines.push('| busy work per request | req/s | bare route req/s | vs bare |', '|---:|---:|---:|---:|', ...calibration);
    lines.push('', 'Targets (Feast reference: Go + Redis 1×50 p99 2.6 ms, 100×50 p99 27.5 ms; Java 1×50 p99 1.1 ms):', '');
    for (const v of verdicts) lines.push(`- ${v}`);
    return lines.join('\n');
  } finally {
    await redis?.stop();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  console.log(await run());
}
