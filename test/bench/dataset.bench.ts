/**
 * Dataset build benchmark: our `getHistoricalFeatures` (to Parquet) against the
 * hand-written DuckDB `ASOF LEFT JOIN` query writing the same Parquet file, in one
 * run on the same data:
 * (a) the flights example: 3M entity rows (every flight) × 2 views (airport_hourly,
 *     route_daily: the delay_model features);
 * (b) synthetic: 1M entity rows × 3 views × 10M feature rows each (DuckDB `range()`).
 * The hand-written query is the minimal one (no dedup of ties, no ttl, no input
 * order, no manifest); ours does all of that plus entity validation, fingerprints
 * and the manifest. Guards are off in the timed comparison (they have their own
 * benchmark); one extra build with guards on is reported for (a).
 * Each side runs five times, alternating (which side goes first swaps each round); the table gives each side's
 * fastest run and their ratio, and the median and range of the five paired ratios (ours / hand of the same round),
 * which a host whose speed drifts within the run moves less. Peak RSS is sampled every 20 ms.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defineEntity, defineFeatureView, defineSource } from '../../src/definitions/define.js';
import { loadDefinitions } from '../../src/definitions/loader.js';
import { openOfflineEngine } from '../../src/offline/engine.js';
import { getHistoricalFeatures, type HistoricalFeaturesRequest } from '../../src/offline/historical.js';
import { openProject, type Project } from '../../src/project.js';
import { copyFlightsProject } from '../helpers/flights.js';

interface Measure { seconds: number; peakRssMiB: number }

async function measure(fn: () => Promise<unknown>): Promise<Measure> {
  (globalThis as { gc?: () => void }).gc?.();
  let peak = process.memoryUsage.rss();
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage.rss());
  }, 20);
  const t0 = performance.now();
  try {
    await fn();
  } finally {
    clearInterval(timer);
  }
  peak = Math.max(peak, process.memoryUsage.rss());
  return { seconds: (performance.now() - t0) / 1000, peakRssMiB: peak / 2 ** 20 };
}

interface Compared { ours: Measure; hand: Measure; paired: number[] }

/** `rounds` rounds of both sides, alternating which goes first: each side's fastest run and every round's ratio. */
async function bestOf(rounds: number, ours: () => Promise<unknown>, hand: () => Promise<unknown>): Promise<Compared> {
  let o: Measure | undefined;
  let h: Measure | undefined;
  const paired: number[] = [];
  for (let i = 0; i < rounds; i++) {
    let hm: Measure;
    let om: Measure;
    if (i % 2 === 0) {
      hm = await measure(hand);
      om = await measure(ours);
    } else {
      om = await measure(ours);
      hm = await measure(hand);
    }
    paired.push(om.seconds / hm.seconds);
    if (!h || hm.seconds < h.seconds) h = hm;
    if (!o || om.seconds < o.seconds) o = om;
  }
  return { ours: o!, hand: h!, paired };
}

