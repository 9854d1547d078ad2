/**
 * Break the flights example's `airport_hourly.parquet` on purpose, the way real
 * upstream data breaks, to watch the guards stop a materialization
 * (`guards-demo.sh` and its test use it). The first call keeps the original as
 * `airport_hourly.parquet.orig`; `restore` puts it back.
 *
 *   npx tsx break-source.ts DATA_DIR percent --from 2001-06-18 --to 2001-06-25
 *   npx tsx break-source.ts DATA_DIR tamper --day 2001-06-20 --origin ATL
 *   npx tsx break-source.ts DATA_DIR restore
 *
 * - `percent`: an upstream job "upgrade" starts writing `share_delayed` as a
 *   percentage (0-100) instead of a share (0-1) for the hours in [from, to);
 *   the view declares `min: 0, max: 1`, so the schema guard (policy block) fails.
 * - `tamper`: someone quietly rewrites one day of already-materialized history
 *   at one airport (delays zeroed, `share_delayed` 0); the next run re-checks
 *   the checksums of the last 7 days' partitions and the provenance guard
 *   (tampering: block) fails, naming the day.
 */
import { DuckDBInstance } from '@duckdb/node-api';
import { copyFileSync, existsSync, renameSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export type BreakMode =
  | { kind: 'percent'; from: string; to: string }
  | { kind: 'tamper'; day: string; origin: string }
  | { kind: 'restore' };

export interface BreakResult {
  file: string;
  /** Rows changed (0 for restore). */
  rowsChanged: number;
}

const q = (s: string) => `'${s.replaceAll("'", "''")}'`;
const ts = (s: string) => `TIMESTAMP ${q(s)}`;

/** Write a broken `airport_hourly.parquet` into `dataDir` (or restore the original). */
export async function breakAirportHourly(dataDir: string, mode: BreakMode): Promise<BreakResult> {
  const file = join(resolve(dataDir), 'airport_hourly.parquet');
  const orig = `${file}.orig`;
  if (mode.kind === 'restore') {
    if (existsSync(orig)) renameSync(orig, file);
    return { file, rowsChanged: 0 };
  }
  if (!existsSync(orig)) copyFileSync(file, orig);
  // Rows are selected by the ORIGINAL hour (original_ts), so the modes name 2001 dates on shifted data too.
  // original_ts is the original hour_end: [from, to) selects the rows a materialization window [from, to) reads.
  const [where, replaced]: [string, Record<string, string>] =
    mode.kind === 'percent'
      ? [`original_ts >= ${ts(mode.from)} AND original_ts < ${ts(mode.to)}`, { share_delayed: 'share_delayed * 100' }]
      : [
          `origin = ${q(mode.origin)} AND original_ts >= ${ts(mode.day)} AND original_ts < ${ts(mode.day)} + INTERVAL 1 DAY`,
          { mean_delay: 'LEAST(mean_delay, 0)', p90_delay: 'LEAST(p90_delay, 0)', share_delayed: '0::DOUBLE' },
        ];
  const db = await DuckDBInstance.create(':memory:');
  const conn = await db.connect();
  try {
    const changed = Number((await conn.runAndReadAll(`SELECT count(*)::INTEGER AS n FROM read_parquet(${q(orig)}) WHERE ${where}`)).getRowObjects()[0]?.n);
    const cols = (await conn.runAndReadAll(`DESCRIBE SELECT * FROM read_parquet(${q(orig)})`)).getRowObjects().map((r) => String(r.column_name));
    const select = cols.map((c) => (c in replaced ? `CASE WHEN ${where} THEN ${replaced[c]} ELSE ${c} END AS ${c}` : c)).join(', ');
    const tmp = `${file}.tmp-${process.pid}`;
    await conn.run(`COPY (SELECT ${select} FROM read_parquet(${q(orig)})) TO ${q(tmp)} (FORMAT parquet, COMPRESSION zstd)`);
    renameSync(tmp, file);
    return { file, rowsChanged: changed };
  } finally {
    conn.closeSync();
  }
}

function parseArgs(argv: string[]): { dataDir: string; mode: BreakMode } {
  const [dataDir, kind, ...rest] = argv;
  const opt = (name: string): string => {
    const i = rest.indexOf(`--${name}`);
    const v = i >= 0 ? rest[i + 1] : undefined;
    if (!v) throw new Error(`${kind} needs --${name}`);
    return v;
  };
  if (!dataDir || !kind) throw new Error('usage: break-source.ts DATA_DIR percent --from T --to T | tamper --day D --origin IATA | restore');
  if (kind === 'percent') return { dataDir, mode: { kind, from: opt('from'), to: opt('to') } };
  if (kind === 'tamper') return { dataDir, mode: { kind, day: opt('day'), origin: opt('origin') } };
  if (kind === 'restore') return { dataDir, mode: { kind } };
  throw new Error(`unknown mode '${kind}': percent, tamper or restore`);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    const { dataDir, mode } = parseArgs(process.argv.slice(2));
    const r = await breakAirportHourly(dataDir, mode);
    console.log(mode.kind === 'restore' ? `restored ${r.file}` : `${mode.kind}: changed ${r.rowsChanged} rows of ${r.file}`);
  } catch (e) {
    console.error(`break-source failed: ${e instanceof Error ? e.message : String(e)}`);
    process.exit(1);
  }
}
