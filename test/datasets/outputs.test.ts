/**
 * What a build hands over (a review's findings, each reproduced first): an empty
 * `testFraction` no longer skips the output checks (a build overwrote its view's
 * source file); the manifest fingerprints the entity file as its rows were read,
 * not minutes later; pass-through columns keep the type they were given (an Arrow
 * Float64 of whole numbers became an Int64, a JSON integer beyond ±2^53 passed
 * through as another one); CSV and JSON write every timestamp type and wide decimals as documented.
 */
import { createHash } from 'node:crypto';
import { readFileSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tableFromArrays, Type } from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { FeatureguardError } from '../../src/errors.js';
import { verifyDataset } from '../../src/offline/verify-dataset.js';
import { toOpenLineageRunEvent } from '../../src/runs/lineage.js';
import { entityFileFingerprint } from '../../src/offline/manifest.js';
import { useTinyProject } from './tiny-project.js';

const t = useTinyProject();

const sha = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');
const ENTITIES = [{ user_id: 1, event_timestamp: '2024-01-01T02:30:00Z' }];

describe('output targets', () => {
  it("refuses a view's source file as the output also when splitAt or testFraction is given empty (no split)", async () => {
    const source = join(t.dir, 'data', 'user_stats.parquet');
    const before = sha(source);
    for (const empty of [{ testFraction: '' as unknown as number }, { testFraction: null as unknown as number }, { splitAt: '' }]) {
      const err = await t.failure({ entities: ENTITIES, features: ['user_stats:txn_count'], out: 'data/user_stats.parquet', ...empty });
      expect([err.code, err.message]).toEqual(['bad_output', expect.stringContaining('source')]);
    }
    expect(sha(source)).toBe(before);
  });
});

describe('the entity file in the manifest', () => {
  it('is fingerprinted as its rows were read: a file rewritten during the build is never recorded beside the old rows', async () => {
    const file = join(t.dir, 'swap.csv');
    const original = 'user_id,event_timestamp\n1,2024-01-01T02:30:00Z\n2,2024-01-01T05:30:00Z\n';
    writeFileSync(file, original);
    const originalSha = sha(file);
    let swapped = false;
    let outcome: { manifestSha: string | undefined } | { error: string };
    try {
      const res = await t.build({
        entities: 'swap.csv', features: ['user_stats:txn_count'], out: 'swap-out.parquet',
        onProgress: (e) => {
          // A nightly job regenerates the entity file while the build runs its guards.
          if (e.phase === 'guards' && !swapped) (swapped = true), writeFileSync(file, 'user_id,event_timestamp\n9,2030-01-01T00:00:00Z\n');
        },
      });
      outcome = { manifestSha: (res.manifest.entities.fingerprint as { file?: { sha256: string } }).file?.sha256 };
    } catch (e) {
      outcome = { error: (e as FeatureguardError).code };
    }
    expect(swapped).toBe(true);
    // Either the build noticed (the file changed while it was read), or it recorded the file it read.
    if ('error' in outcome) expect(outcome.error).toBe('entity_input_changed');
    else {
      expect(outcome.manifestSha).toBe(originalSha);
      const verdict = await verifyDataset(t.project, join(t.dir, 'swap-out.parquet.manifest.json'));
      expect(verdict.reproducible).toBe(false);
    }
  });
});

describe('the entity file check', () => {
  it('takes a file unchanged whatever its modification time (Node rounds mtime to the millisecond: a truncated one failed builds at random)', async () => {
    const file = join(t.dir, 'mtime.csv');
    writeFileSync(file, 'user_id,event_timestamp\n1,2024-01-01T02:30:00Z\n');
    for (const fraction of [0.2, 0.5, 0.7, 0.999]) {
      utimesSync(file, 1_700_000_000, 1_700_000_000 + fraction / 1000 + 0.0005);
      const before = statSync(file);
      await expect(entityFileFingerprint(file, before, 1 << 30)).resolves.toMatchObject({ size: before.size });
    }
    const before = statSync(file);
    writeFileSync(file, 'user_id,event_timestamp\n2,2024-01-01T02:30:00Z\n');
    utimesSync(file, 1, 2);
    await expect(entityFileFingerprint(file, before, 1 << 30)).rejects.toMatchObject({ code: 'entity_input_changed' });
  });
});

