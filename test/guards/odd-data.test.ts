/**
 * Guard results on odd but legal data (a review's findings, each reproduced
 * first): int64 classes beyond ±2^53, NaN and ±Infinity inside float lists, a
 * 0/1 float label with a few NaN allowed, `check --dataset` on the CSV and JSON
 * files a build writes and on a file that lacks a feature, NaN in a pushed
 * Parquet file. (Normed Wasserstein at 1e200 is a property in
 * src/stats/properties.test.ts, freshness of TIMESTAMPTZ text one in
 * src/guards/timestamp-text.test.ts.)
 */
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { checkDataset } from '../../src/guards/check-run.js';
import { getHistoricalFeatures } from '../../src/offline/historical.js';
import { literal } from '../../src/offline/engine.js';
import { readRowsFile } from '../../src/serving/push-file.js';
import { guardBench, pick, type BenchOptions, type GuardBench } from './helpers.js';

let bench: GuardBench | undefined;
afterEach(async () => {
  await bench?.close();
  bench = undefined;
});
const open = async (o: BenchOptions) => (bench = await guardBench(o));

/** Source rows: 3 airports hourly over January 2024, with `extra` columns (SQL over the row number i). */
const rows = (extra: string) => `SELECT ['SEA','JFK','LAX'][1 + (i % 3)] AS airport, TIMESTAMP '2024-01-01' + INTERVAL (i) HOUR AS ts,
  TIMESTAMP '2024-01-01' + INTERVAL (i) HOUR AS created, ${extra} FROM range(24 * 31) r(i)`;

describe('class balance', () => {
  it('an int64 label whose classes lie beyond ±2^53 keeps its classes: none vanished', async () => {
    const b = await open({ role: 'label', features: [{ name: 'y', type: 'int64' }] });
    await b.writeSource(rows("CASE WHEN i % 2 = 0 THEN 9007199254740993 ELSE 9007199254740995 END::BIGINT AS y"));
    await b.runWindow('2024-01-01', '2024-01-10');
    const g = await b.runWindow('2024-01-10', '2024-01-20');
    const [r] = pick(g, 'class_imbalance', 'imbalance', 'y');
    expect([r.status, r.message]).toEqual(['pass', expect.not.stringContaining('vanished')]);
  });

  it('a 0/1 float label with a few NaN (allow_nan) is a label of classes; NaN counts as missing, as NULL does', async () => {
    const b = await open({ role: 'label', features: [{ name: 'y', type: 'float64', allow_nan: true }] });
    await b.writeSource(rows("CASE WHEN i % 50 = 0 THEN 'nan'::DOUBLE WHEN i % 4 = 0 THEN 1.0 ELSE 0.0 END AS y"));
    await b.runWindow('2024-01-01', '2024-01-10');
    const g = await b.runWindow('2024-01-10', '2024-01-20');
    const [r] = pick(g, 'class_imbalance', 'imbalance', 'y');
    expect(r.status).not.toBe('skipped');
    expect(Object.keys((r.details as { counts: Record<string, number> }).counts).sort()).toEqual(['0', '1']);
  });
});

describe('NaN and ±Infinity inside float lists', () => {
  it('fail the nan check unless the feature allows them', async () => {
    for (const allow of [false, true]) {
      const b = await open({ features: [{ name: 'emb', type: 'float64[]', ...(allow ? { allow_nan: true } : {}) }] });
      await b.writeSource(rows("CASE WHEN i % 10 = 0 THEN [1.0, 'nan'::DOUBLE] WHEN i % 10 = 1 THEN ['-inf'::DOUBLE] ELSE [1.0, 2.0] END AS emb"));
      const g = await b.runWindow('2024-01-01', '2024-01-11');
      const [r] = pick(g, 'schema', 'nan', 'emb');
      expect([r.status, r.value, r.message], String(allow)).toEqual([allow ? 'pass' : 'fail', 48, expect.stringMatching(/^48 row\(s\) of emb hold NaN or Inf elements/)]);
      await b.close();
      bench = undefined;
    }
  });
});

describe('a float feature that turns NaN (allow_nan)', () => {
  it('counts NaN as missing: the null-rate jump warns and drift reports the change', async () => {
    const b = await open({ features: [{ name: 'delay', type: 'float64', allow_nan: true }] });
    await b.runWindow('2024-01-01', '2024-01-08');
    const half = await b.runWindow('2024-01-08', '2024-01-15', { transform: "SELECT * REPLACE (CASE WHEN hour(event_timestamp) % 2 = 0 THEN 'nan'::DOUBLE ELSE delay END AS delay) FROM w" });
    expect(pick(half, 'anomaly', 'null_rate', 'delay').map((r) => [r.status, r.value])).toEqual([['warn', 0.5]]);
    expect(pick(half, 'drift', undefined, 'delay')[0].metrics?.null_rate_change).toBe(0.5);
    const all = await b.runWindow('2024-01-15', '2024-01-22', { transform: "SELECT * REPLACE ('nan'::DOUBLE AS delay) FROM w" });
    expect(pick(all, 'anomaly', 'null_rate', 'delay').map((r) => [r.status, r.metrics?.null_rate, r.message])).toEqual([['warn', 1, expect.stringMatching(/^delay null rate \(NULL, NaN, ±Inf\) 1 vs/)]]);
  });
});

