/**
 * Problems found when an applied definition is used (a run, not `validate`) name the
 * file and line it was applied from, as load-time problems do; objects applied from
 * code name their registry version. A state database made before origins were kept
 * gains the column, or, read-only, still opens.
 */
import Database from 'better-sqlite3';
import { DuckDBInstance } from '@duckdb/node-api';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openProject } from '../../src/project.js';
import { openSqliteRegistry } from '../../src/registry/sqlite-registry.js';
import { openFeatureStore } from '../../src/sdk/index.js';
import { runCli } from './cli-io.js';

let root: string;
const DEFINITIONS = `kind: entity
name: airport
join_keys: [{name: origin, type: string}]
---
# the source
kind: source
name: delays_source
path: data/delays.parquet
timestamp_field: ts
---
kind: feature_view
name: delays
entities: [airport]
source: delays_source
ttl: 0
online: true
features:
  - {name: delay, type: float64}
`;

async function project(name: string): Promise<string> {
  const dir = join(root, name);
  mkdirSync(join(dir, 'features'), { recursive: true });
  mkdirSync(join(dir, 'data'));
  writeFileSync(join(dir, 'featureguard.yaml'), `project: ${name}\ndefinitions: features\n`);
  writeFileSync(join(dir, 'features', 'delays.yaml'), DEFINITIONS);
  const duck = await (await DuckDBInstance.create(':memory:')).connect();
  await duck.run(`COPY (SELECT 'SEA' AS origin, TIMESTAMP '2024-01-01' AS ts, 1.5::DOUBLE AS delay) TO '${join(dir, 'data', 'delays.parquet')}' (FORMAT parquet)`);
  duck.closeSync();
  return dir;
}

/** The source's file replaced by a link to a file outside the project: a problem found at run time only. */
function linkOut(dir: string): void {
  const outside = join(root, `outside-${Math.random().toString(36).slice(2)}.parquet`);
  writeFileSync(outside, '');
  unlinkSync(join(dir, 'data', 'delays.parquet'));
  symlinkSync(outside, join(dir, 'data', 'delays.parquet'));
}

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'fg-origins-'));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('origins of applied definitions', () => {
  it('a run-time problem of a definition applied from a file names that file and the line of the object', async () => {
    const dir = await project('from_file');
    expect((await runCli(['--project', dir, 'apply'])).code).toBe(0);
    linkOut(dir);
    const r = await runCli(['--project', dir, 'materialize', '--start', '2024-01-01', '--end', '2024-01-02']);
    // The run failed (exit 3), saying why: the source starts on line 6 of features/delays.yaml (its comment on line 5).
    expect(r.code).toBe(3);
    expect(r.out).toContain('delays: failed: features/delays.yaml:6:1 (source delays_source) at /path:');
    expect(r.out).toContain('resolves (through a symbolic link) to a file outside');
    expect(r.out).not.toContain('(code)');
    // describe says where the current version came from.
    expect((await runCli(['--project', dir, 'describe', 'delays_source'])).out).toMatch(/^source delays_source: version 1, applied .* from features\/delays\.yaml:6, hash /);
    expect(JSON.parse((await runCli(['--project', dir, '--json', 'describe', 'delays'])).out).applied_from).toEqual({ file: 'features/delays.yaml', line: 11 });
  });

  it('one applied from code names its registry version', async () => {
    const dir = await project('from_code');
    const store = await openFeatureStore(dir);
    try {
      const { loadDefinitions } = await import('../../src/definitions/loader.js');
      // Plain objects, as a program would build them: no file behind them.
      const defs = loadDefinitions(dir, store.project.config).map((d) => JSON.parse(JSON.stringify(d)) as typeof d);
      await store.apply(defs);
    } finally {
      await store.close();
    }
    linkOut(dir);
    const r = await runCli(['--project', dir, 'materialize', '--start', '2024-01-01', '--end', '2024-01-02']);
    expect(r.code).toBe(3);
    expect(r.out).toContain('delays: failed: registry v1 (source delays_source) at /path:');
    const described = JSON.parse((await runCli(['--project', dir, '--json', 'describe', 'delays_source'])).out);
    expect(described.applied_from).toBeNull();
  });

  it('a registry made before origins were kept gains the column; a read-only one still opens, without origins', async () => {
    const dir = await project('older');
    expect((await runCli(['--project', dir, 'apply'])).code).toBe(0);
    const file = join(dir, '.featureguard', 'state.db');
    // As an earlier version left it: no origin column.
    const db = new Database(file);
    db.exec('ALTER TABLE registry_versions DROP COLUMN origin');
    db.close();
    // Read-only (a reader of an older project): the registry reads without origins.
    const ro = new Database(file, { readonly: true });
    try {
      expect(openSqliteRegistry(ro).current().views.get('delays')?.name).toBe('delays');
    } finally {
      ro.close();
    }
    const p = openProject(dir);
    try {
      expect(p.registry.current().views.get('delays')?.name).toBe('delays');
      expect(p.state.prepare("SELECT count(*) FROM pragma_table_info('registry_versions') WHERE name = 'origin'").pluck().get()).toBe(1);
    } finally {
      await p.close();
    }
    // Versions applied before keep no origin: they name their version.
    linkOut(dir);
    const r = await runCli(['--project', dir, 'materialize', '--start', '2024-01-01', '--end', '2024-01-02']);
    expect(r.out).toContain('delays: failed: registry v1 (source delays_source) at /path:');
  });
});