describe('pass-through columns', () => {
  it("keep an Arrow column's declared type: a Float64 of whole numbers stays a DOUBLE, 1e19 included", async () => {
    const table = tableFromArrays({
      user_id: [1, 1],
      event_timestamp: ['2024-01-01T02:30:00Z', '2024-01-01T03:30:00Z'],
      weight: Float64Array.from([1, 1e19]),
      small: Float32Array.from([2, 3]),
    });
    const res = await t.build({ entities: { kind: 'arrow', table }, features: ['user_stats:txn_count'] });
    const types = Object.fromEntries(res.table!.schema.fields.map((f) => [f.name, f.type.typeId]));
    expect([types.weight, types.small]).toEqual([Type.Float, Type.Float]);
    expect(res.table!.getChild('weight')!.toArray()).toEqual(Float64Array.from([1, 1e19]));
    expect(res.manifest.columns.find((c) => c.name === 'weight')?.type).toBe('DOUBLE');
  });

  it('refuse a JSON integer beyond ±2^53 (it lost digits already); as a string it passes through exactly', async () => {
    const err = await t.failure({ entities: [{ ...ENTITIES[0], other_id: 9007199254740993 }], features: ['user_stats:txn_count'] });
    expect([err.code, err.message]).toEqual(['bad_entity_value', expect.stringContaining("'other_id' holds 9007199254740992 in row 0 (counting from 0), a whole number beyond ±2^53")]);
    const ok = await t.build({ entities: [{ ...ENTITIES[0], other_id: '9007199254740993' }], features: ['user_stats:txn_count'] });
    expect(ok.table!.get(0)!.toJSON().other_id).toBe('9007199254740993');
  });
});

describe('CSV and JSON outputs', () => {
  it('write seconds, milliseconds and nanoseconds timestamps as ISO 8601 UTC, and a DECIMAL(38,0) in JSON as text', async () => {
    const sql = "SELECT 1::BIGINT AS user_id, TIMESTAMP '2024-01-01 02:30:00' AS event_timestamp, TIMESTAMP_NS '2020-01-01 00:00:00.123456789' AS ns, " +
      "TIMESTAMP_S '2020-01-01 00:00:01' AS s, TIMESTAMP_MS '2020-01-01 00:00:01.5' AS ms, 12345678901234567890123::DECIMAL(38,0) AS big";
    await t.build({ entities: { kind: 'sql', sql }, features: ['user_stats:txn_count'], out: 'odd.csv' });
    const [header, line] = readFileSync(join(t.dir, 'odd.csv'), 'utf8').trim().split('\n');
    const csv = Object.fromEntries(header.split(',').map((h, i) => [h, line.split(',')[i]]));
    expect([csv.ns, csv.s, csv.ms]).toEqual(['2020-01-01T00:00:00.123456Z', '2020-01-01T00:00:01.000000Z', '2020-01-01T00:00:01.500000Z']);
    await t.build({ entities: { kind: 'sql', sql }, features: ['user_stats:txn_count'], out: 'odd.json' });
    const [json] = JSON.parse(readFileSync(join(t.dir, 'odd.json'), 'utf8')) as Record<string, unknown>[];
    expect([json.ns, json.s, json.big]).toEqual(['2020-01-01T00:00:00.123456Z', '2020-01-01T00:00:01.000000Z', '12345678901234567890123']);
  });
});