describe('drift of features read from UUID and timestamp columns', () => {
  it('compares a string feature on a UUID column as categories, a timestamp feature on its age (event time − value)', async () => {
    const b = await open({ features: [{ name: 'u', type: 'string' }, { name: 't', type: 'timestamp' }] });
    const uuids = (n: number) => `(printf('00000000-0000-0000-0000-%012d', ${n} + i % 3))::UUID`;
    await b.writeSource(rows(`CASE WHEN i < 24 * 10 THEN ${uuids(0)} ELSE ${uuids(3)} END AS u, TIMESTAMP '2020-01-01' + INTERVAL (i) MINUTE AS t`));
    await b.runWindow('2024-01-01', '2024-01-10');
    const g = await b.runWindow('2024-01-11', '2024-01-20');
    const [u] = pick(g, 'drift', undefined, 'u');
    expect([u.status, u.message]).toEqual(['fail', expect.stringMatching(/^u drifted from the previous materialization \(run [0-9a-f]{8}, /)]);
    // t runs a minute per hourly row: its age grows by 59 minutes a row, so a later window's ages are all older.
    const [t] = pick(g, 'drift', undefined, 't');
    expect([t.status, t.message, t.details?.basis]).toEqual(['fail', expect.stringMatching(/^t \(age: event time − value\) drifted from the previous materialization \(run [0-9a-f]{8}, /), 'age_seconds']);
  });
});

describe('check --dataset on the files a build writes', () => {
  const service = { kind: 'feature_service' as const, name: 'svc', features: ['delays'] };
  const entities = Array.from({ length: 30 }, (_, i) => ({ airport: ['SEA', 'JFK', 'LAX'][i % 3], event_timestamp: `2024-01-${String(2 + (i % 20)).padStart(2, '0')}T05:00:00Z` }));

  it('reads a CSV string feature of digits as text and a JSON int64 feature beyond ±2^53 as int64: no false type failure', async () => {
    const b = await open({ features: [{ name: 'code', type: 'string' }, { name: 'big', type: 'int64' }], services: [service] });
    await b.writeSource(rows("lpad(CAST(i % 7 AS VARCHAR), 5, '0') AS code, (9007199254740993 + i % 5)::BIGINT AS big"));
    for (const format of ['csv', 'json', 'parquet', 'arrow'] as const) {
      const out = join(b.dir, `ds.${format}`);
      await getHistoricalFeatures(b.project, { entities, service: 'svc', out, format, allowFailedChecks: true });
      const g = await checkDataset(b.project, { file: out });
      const types = pick(g, 'schema', 'type').map((r) => [r.feature, r.status, r.message]);
      expect(types, format).toEqual([['code', 'pass', expect.any(String)], ['big', 'pass', expect.any(String)]]);
    }
  });

  it('reads a CSV or Arrow list feature back as a list: no false type failure', async () => {
    const b = await open({ features: [{ name: 'emb', type: 'float32[]', allow_nan: true }, { name: 'vec', type: 'float64[]' }], services: [service] });
    await b.writeSource(rows("CASE WHEN i % 5 = 0 THEN [1.5, 'nan'::FLOAT] WHEN i % 5 = 1 THEN NULL ELSE [i, 2]::FLOAT[] END AS emb, [i / 3, 0.25]::DOUBLE[] AS vec"));
    for (const format of ['csv', 'arrow'] as const) {
      const out = join(b.dir, `ds.${format}`);
      await getHistoricalFeatures(b.project, { entities, service: 'svc', out, format, allowFailedChecks: true });
      const g = await checkDataset(b.project, { file: out });
      expect(pick(g, 'schema', 'type').map((r) => [r.feature, r.status]), format).toEqual([['emb', 'pass'], ['vec', 'pass']]);
      expect(g.verdict).not.toBe('block');
    }
  });

  it('checks an Arrow IPC file as the Parquet file of the same build: same results, same profiles', async () => {
    const b = await open({
      features: [
        { name: 'delay', type: 'float64' }, { name: 'n', type: 'int32' }, { name: 'big', type: 'int64' }, { name: 'ok', type: 'bool' },
        { name: 'code', type: 'string' }, { name: 'seen', type: 'timestamp' }, { name: 'vec', type: 'float64[]' }, { name: 'emb', type: 'float32[]' },
      ],
      services: [service],
    });
    await b.writeSource(rows(`(i % 17) / 4 AS delay, (i % 9)::INTEGER AS n, (9007199254740993 + i % 5)::BIGINT AS big, i % 2 = 0 AS ok,
      CASE WHEN i % 6 = 0 THEN NULL ELSE 'c' || (i % 4) END AS code, TIMESTAMP '2023-12-31 00:00:00.000001' + INTERVAL (i) SECOND AS seen,
      CASE WHEN i % 7 = 0 THEN NULL ELSE [i / 2, 'nan'::DOUBLE] END AS vec, [1.5, NULL, i % 3]::FLOAT[] AS emb`));
    const byFormat = new Map<string, unknown>();
    for (const format of ['parquet', 'arrow'] as const) {
      const out = join(b.dir, `same.${format}`);
      await getHistoricalFeatures(b.project, { entities, service: 'svc', out, format, allowFailedChecks: true });
      const g = await checkDataset(b.project, { file: out });
      byFormat.set(format, { results: g.results.map((r) => [r.check, r.feature, r.status, r.message]), profiles: b.project.runs.profiles(g.run.id) });
    }
    expect(byFormat.get('arrow')).toEqual(byFormat.get('parquet'));
    const arrow = byFormat.get('arrow') as { results: unknown[]; profiles: unknown[] };
    expect([arrow.results.length, arrow.profiles.length]).toEqual([expect.toSatisfy((n: number) => n > 8), expect.toSatisfy((n: number) => n >= 9)]);
  });

  it('fails a label the file lacks as a missing column', async () => {
    const b = await open({ role: 'label', features: [{ name: 'y', type: 'bool' }], services: [] });
    await b.writeSource(rows('i % 3 = 0 AS y'));
    b.project.registry.apply([...b.project.registry.current().entities.values(), ...b.project.registry.current().sources.values(), b.view,
      { kind: 'feature_view', name: 'feats', entities: ['airport'], source: 'rows', features: [{ name: 'flag', type: 'bool' }] },
      { kind: 'feature_service', name: 'labelled', features: ['feats'], label: 'delays:y' }]);
    await b.writeSource(rows('i % 3 = 0 AS y, i % 2 = 0 AS flag'));
    const out = join(b.dir, 'ds.parquet');
    await getHistoricalFeatures(b.project, { entities, service: 'labelled', out, allowFailedChecks: true });
    const lacking = join(b.dir, 'nolabel.parquet');
    await b.conn.run(`COPY (SELECT * EXCLUDE (y) FROM read_parquet(${literal(out)})) TO ${literal(lacking)} (FORMAT parquet)`);
    const g = await checkDataset(b.project, { file: lacking, service: 'labelled' });
    expect(pick(g, 'schema', 'missing_column', 'y').map((r) => [r.status, r.message])).toEqual([['fail', 'label y of the service is missing from the rows']]);
  });

  it('reads the entity timestamp of a build that named its own (--timestamp-column at) under the name the file has', async () => {
    const b = await open({ role: 'label', features: [{ name: 'y', type: 'bool' }], services: [] });
    await b.writeSource(rows('i % 3 = 0 AS y, i % 2 = 0 AS flag'));
    b.project.registry.apply([...b.project.registry.current().entities.values(), ...b.project.registry.current().sources.values(), b.view,
      { kind: 'feature_view', name: 'feats', entities: ['airport'], source: 'rows', features: [{ name: 'flag', type: 'bool' }] },
      { kind: 'feature_service', name: 'labelled', features: ['feats'], label: 'delays:y' }]);
    const out = join(b.dir, 'ds.parquet');
    const at = entities.map(({ event_timestamp, ...e }) => ({ ...e, at: event_timestamp }));
    await getHistoricalFeatures(b.project, { entities: at, timestampColumn: 'at', service: 'labelled', out, allowFailedChecks: true });
    const g = await checkDataset(b.project, { file: out });
    expect(g.results.filter((r) => r.status === 'error').map((r) => r.message)).toEqual([]);
    expect(pick(g, 'leakage', 'target', 'flag').map((r) => r.status)).toEqual(['pass']);
  });

  it('fails a feature the file lacks as a missing column', async () => {
    const b = await open({ services: [service] });
    const out = join(b.dir, 'ds.parquet');
    await getHistoricalFeatures(b.project, { entities, service: 'svc', out, allowFailedChecks: true });
    const lacking = join(b.dir, 'lacking.parquet');
    await b.conn.run(`COPY (SELECT * EXCLUDE (carrier) FROM read_parquet(${literal(out)})) TO ${literal(lacking)} (FORMAT parquet)`);
    const g = await checkDataset(b.project, { file: lacking, service: 'svc' });
    expect(pick(g, 'schema', 'missing_column', 'carrier').map((r) => r.status)).toEqual(['fail']);
    expect(g.verdict).toBe('block');
  });
});

describe('a pushed Parquet file', () => {
  it('keeps NaN and ±Infinity of float columns as numbers (the JSON form wrote them as text)', async () => {
    const b = await open({});
    const file = join(b.dir, 'push.parquet');
    await b.conn.run(`COPY (SELECT 'SEA' AS airport, 'nan'::DOUBLE AS delay, ['inf'::DOUBLE, 1.0] AS emb, 'NaN' AS carrier) TO ${literal(file)} (FORMAT parquet)`);
    const [row] = await readRowsFile(b.project, file);
    expect(row.delay).toBeNaN();
    expect(row.emb).toEqual([Infinity, 1]);
    expect(row.carrier).toBe('NaN'); // a string column keeps its text
  });
});
