/**
 * Materialization throughput of the flights example into each online store:
 * rows read per second (DuckDB: window read + latest row per entity) and entities
 * written per second (online store). Views: the example's airport_hourly and
 * route_daily over all six months, and flight_outcome made online (3M flights,
 * one entity each: the store-write stress case). Guards off: this measures
 * materialization itself (the guards benchmark measures their overhead).
 * A redis-server is started on a free loopback port and stopped afterwards.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadDefinitions } from '../../src/definitions/loader.js';
import { materialize } from '../../src/materialize/materialize.js';
import type { MaterializeResult } from '../../src/materialize/types.js';
import { openProject } from '../../src/project.js';
import { copyFlightsProject } from '../helpers/flights.js';
import { startRedisServer } from '../setup/redis.js';

const VIEWS = ['airport_hourly', 'route_daily', 'flight_outcome'];

function setStore(dir: string, store: string): void {
  const file = join(dir, 'featureguard.yaml');
  const text = readFileSync(file, 'utf8').replace(/online_store:\n(  .*\n)+/, `online_store:\n${store}\n`);
  writeFileSync(file, text);
}

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

export async function run(): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'fg-bench-mat-'));
  const redis = await startRedisServer();
  const lines: string[] = [];
  try {
    await copyFlightsProject(dir, { data: 'link' });
    const outcome = join(dir, 'features', 'flight_outcome.yaml');
    writeFileSync(outcome, readFileSync(outcome, 'utf8').replace('online: false', 'online: true'));
    const stores = [
      { name: 'sqlite', yaml: '  type: sqlite' },
      { name: 'redis', yaml: `  type: redis\n  url: redis://127.0.0.1:${redis.port}` },
    ];
    const rows: { store: string; r: MaterializeResult }[] = [];
    for (const store of stores) {
      setStore(dir, store.yaml);
      const project = openProject(dir);
      try {
        project.registry.apply(loadDefinitions(dir, project.config));
        for (const view of VIEWS) {
          const [r] = await materialize(project, { start: '2001-01-01', end: '2001-07-02', views: [view], guards: false, batchSize: 8192 });
          if (r.status !== 'success') throw new Error(`${store.name}/${view}: ${r.status} ${r.message}`);
          rows.push({ store: store.name, r });
        }
      } finally {
        await project.close();
      }
    }
    lines.push('## Materialization throughput', '');
    lines.push('Flights example, window 2001-01-01 .. 2001-07-02 (everything), guards off, one run per view, fresh stores.', '');
    lines.push('| store | view | rows read | entities written | seconds | rows read/s | entities written/s |');
    lines.push('|---|---|---:|---:|---:|---:|---:|');
    for (const { store, r } of rows) {
      const s = r.durationMs / 1000;
      lines.push(`| ${store} | ${r.view} | ${fmt(r.rowsRead)} | ${fmt(r.entitiesWritten)} | ${s.toFixed(2)} | ${fmt(r.rowsRead / s)} | ${fmt(r.entitiesWritten / s)} |`);
    }
  } finally {
    await redis.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  return lines.join('\n');
}
