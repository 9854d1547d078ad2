/**
 * Rolling back a definition: `describe NAME@N --definition` prints version N's definition alone, as YAML a
 * definitions file takes; pasted back and applied, it makes a new version with version N's hash, which the
 * versions list marks `same as vN`.
 */
import { DuckDBInstance } from '@duckdb/node-api';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { openProject } from '../../src/project.js';
import { runCli } from './cli-io.js';

let root: string;
let dir: string;
const cli = (...argv: string[]) => runCli(['--project', dir, ...argv]);

const ENTITY_AND_SOURCE = `kind: entity
name: airport
join_keys: [{name: origin, type: string}]
---
kind: source
name: delays_source
path: data/delays.parquet
timestamp_field: ts
`;
const view = (ttl: string, schedule: string) => `---
# a comment the file has, not the registry
kind: feature_view
name: delays
description: "Delays: per airport"
entities: [airport]
source: delays_source
ttl: ${ttl}
online: true
schedule: "${schedule}"
tags: {team: ops}
features:
  - {name: delay, type: float64, min: 0, description: "mean delay, minutes"}
  - {name: n, type: int64}
`;
const writeDefinitions = (text: string) => writeFileSync(join(dir, 'features', 'defs.yaml'), text);

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'fg-describe-rollback-'));
  dir = join(root, 'p');
  mkdirSync(join(dir, 'features'), { recursive: true });
  mkdirSync(join(dir, 'data'));
  writeFileSync(join(dir, 'featureguard.yaml'), 'project: p\ndefinitions: features\n');
  const duck = await (await DuckDBInstance.create(':memory:')).connect();
  await duck.run(`COPY (SELECT 'SEA' AS origin, TIMESTAMP '2024-01-01' AS ts, 1.5::DOUBLE AS delay, 3::BIGINT AS n) TO '${join(dir, 'data', 'delays.parquet')}' (FORMAT parquet)`);
  duck.closeSync();
  writeDefinitions(ENTITY_AND_SOURCE + view('6h', '30 0 * * *'));
  expect((await cli('apply')).code).toBe(0);
  writeDefinitions(ENTITY_AND_SOURCE + view('12h', '*/2 * * * *'));
  expect((await cli('apply')).code).toBe(0);
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('rolling back with describe NAME@N --definition', () => {
  it("prints version N's definition alone; pasted back it is a new version with version N's hash, marked same as vN", async () => {
    const v1 = JSON.parse((await cli('--json', 'describe', 'delays@1')).out) as { hash: string; definition: object };
    const printed = await cli('describe', 'delays@1', '--definition');
    expect(printed.code).toBe(0);
    // Only the definition: no header line, no versions list; YAML equal to the recorded definition.
    expect(printed.out).toMatch(/^kind: feature_view\nname: delays\n/);
    expect(printed.out).not.toContain('Versions');
    expect(parse(printed.out)).toEqual(v1.definition);

    // The round trip: the file's view replaced by what was printed, applied, gives version 1's hash again.
    writeDefinitions(`${ENTITY_AND_SOURCE}---\n${printed.out}`);
    const plan = await cli('plan');
    expect(plan.out).toContain('/ttl: "12h" -> "6h"');
    expect((await cli('apply')).code).toBe(0);
    const now = JSON.parse((await cli('--json', 'describe', 'delays')).out) as { version: number; hash: string; versions: { version: number; same_as: number | null }[] };
    expect([now.version, now.hash]).toEqual([3, v1.hash]);
    expect(now.versions.map((v) => v.same_as)).toEqual([null, null, 1]);
    const text = (await cli('describe', 'delays')).out;
    expect(text).toMatch(/\n {2}v3 {2}\S+ \S+ {2}[0-9a-f]{12} {2}\(same as v1\)\n?/);
    expect(text).not.toMatch(/v2 .*same as/);

    // --json --definition: the definition object alone; a removal has none to print.
    expect(JSON.parse((await cli('--json', 'describe', 'delays@2', '--definition')).out)).toMatchObject({ kind: 'feature_view', name: 'delays', ttl: '12h' });
    // The view removed (through the registry: what the CLI asks before a removal is not this test's).
    const project = openProject(dir);
    try {
      const set = project.registry.current();
      project.registry.apply([...set.entities.values(), ...set.sources.values()]);
    } finally {
      await project.close();
    }
    const removed = await cli('describe', 'delays', '--definition');
    expect([removed.code, removed.err]).toEqual([2, expect.stringContaining("version 4 removes feature_view 'delays': give its last definition, 'featureguard describe delays@3 --definition'")]);
  });
});