/** The middle value of `xs` (the mean of the two middle ones for an even count). */
function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Rounds of each comparison (odd: the paired median is one round's ratio). */
const ROUNDS = 5;

const fmt = (n: number, d = 2) => n.toFixed(d);
const rate = (rows: number, s: number) => `${(rows / s / 1e6).toFixed(2)} M/s`;

function row(name: string, rows: number, r: Compared): string {
  const ratio = r.ours.seconds / r.hand.seconds;
  const paired = `${fmt(median(r.paired))}× (${fmt(Math.min(...r.paired))}–${fmt(Math.max(...r.paired))})`;
  return `| ${name} | ${rows.toLocaleString('en-US')} | ${fmt(r.ours.seconds)} s (${rate(rows, r.ours.seconds)}) | ${fmt(r.hand.seconds)} s (${rate(rows, r.hand.seconds)}) | **${fmt(ratio)}×** | ${paired} | ${fmt(r.ours.peakRssMiB, 0)} / ${fmt(r.hand.peakRssMiB, 0)} MiB |`;
}

async function flights(root: string): Promise<{ line: string; guarded: Measure; rows: number }> {
  const dir = join(root, 'flights');
  await copyFlightsProject(dir, { data: 'link' });
  const project = openProject(dir);
  try {
    project.registry.apply(loadDefinitions(project.root, project.config));
    const d = (f: string) => `'${join(dir, 'data', f)}'`;
    const engine = await openOfflineEngine();
    const rows = Number((await engine.all(`SELECT count(*) AS n FROM read_parquet(${d('training_entities.parquet')})`))[0].n);
    const req: HistoricalFeaturesRequest = { entities: join(dir, 'data', 'training_entities.parquet'), features: ['airport_hourly', 'route_daily'], out: join(root, 'ours-a.parquet'), disableGuards: true };
    const hand = `COPY (
      SELECT e.*, ah.departures, ah.mean_delay, ah.p90_delay, ah.share_delayed, ah.mean_distance,
             rd.route_departures, rd.route_mean_delay, rd.route_p90_delay, rd.route_share_delayed, rd.route_distance
      FROM read_parquet(${d('training_entities.parquet')}) e
      ASOF LEFT JOIN read_parquet(${d('airport_hourly.parquet')}) ah ON e.origin = ah.origin AND e.event_timestamp >= ah.hour_end
      ASOF LEFT JOIN read_parquet(${d('route_daily.parquet')}) rd ON e.origin = rd.origin AND e.destination = rd.destination AND e.event_timestamp >= rd.day_end
    ) TO '${join(root, 'hand-a.parquet')}' (FORMAT parquet, COMPRESSION zstd)`;
    const r = await bestOf(ROUNDS, () => getHistoricalFeatures(project, req), () => engine.run(hand));
    const guarded = await measure(() => getHistoricalFeatures(project, { ...req, disableGuards: false, out: join(root, 'ours-a-guarded.parquet') }));
    return { line: row('(a) flights, 2 views', rows, r), guarded, rows };
  } finally {
    await project.close();
  }
}

async function synthetic(root: string): Promise<string> {
  const dir = join(root, 'synthetic');
  mkdirSync(join(dir, 'data'), { recursive: true });
  writeFileSync(join(dir, 'featureguard.yaml'), 'project: synthetic\n');
  const engine = await openOfflineEngine();
  const KEYS = 1_000_000;
  const FEATURE_ROWS = 10_000_000;
  const ENTITY_ROWS = 1_000_000;
  const base = "TIMESTAMP '2024-01-01'";
  // 10 rows per key and view, at pseudo-random seconds within 100 days.
  for (const v of [1, 2, 3]) {
    await engine.run(`COPY (SELECT (i % ${KEYS})::BIGINT AS k, ${base} + to_seconds((hash(i, ${v}) % 8640000)::BIGINT) AS ts,
        (hash(i, ${v}, 1) % 1000)::DOUBLE / 10 AS f${v}a, (hash(i, ${v}, 2) % 100)::BIGINT AS f${v}b
      FROM range(${FEATURE_ROWS}) r(i)) TO '${join(dir, 'data', `v${v}.parquet`)}' (FORMAT parquet)`);
  }
  await engine.run(`COPY (SELECT (hash(i, 7) % ${KEYS})::BIGINT AS k, ${base} + to_seconds((hash(i, 8) % 8640000)::BIGINT) AS event_timestamp, i AS entity_id
    FROM range(${ENTITY_ROWS}) r(i)) TO '${join(dir, 'data', 'entities.parquet')}' (FORMAT parquet)`);
  const project = openProject(dir);
  try {
    project.registry.apply([
      defineEntity({ name: 'thing', join_keys: [{ name: 'k', type: 'int64' }] }),
      ...[1, 2, 3].flatMap((v) => [
        defineSource({ name: `s${v}`, path: `data/v${v}.parquet`, timestamp_field: 'ts' }),
        defineFeatureView({ name: `v${v}`, entities: ['thing'], source: `s${v}`, ttl: '30d', features: [{ name: `f${v}a`, type: 'float64' }, { name: `f${v}b`, type: 'int64' }] }),
      ]),
    ]);
    const d = (f: string) => `'${join(dir, 'data', f)}'`;
    const hand = `COPY (
      SELECT e.*, v1.f1a, v1.f1b, v2.f2a, v2.f2b, v3.f3a, v3.f3b
      FROM read_parquet(${d('entities.parquet')}) e
      ASOF LEFT JOIN read_parquet(${d('v1.parquet')}) v1 ON e.k = v1.k AND e.event_timestamp >= v1.ts
      ASOF LEFT JOIN read_parquet(${d('v2.parquet')}) v2 ON e.k = v2.k AND e.event_timestamp >= v2.ts
      ASOF LEFT JOIN read_parquet(${d('v3.parquet')}) v3 ON e.k = v3.k AND e.event_timestamp >= v3.ts
    ) TO '${join(root, 'hand-b.parquet')}' (FORMAT parquet, COMPRESSION zstd)`;
    const req: HistoricalFeaturesRequest = { entities: join(dir, 'data', 'entities.parquet'), features: ['v1', 'v2', 'v3'], out: join(root, 'ours-b.parquet'), disableGuards: true };
    const r = await bestOf(ROUNDS, () => getHistoricalFeatures(project, req), () => engine.run(hand));
    return row('(b) synthetic, 3 views × 10M', ENTITY_ROWS, r);
  } finally {
    await project.close();
  }
}

/** Run both scenarios; returns the Markdown section. */
export async function run(): Promise<string> {
  const root = mkdtempSync(join(tmpdir(), 'fg-bench-dataset-'));
  try {
    const a = await flights(root);
    const b = await synthetic(root);
    return [
      '## Dataset builds (point-in-time joins)',
      '',
      `Ours: \`getHistoricalFeatures\` → Parquet (entity validation, dedup of ties, ttl, input order, fingerprints, manifest; guards off). Hand: the minimal DuckDB \`ASOF LEFT JOIN\` query → Parquet. Fastest of ${ROUNDS} runs each, alternating which goes first, and the median (range) of the ${ROUNDS} paired ratios. Target: ours ≤ 1.3× hand; ≥ 1M entity rows/s on (a).`,
      '',
      '| scenario | entity rows | ours | hand-written | ours / hand (fastest) | ours / hand (paired median, range) | peak RSS ours / hand |',
      '|---|---|---|---|---|---|---|',
      a.line,
      b,
      '',
      `With guards on, (a) takes ${fmt(a.guarded.seconds)} s (${rate(a.rows, a.guarded.seconds)}), peak RSS ${fmt(a.guarded.peakRssMiB, 0)} MiB.`,
    ].join('\n');
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}