describe('timestamps in lists passed through to JSON', () => {
  it("are ISO 8601 UTC with Z like a top-level timestamp, at any depth and of any unit (DuckDB wrote '2001-01-01 00:00:00.000001')", async () => {
    const sql = "SELECT 1::BIGINT AS user_id, TIMESTAMP '2024-01-01 02:30:00' AS event_timestamp, [TIMESTAMP '2001-01-01 00:00:00.000001', NULL, 'infinity'] AS l, " +
      "[[TIMESTAMP_NS '2020-01-01 00:00:00.123456789']] AS ll, [TIMESTAMPTZ '2020-01-01 01:00:00+01'] AS ltz, [TIMESTAMP_S '2020-01-01 00:00:01'] AS ls";
    await t.build({ entities: { kind: 'sql', sql }, features: ['user_stats:txn_count'], out: 'lists.json' });
    const [json] = JSON.parse(readFileSync(join(t.dir, 'lists.json'), 'utf8')) as Record<string, unknown>[];
    expect([json.event_timestamp, json.l, json.ll, json.ltz, json.ls]).toEqual([
      '2024-01-01T02:30:00.000000Z', ['2001-01-01T00:00:00.000001Z', null, 'infinity'], [['2020-01-01T00:00:00.123456Z']], ['2020-01-01T00:00:00.000000Z'], ['2020-01-01T00:00:01.000000Z'],
    ]);
  });
});

describe('128-bit integers passed through', () => {
  it('stay exact: JSON writes a UHUGEINT from 2^127 up as text (the build failed), Parquet writes HUGEINT and UHUGEINT as text (it wrote DOUBLE)', async () => {
    const sql = "SELECT 1::BIGINT AS user_id, TIMESTAMP '2024-01-01 02:30:00' AS event_timestamp, md5_number('abc') AS u, " +
      "'-170141183460469231731687303715884105728'::HUGEINT AS h, 7::UHUGEINT AS small, [md5_number('abc'), 1::UHUGEINT] AS us, 18446744073709551615::UBIGINT AS u64";
    const exact = '152195979970564155685860391459828531600';
    await t.build({ entities: { kind: 'sql', sql }, features: ['user_stats:txn_count'], out: 'wide.json' });
    const [json] = JSON.parse(readFileSync(join(t.dir, 'wide.json'), 'utf8')) as Record<string, unknown>[];
    expect([json.u, json.h, json.small, json.us, json.u64]).toEqual([exact, '-170141183460469231731687303715884105728', 7, [exact, 1], '18446744073709551615']);
    const res = await t.build({ entities: { kind: 'sql', sql }, features: ['user_stats:txn_count'], out: 'wide.parquet' });
    expect(res.status).not.toBe('blocked');
    const engine = await (await import('../../src/offline/engine.js')).openOfflineEngine();
    const rows = await engine.all(`SELECT u, typeof(u) AS t, h, us, u64::VARCHAR AS u64 FROM read_parquet('${join(t.dir, 'wide.parquet')}')`);
    expect(rows).toEqual([{ u: exact, t: 'VARCHAR', h: '-170141183460469231731687303715884105728', us: [exact, '1'], u64: '18446744073709551615' }]);
  });
});

describe('a service build whose rows have no label yet', () => {
  it('skips target leakage instead of blocking on an error (a README audit finding: a TypeError blocked the build)', async () => {
    // Transactions whose outcome is not known (no label row joins): a scoring set.
    const entities = [1, 2, 3].map((i) => ({ user_id: 1, merchant: 'acme', txn_id: 900 + i, event_timestamp: `2024-01-01T0${i}:30:00Z` }));
    for (const rows of [entities, []]) {
      const res = await t.build({ entities: rows.length ? rows : { kind: 'sql', sql: "SELECT 1::BIGINT AS user_id, 'acme' AS merchant, 1::BIGINT AS txn_id, TIMESTAMP '2024-01-01' AS event_timestamp WHERE false" }, service: 'fraud_model' });
      const leakage = res.checks.results.filter((r) => r.check === 'leakage');
      expect(leakage.filter((r) => r.status === 'error'), JSON.stringify(leakage)).toEqual([]);
      expect(res.status, JSON.stringify(res.checks.results.filter((r) => r.status === 'fail' || r.status === 'error'))).not.toBe('blocked');
      expect(leakage.filter((r) => r.method === 'target').map((r) => r.status)).toContain('skipped');
    }
  });
});

