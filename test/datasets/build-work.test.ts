/**
 * The work a dataset build does beyond the join (issue #3's dataset benchmark): a build with the guards off joins
 * no hidden columns (only the guards read them) yet writes the same bytes.
 * Every statement the builds run is recorded from DuckDB's connection (the real engine runs them).
 */
import { DuckDBConnection } from '@duckdb/node-api';
import type { Table } from 'apache-arrow';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getHistoricalFeatures, type HistoricalFeaturesRequest } from '../../src/offline/historical.js';
import type { Project } from '../../src/project.js';
import { makeTinyProject } from './tiny-project.js';

let dir: string;
let project: Project;
const statements: string[] = [];
type Method = (this: DuckDBConnection, sql: string, ...rest: unknown[]) => Promise<unknown>;
const proto = DuckDBConnection.prototype as unknown as Record<'run' | 'runAndReadAll' | 'stream', Method>;
const inside = new WeakSet<DuckDBConnection>();
const originals = { run: proto.run, runAndReadAll: proto.runAndReadAll, stream: proto.stream };

beforeAll(async () => {
  ({ dir, project } = await makeTinyProject());
  for (const name of ['run', 'runAndReadAll', 'stream'] as const) {
    const original = originals[name];
    proto[name] = async function (this: DuckDBConnection, sql: string, ...rest: unknown[]) {
      // `runAndReadAll` calls `run`: a statement is recorded once, by the outermost call.
      if (inside.has(this)) return original.call(this, sql, ...rest);
      statements.push(sql);
      inside.add(this);
      try {
        return await original.call(this, sql, ...rest);
      } finally {
        inside.delete(this);
      }
    };
  }
});
afterAll(async () => {
  Object.assign(proto, originals);
  await project?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const at = (t: string) => `2024-01-01T${t}Z`;
const ROWS = [
  { txn_id: 100, user_id: 1, merchant: 'acme', event_timestamp: at('01:30:00') },
  { txn_id: 101, user_id: 1, merchant: 'bolt', event_timestamp: at('02:30:00') },
  { txn_id: 102, user_id: 2, merchant: 'acme', event_timestamp: at('05:00:00') },
  { txn_id: 101, user_id: 1, merchant: 'bolt', event_timestamp: at('02:30:00') },
];

/** A build and the statements it ran. */
async function build(req: Omit<HistoricalFeaturesRequest, 'baseDir'>) {
  statements.length = 0;
  const res = await getHistoricalFeatures(project, { baseDir: dir, ...req });
  return { res, sql: [...statements] };
}

const joinStatement = (sql: readonly string[]) => sql.filter((s) => /^CREATE TEMP TABLE "__fg_ds_\w+" AS WITH/.test(s));

describe('the work of a dataset build', () => {
  it('with the guards off, joins no hidden columns and writes the same bytes as with them on', async () => {
    const on = await build({ entities: ROWS, service: 'fraud_model', out: join(dir, 'on.parquet') });
    const off = await build({ entities: ROWS, service: 'fraud_model', out: join(dir, 'off.parquet'), disableGuards: true });
    expect(on.res.status).not.toBe('blocked');
    expect(joinStatement(on.sql)).toHaveLength(1);
    expect(joinStatement(off.sql)).toHaveLength(1);
    // The guards' leakage check reads the chosen rows' times: only a guarded build carries them.
    expect(joinStatement(on.sql)[0]).toMatch(/__fg_v0_user_stats__event_ts/);
    expect(joinStatement(off.sql)[0]).not.toMatch(/__fg_v\d+_\w+__(event|created)_ts/);
    expect(readFileSync(join(dir, 'off.parquet')).equals(readFileSync(join(dir, 'on.parquet')))).toBe(true);
    expect(off.res.manifest.rows).toBe(4);
    expect(off.res.outputs[0].sha256).toBe(on.res.outputs[0].sha256);
  });

  it('with the guards off, gives the same rows in memory and the same split as with them on', async () => {
    const req = { entities: ROWS, service: 'fraud_model', testFraction: 0.5 } as const;
    const on = await build(req);
    const off = await build({ ...req, disableGuards: true });
    const rows = (t: Table | null | undefined) => t!.toArray().map((r) => JSON.stringify(r.toJSON(), (_, v) => (typeof v === 'bigint' ? v.toString() : v)));
    expect(rows(off.res.table)).toEqual(rows(on.res.table));
    expect(rows(off.res.table)).toHaveLength(4);
    expect(rows(off.res.split?.train)).toEqual(rows(on.res.split?.train));
    expect(rows(off.res.split?.test)).toEqual(rows(on.res.split?.test));
    expect(off.res.table!.schema.fields.map((f) => f.name)).toEqual(on.res.table!.schema.fields.map((f) => f.name));
    expect(off.res.manifest.outputs).toEqual(on.res.manifest.outputs);
  });
});
