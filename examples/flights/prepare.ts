/**
 * Prepare the flights example's sources from real data: `vega-datasets`'
 * `flights-3m.parquet` (US flights, January to June 2001), with DuckDB.
 *
 *   npx tsx prepare.ts [--no-shift] [--force] [--out DIR] [--input FILE]
 *
 * Writes into `data/` (next to this script unless `--out`):
 * - `flights.parquet`: one row per flight: flight_id (row number in a fixed order),
 *   origin, destination, dep_time, delay_minutes, distance, delayed (delay > 15 min);
 * - `airport_hourly.parquet`: per origin airport and hour [h, h+1): departures,
 *   mean_delay, p90_delay, share_delayed, mean_distance;
 * - `route_daily.parquet`: per route (origin, destination) and day: route_departures,
 *   route_mean_delay, route_p90_delay, route_share_delayed, route_distance;
 * - `training_entities.parquet`: flight_id, origin, destination, event_timestamp
 *   (= dep_time), the entity rows for a training dataset;
 * - `prepare.json`: the options, the time offset and row counts.
 *
 * Point in time: a statistic over a window is only known when the window has
 * ended, so each aggregate row is stamped with the END of its window (`hour_end`,
 * `day_end`) and a `computed_at` a few minutes later. Stamping it with the start
 * would let a training row see statistics that include its own flight's delay.
 *
 * By default every timestamp is moved by one whole number of hours so that the
 * data ends at the last completed hour (UTC): ttl, freshness and schedules then
 * behave as in production (the hourly view's newest row is less than an hour
 * old). `--no-shift` keeps the 2001 dates (tests use that). Every file keeps the
 * original timestamp in `original_ts`; `prepare.json` records the offset.
 */