describe('a source whose files lack a declared column', () => {
  it('fails naming the column, not with DuckDB\'s "referenced before it is defined" (a CLI review finding)', async () => {
    writeFileSync(join(t.dir, 'data', 'nokey.csv'), 'ts,score\n2024-01-01T01:00:00Z,1\n');
    const { defineFeatureView, defineSource } = await import('../../src/definitions/define.js');
    const { definitions } = await import('./tiny-project.js');
    t.project.registry.apply([
      ...definitions,
      defineSource({ name: 'nokey_src', path: 'data/nokey.csv', timestamp_field: 'ts' }),
      defineFeatureView({ name: 'nokey', entities: ['user'], source: 'nokey_src', features: [{ name: 'score', type: 'int64' }] }),
    ]);
    const err = await t.failure({ entities: ENTITIES, features: ['nokey:score'] });
    expect([err.code, err.message]).toEqual(['source_unreadable', expect.stringContaining("column 'user_id' is not in the source's files")]);
  });
});

describe('a compressed output name (.gz, .zst)', () => {
  it('compresses CSV and JSON as the name says (they were plain text under a .gz name), and refuses Parquet and Arrow', async () => {
    const engine = await (await import('../../src/offline/engine.js')).openOfflineEngine();
    for (const [out, format, magic, read] of [
      ['c.csv.gz', undefined, '1f8b', 'read_csv'], ['c.json.zst', undefined, '28b52ffd', 'read_json'], ['c.gz', 'csv', '1f8b', 'read_csv'],
    ] as const) {
      await t.build({ entities: ENTITIES, features: ['user_stats:txn_count'], out, format });
      expect(readFileSync(join(t.dir, out)).subarray(0, magic.length / 2).toString('hex'), out).toBe(magic);
      expect(await engine.all(`SELECT user_id::INTEGER AS user_id FROM ${read}('${join(t.dir, out)}')`), out).toEqual([{ user_id: 1 }]);
    }
    // A split keeps the whole extension: c.train.csv.gz, not c.csv.train.gz.
    const split = await t.build({ entities: [...ENTITIES, { user_id: 1, event_timestamp: '2024-01-01T03:30:00Z' }], features: ['user_stats:txn_count'], out: 's.csv.gz', splitAt: '2024-01-01T03:00:00Z' });
    expect(split.outputs.map((o) => o.path)).toEqual([join(t.dir, 's.train.csv.gz'), join(t.dir, 's.test.csv.gz')]);
    expect(readFileSync(join(t.dir, 's.test.csv.gz')).subarray(0, 2).toString('hex')).toBe('1f8b');
    for (const [out, format] of [['p.parquet.gz', undefined], ['a.arrow.zst', undefined], ['x.gz', 'parquet'], ['c.csv.bz2', undefined]] as const) {
      const err = await t.failure({ entities: ENTITIES, features: ['user_stats:txn_count'], out, format });
      expect([err.code, err.message], out).toEqual(['bad_format', expect.stringContaining(out.slice(out.lastIndexOf('.')))]);
    }
  });
});

describe("a split build's run lineage", () => {
  it('names the test part beside the train part (lineage.other_outputs; it named the train file alone)', async () => {
    const entities = [...ENTITIES, { user_id: 1, event_timestamp: '2024-01-01T03:30:00Z' }];
    const res = await t.build({ entities, features: ['user_stats:txn_count'], out: 'lineage.parquet', splitAt: '2024-01-01T03:00:00Z' });
    expect(t.project.runs.get(res.run.id).lineage).toMatchObject({
      output: { kind: 'dataset:parquet', uri: `file://${join(t.dir, 'lineage.train.parquet')}`, rows: 1 },
      other_outputs: [{ kind: 'dataset:parquet', uri: `file://${join(t.dir, 'lineage.test.parquet')}`, rows: 1 }],
    });
    // OpenLineage: each file with its own row count (the train part was credited with both parts' rows).
    const event = toOpenLineageRunEvent(t.project.runs.get(res.run.id), []);
    expect(event.outputs.map((o) => [o.name, (o.outputFacets?.outputStatistics as { rowCount?: number } | undefined)?.rowCount])).toEqual([
      [join(t.dir, 'lineage.train.parquet'), 1],
      [join(t.dir, 'lineage.test.parquet'), 1],
    ]);
    // One file: one output, as before.
    const one = await t.build({ entities, features: ['user_stats:txn_count'], out: 'lineage.parquet' });
    expect(t.project.runs.get(one.run.id).lineage?.other_outputs).toBeUndefined();
  });
});