import { DuckDBInstance } from '@duckdb/node-api';
import { existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface PrepareOptions {
  /** Move timestamps so the data ends at the last completed hour (default true). */
  shift?: boolean;
  /** Output folder (default: `data/` beside this script). */
  outDir?: string;
  /** The input Parquet (default: `vega-datasets/data/flights-3m.parquet`, resolved from here or the cwd). */
  input?: string;
  /** Regenerate even when `prepare.json` says the data is up to date. */
  force?: boolean;
  /** Reference "now" for the shift (tests). */
  now?: Date;
}

export interface PrepareResult {
  outDir: string;
  shift: boolean;
  /** Whole hours added to every timestamp (0 without shift). */
  shiftHours: number;
  /** Rows per output file. */
  rows: Record<string, number>;
  /** True when the data was already there and nothing was written. */
  skipped: boolean;
  seconds: number;
}

const FORMAT_VERSION = 2;
const HOUR_MS = 3_600_000;
/** The six flights dated 2001-07-01 00:00 are left out so every day is complete. */
const FIRST_TS = '2001-01-01 00:00:00';
const END_TS = '2001-07-01 00:00:00';
/** Latest timestamp any output holds before shifting: route_daily's last computed_at. */
const LAST_KNOWN_MS = Date.UTC(2001, 6, 1, 0, 15);

const here = dirname(fileURLToPath(import.meta.url));

/** Find `flights-3m.parquet` of the `vega-datasets` package (in a `node_modules` above this script or the cwd). */
export function findFlightsParquet(): string {
  for (const start of [here, process.cwd()]) {
    for (let dir = resolve(start); ; dir = dirname(dir)) {
      const file = join(dir, 'node_modules', 'vega-datasets', 'data', 'flights-3m.parquet');
      if (existsSync(file)) return file;
      if (dirname(dir) === dir) break;
    }
  }
  throw new Error("cannot find vega-datasets/data/flights-3m.parquet: run 'npm install vega-datasets' or pass --input FILE");
}

/**
 * Whole hours that move the 2001 data so that its last timestamp (route_daily's
 * last `computed_at`, 00:15) is at or before `now`: the last hourly window then
 * ends at the last completed hour (or the one before, in the first 15 minutes).
 */
export function shiftHoursFor(now: Date): number {
  return Math.floor((now.getTime() - LAST_KNOWN_MS) / HOUR_MS);
}

const q = (s: string) => `'${s.replaceAll("'", "''")}'`;

/**
 * Prepare the example's Parquet sources (idempotent: skips when up to date).
 *
 * @example
 * await prepareFlightsData({ shift: false, outDir: '/tmp/flights-data' });
 */
export async function prepareFlightsData(options: PrepareOptions = {}): Promise<PrepareResult> {
  const started = Date.now();
  const shift = options.shift ?? true;
  const outDir = resolve(options.outDir ?? join(here, 'data'));
  const input = resolve(options.input ?? findFlightsParquet());
  const shiftHours = shift ? shiftHoursFor(options.now ?? new Date()) : 0;
  const inputStat = statSync(input);
  const settings = { format_version: FORMAT_VERSION, shift, shift_hours: shiftHours, input: { path: input, size: inputStat.size, mtime: inputStat.mtime.toISOString() } };

  const marker = join(outDir, 'prepare.json');
  const names = ['flights', 'training_entities', 'airport_hourly', 'route_daily'];
  if (!options.force && existsSync(marker) && names.every((n) => existsSync(join(outDir, `${n}.parquet`)))) {
    const prev = JSON.parse(readFileSync(marker, 'utf8')) as typeof settings & { rows: Record<string, number> };
    if (JSON.stringify({ ...settings }) === JSON.stringify({ format_version: prev.format_version, shift: prev.shift, shift_hours: prev.shift_hours, input: prev.input })) {
      return { outDir, shift, shiftHours, rows: prev.rows, skipped: true, seconds: (Date.now() - started) / 1000 };
    }
  }
  mkdirSync(outDir, { recursive: true });

  const db = await DuckDBInstance.create(':memory:');
  const conn = await db.connect();
  const rows: Record<string, number> = {};
  try {
    await conn.run("SET TimeZone = 'UTC'");
    const offset = `INTERVAL ${shiftHours} HOUR`;
    // One pass over the input; everything else reads this table.
    await conn.run(`
      CREATE TEMP TABLE f AS
      SELECT row_number() OVER (ORDER BY date, origin, destination, delay, distance) AS flight_id,
             origin, destination, date AS original_ts, date + ${offset} AS dep_time,
             delay AS delay_minutes, distance, delay > 15 AS delayed
      FROM read_parquet(${q(input)})
      WHERE date >= TIMESTAMP ${q(FIRST_TS)} AND date < TIMESTAMP ${q(END_TS)}`);

    const outputs: Record<string, string> = {
      flights: `SELECT flight_id, origin, destination, dep_time, delay_minutes, distance, delayed, original_ts FROM f ORDER BY flight_id`,
      training_entities: `SELECT flight_id, origin, destination, dep_time AS event_timestamp FROM f ORDER BY flight_id`,
      // Window [h, h+1) is known at h+1; computed 5 minutes later.
      airport_hourly: `
        SELECT origin,
               date_trunc('hour', original_ts) + INTERVAL 1 HOUR + ${offset} AS hour_end,
               date_trunc('hour', original_ts) + INTERVAL 1 HOUR + INTERVAL 5 MINUTE + ${offset} AS computed_at,
               count(*)::BIGINT AS departures,
               avg(delay_minutes)::DOUBLE AS mean_delay,
               quantile_cont(delay_minutes, 0.9)::DOUBLE AS p90_delay,
               avg(delayed::INTEGER)::DOUBLE AS share_delayed,
               avg(distance)::DOUBLE AS mean_distance,
               date_trunc('hour', original_ts) + INTERVAL 1 HOUR AS original_ts
        FROM f GROUP BY origin, date_trunc('hour', original_ts) ORDER BY hour_end, origin`,
      // Day [d, d+1) is known at d+1; computed 15 minutes later.
      route_daily: `
        SELECT origin, destination,
               date_trunc('day', original_ts) + INTERVAL 1 DAY + ${offset} AS day_end,
               date_trunc('day', original_ts) + INTERVAL 1 DAY + INTERVAL 15 MINUTE + ${offset} AS computed_at,
               count(*)::BIGINT AS route_departures,
               avg(delay_minutes)::DOUBLE AS route_mean_delay,
               quantile_cont(delay_minutes, 0.9)::DOUBLE AS route_p90_delay,
               avg(delayed::INTEGER)::DOUBLE AS route_share_delayed,
               avg(distance)::DOUBLE AS route_distance,
               date_trunc('day', original_ts) + INTERVAL 1 DAY AS original_ts
        FROM f GROUP BY origin, destination, date_trunc('day', original_ts) ORDER BY day_end, origin, destination`,
    };
    for (const [name, sql] of Object.entries(outputs)) {
      const file = join(outDir, `${name}.parquet`);
      const tmp = `${file}.tmp-${process.pid}`;
      await conn.run(`COPY (${sql}) TO ${q(tmp)} (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 122880)`);
      renameSync(tmp, file);
      const count = await conn.runAndReadAll(`SELECT count(*)::INTEGER AS n FROM read_parquet(${q(file)})`);
      rows[name] = Number(count.getRowObjects()[0]?.n);
    }
  } finally {
    conn.closeSync();
  }
  const seconds = (Date.now() - started) / 1000;
  // Sizes and mtimes let users of a shared copy notice that a file was modified since.
  const files = Object.fromEntries(names.map((n) => {
    const st = statSync(join(outDir, `${n}.parquet`));
    return [`${n}.parquet`, { size: st.size, mtime_ms: Math.floor(st.mtimeMs) }];
  }));
  writeFileSync(marker, `${JSON.stringify({ ...settings, prepared_at: new Date().toISOString(), shift_ms: shiftHours * HOUR_MS, rows, files, seconds }, null, 2)}\n`);
  return { outDir, shift, shiftHours, rows, skipped: false, seconds };
}

function parseArgs(argv: string[]): PrepareOptions {
  const opts: PrepareOptions = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--no-shift') opts.shift = false;
    else if (a === '--shift') opts.shift = true;
    else if (a === '--force') opts.force = true;
    else if (a === '--out') opts.outDir = argv[++i];
    else if (a === '--input') opts.input = argv[++i];
    else if (a === '--help' || a === '-h') {
      console.log('usage: npx tsx prepare.ts [--no-shift] [--force] [--out DIR] [--input flights-3m.parquet]');
      process.exit(0);
    } else throw new Error(`unknown option ${a}`);
  }
  return opts;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    const r = await prepareFlightsData(parseArgs(process.argv.slice(2)));
    const what = r.skipped ? 'up to date' : `prepared in ${r.seconds.toFixed(1)} s`;
    const shifted = r.shift ? `timestamps shifted by ${r.shiftHours} hours, ending ${new Date(LAST_KNOWN_MS - 15 * 60_000 + r.shiftHours * HOUR_MS).toISOString()}` : 'original 2001 timestamps';
    console.log(`flights data ${what} in ${r.outDir} (${shifted})`);
    for (const [name, n] of Object.entries(r.rows)) console.log(`  ${name}.parquet: ${n.toLocaleString('en-US')} rows`);
  } catch (e) {
    console.error(`prepare failed: ${e instanceof Error ? e.message : String(e)}`);
    process.exit(1);
  }
}
