/**
 * Schema constraints, wrong types, slices, policy overrides and broken checks on
 * real DuckDB tables and a real state db.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { FeatureDef } from '../../src/definitions/types.js';
import { guardBench, pick, type GuardBench } from './helpers.js';

let bench: GuardBench | undefined;
afterEach(async () => {
  await bench?.close();
  bench = undefined;
});

const W = ['2024-01-01', '2024-01-08'] as const;

describe('schema checks', () => {
  it('fails a wrong column type and passes the right one', async () => {
    bench = await guardBench();
    const ok = await bench.runWindow(...W);
    expect(pick(ok, 'schema', 'type', 'delay')[0].status).toBe('pass');
    const g = await bench.runWindow(...W, { transform: 'SELECT * REPLACE (delay::VARCHAR AS delay) FROM w' });
    const t = pick(g, 'schema', 'type', 'delay')[0];
    expect(t.status).toBe('fail');
    expect(t.message).toContain('VARCHAR but declared float64');
    expect(g.verdict).toBe('block');
    expect(g.blockedReason).toMatch(/^schema\.type/);
  });

  it('reports a missing declared column as fail and an extra column as info', async () => {
    bench = await guardBench();
    const g = await bench.runWindow(...W, { transform: 'SELECT * EXCLUDE (carrier), 1 AS extra FROM w' });
    expect(pick(g, 'schema', 'missing_column', 'carrier')[0].status).toBe('fail');
    const extra = pick(g, 'schema', 'extra_column', 'extra')[0];
    expect(extra.status).toBe('pass');
    expect(extra.details).toMatchObject({ info: true });
  });

  it('fails null join keys and null event timestamps', async () => {
    bench = await guardBench();
    const g = await bench.runWindow(...W, { transform: "SELECT * REPLACE (CASE WHEN hour(event_timestamp) = 1 THEN NULL ELSE airport END AS airport) FROM w" });
    expect(pick(g, 'schema', 'null_key', 'airport')[0]).toMatchObject({ status: 'fail', value: 7 });
    expect(pick(g, 'schema', 'null_timestamp')[0].status).toBe('pass');
  });

  it('applies constraints with mostly as Great Expectations computes it', async () => {
    // 168 rows; delay ≈ N(10, 2); 'max: 14' is violated by some rows.
    const features: FeatureDef[] = [
      { name: 'delay', type: 'float64', min: 0, max: 14, mostly: 0.5 },
      { name: 'carrier', type: 'string', allowed_values: ['AA', 'UA', 'DL'], pattern: '^[A-Z]{2}$', max_length: 2 },
    ];
    bench = await guardBench({ features });
    const g = await bench.runWindow(...W);
    const range = pick(g, 'schema', 'range', 'delay')[0];
    const [row] = (await bench.conn.runAndReadAll('SELECT count(*) FILTER (WHERE delay > 14) AS v, count(*) AS n FROM w')).getRowObjectsJson() as { v: string; n: string }[];
    const expected = (Number(row.n) - Number(row.v)) / Number(row.n);
    expect(Number(row.v)).toBeGreaterThan(0);
    expect(range.value).toBeCloseTo(expected, 12);
    expect(range.status).toBe('pass'); // expected ≥ 0.5
    const allowed = pick(g, 'schema', 'allowed_values', 'carrier')[0];
    expect(allowed.status).toBe('fail'); // WN is not allowed and mostly defaults to 1.0
    expect(pick(g, 'schema', 'pattern', 'carrier')[0].status).toBe('pass');
    expect(pick(g, 'schema', 'length', 'carrier')[0].status).toBe('pass');
    await bench.close();
    bench = await guardBench({ features: [{ name: 'delay', type: 'float64', max: 14, mostly: 0.999 }, { name: 'carrier', type: 'string', nullable: false }] });
    const g2 = await bench.runWindow(...W, { transform: "SELECT * REPLACE (CASE WHEN hour(event_timestamp) = 2 THEN NULL ELSE carrier END AS carrier) FROM w" });
    expect(pick(g2, 'schema', 'range', 'delay')[0].status).toBe('fail');
    expect(pick(g2, 'schema', 'not_null', 'carrier')[0]).toMatchObject({ status: 'fail', metrics: { violations: 7 } });
  });

  it('leaves NaN and ±Inf out of a value constraint\'s pass ratio (the nan check judges them)', async () => {
    bench = await guardBench({ features: [{ name: 'delay', type: 'float64', allow_nan: true, min: 0, mostly: 0.9 }, { name: 'carrier', type: 'string' }] });
    // Half the rows (even hours) NaN or Inf; of the other 84 rows, 28 (hours 1, 7, 13, 19) are negative: 56/84 pass,
    // where NaN and Inf counted as passing values made it 140/168.
    const g = await bench.runWindow(...W, { transform: "SELECT * REPLACE (CASE WHEN hour(event_timestamp) % 2 = 0 THEN (CASE WHEN hour(event_timestamp) % 4 = 0 THEN 'nan' ELSE 'inf' END)::DOUBLE WHEN hour(event_timestamp) % 6 = 1 THEN -1.0 ELSE delay END AS delay) FROM w" });
    const [range] = pick(g, 'schema', 'range', 'delay');
    expect([range.status, range.value, range.metrics]).toEqual(['fail', 56 / 84, { violations: 28, non_null: 168, values: 84, rows: 168 }]);
  });

  it('treats strict bounds as exclusive', async () => {
    bench = await guardBench({ features: [{ name: 'delay', type: 'float64', min: 6, strict: true }, { name: 'carrier', type: 'string' }] });
    const g = await bench.runWindow(...W, { transform: 'SELECT * REPLACE (greatest(delay, 6.0) AS delay) FROM w' });
    expect(pick(g, 'schema', 'range', 'delay')[0].status).toBe('fail');
    await bench.close();
    bench = await guardBench({ features: [{ name: "delay", type: "float64", min: 6 }, { name: 'carrier', type: 'string' }] });
    const g2 = await bench.runWindow(...W, { transform: 'SELECT * REPLACE (greatest(delay, 6.0) AS delay) FROM w' });
    expect(pick(g2, 'schema', 'range', 'delay')[0].status).toBe('pass');
  });

  it('a check that throws records error and blocks under a block policy', async () => {
    // An invalid regex makes DuckDB throw inside the schema check.
    bench = await guardBench({ features: [{ name: 'delay', type: 'float64' }, { name: 'carrier', type: 'string', pattern: '([' }] });
    const g = await bench.runWindow(...W);
    const e = g.results.filter((r) => r.check === 'schema' && r.status === 'error');
    expect(e).toHaveLength(1);
    expect(e[0].policy).toBe('block');
    expect(g.verdict).toBe('block');
    expect(g.counts.error).toBe(1);
    await bench.close();
    bench = await guardBench({ quality: { schema: 'warn' }, features: [{ name: 'delay', type: 'float64' }, { name: 'carrier', type: 'string', pattern: '([' }] });
    const g2 = await bench.runWindow(...W);
    expect(g2.verdict).toBe('warn');
  });

  it('names the feature and the RE2 limit when a pattern applied before it was refused is no RE2 expression', async () => {
    bench = await guardBench({ features: [{ name: 'delay', type: 'float64' }, { name: 'carrier', type: 'string', pattern: '^(?!ZZ)[A-Z]{2}$' }] });
    const g = await bench.runWindow(...W);
    const e = g.results.filter((r) => r.check === 'schema' && r.status === 'error');
    expect(e).toHaveLength(1);
    expect(e[0].message).toMatch(/^schema check broke: .*feature carrier: pattern '\^\(\?!ZZ\)\[A-Z\]\{2\}\$' is no RE2 regular expression.*RE2 has no lookahead/);
  });

  it('names the feature and DuckDB\'s reason for a pattern applied before apply refused it that only DuckDB\'s RE2 refuses ([^], a{1001})', async () => {
    for (const [pattern, reason] of [['^[^]*$', 'missing ]: [^]*$'], ['^a{1001}$', 'invalid repetition size: {1001}']]) {
      bench = await guardBench({ features: [{ name: 'delay', type: 'float64' }, { name: 'carrier', type: 'string', pattern }] });
      const g = await bench.runWindow(...W);
      const e = g.results.filter((r) => r.check === 'schema' && r.status === 'error');
      expect(e.map((r) => r.message), pattern).toEqual([`schema check broke: feature carrier: pattern '${pattern}' is no RE2 regular expression, which the guards run it as (DuckDB: ${reason})`]);
      await bench.close();
      bench = undefined;
    }
  });
});

describe('policies', () => {
  it('resolves project ← view ← feature policies in the stage', async () => {
    bench = await guardBench({
      quality: { drift: { policy: 'block' } },
      viewQuality: { drift: { psi_warn: 0.2 } },
      features: [{ name: 'delay', type: 'float64', quality: { drift: 'warn' } }, { name: 'carrier', type: 'string', quality: { drift: 'off' } }],
    });
    await bench.runWindow(...W);
    const g = await bench.runWindow('2024-01-08', '2024-01-15', { transform: "SELECT * REPLACE (delay + 30 AS delay, 'ZZ' AS carrier) FROM w" });
    const d = pick(g, 'drift', undefined, 'delay')[0];
    expect(d).toMatchObject({ status: 'fail', policy: 'warn' });
    expect(d.thresholds).toMatchObject({ psi_warn: 0.2 });
    expect(pick(g, 'drift', undefined, 'carrier')).toHaveLength(0);
    // The service/view-level drift share follows the view policy (block): 1 of 1 compared features drifted.
    expect(pick(g, 'drift', 'drift_share')[0]).toMatchObject({ status: 'fail', policy: 'block' });
    expect(g.verdict).toBe('block');
  });

  it('switches a family off', async () => {
    bench = await guardBench({ quality: { provenance: 'off' } });
    const g = await bench.runWindow(...W, { now: new Date('2024-01-02T00:00:00Z') });
    expect(pick(g, 'provenance')).toHaveLength(0);
    expect(g.verdict).not.toBe('block');
  });
});

describe('drift min_rows', () => {
  it('skips a feature whose reference has fewer than min_rows values, categorical or numeric', async () => {
    bench = await guardBench();
    await bench.runWindow(...W, { transform: "SELECT * REPLACE (CASE WHEN event_timestamp < TIMESTAMP '2024-01-01 03:00' THEN carrier END AS carrier, CASE WHEN event_timestamp < TIMESTAMP '2024-01-01 03:00' THEN delay END AS delay) FROM w" });
    const g = await bench.runWindow('2024-01-08', '2024-01-15');
    for (const f of ['carrier', 'delay']) {
      expect(pick(g, 'drift', undefined, f).map((r) => [r.status, r.message])).toEqual([['skipped', expect.stringMatching(new RegExp(`^${f}: 3 value\\(s\\) in the previous materialization \\(run [0-9a-f]{8}, 2024-01-01 to 2024-01-08\\) < min_rows 30, too few to compare$`))]]);
    }
  });
});

describe('slices', () => {
  it('finds the one shifted slice and leaves the others clean', async () => {
    bench = await guardBench({ slices: ['airport'] });
    await bench.runWindow(...W);
    const g = await bench.runWindow('2024-01-08', '2024-01-15', { transform: "SELECT * REPLACE (CASE WHEN airport = 'SEA' THEN delay + 20 ELSE delay END AS delay) FROM w" });
    // Only delay shifted; carrier slices use Evidently's chi-square (reference taken as exact), not asserted here.
    const sliced = pick(g, 'drift', undefined, 'delay').filter((r) => r.slice);
    expect(sliced.map((r) => r.slice).sort()).toEqual(['airport=JFK', 'airport=LAX', 'airport=SEA']);
    expect(sliced.find((r) => r.slice === 'airport=SEA')!.status).toBe('fail');
    expect(sliced.filter((r) => r.slice !== 'airport=SEA').every((r) => r.status === 'pass')).toBe(true);
    const stored = bench.project.runs.profiles(g.runId).filter((p) => p.slice === 'airport=SEA');
    expect(stored.map((p) => p.column).sort()).toEqual(['carrier', 'delay']);
  });
});

describe('slices of a feature named g', () => {
  it('keeps its slice samples (the grouped sample query named the slice value g too)', async () => {
    bench = await guardBench({ slices: ['airport'], features: [{ name: 'g', type: 'float64' }, { name: 'carrier', type: 'string' }] });
    await bench.writeSource(`SELECT ['SEA','JFK','LAX'][1 + (i % 3)] AS airport, TIMESTAMP '2024-01-01' + INTERVAL (i) HOUR AS ts,
      TIMESTAMP '2024-01-01' + INTERVAL (i) HOUR AS created, (hash(i) % 1000) / 100.0 AS g, 'AA' AS carrier FROM range(24 * 31) r(i)`);
    await bench.runWindow(...W);
    const g = await bench.runWindow('2024-01-08', '2024-01-15', { transform: "SELECT * REPLACE (CASE WHEN airport = 'SEA' THEN g + 20 ELSE g END AS g) FROM w" });
    const sliced = pick(g, 'drift', undefined, 'g').filter((r) => r.slice);
    expect(sliced.map((r) => [r.slice, r.status]).sort()).toEqual([['airport=JFK', 'pass'], ['airport=LAX', 'pass'], ['airport=SEA', 'fail']]);
  });
});

describe('raw relation for broken sources', () => {
  it('lets the guards block a source that dropped a declared column or changed its type', async () => {
    const { rawViewRelationSql } = await import('../../src/guards/raw-relation.js');
    const { runGuardStage } = await import('../../src/guards/stage.js');
    const { DEFAULT_SOURCE } = await import('./helpers.js');
    bench = await guardBench();
    await bench.writeSource(`SELECT * EXCLUDE (carrier) REPLACE (delay::VARCHAR AS delay) FROM (${DEFAULT_SOURCE})`);
    const rel = await rawViewRelationSql(bench.project, bench.view, bench.conn);
    expect(rel.missing).toEqual(['carrier']);
    await bench.conn.run(`CREATE OR REPLACE TEMP TABLE raw_w AS SELECT * FROM (${rel.select}) WHERE event_timestamp < TIMESTAMP '2024-01-03'`);
    const run = bench.project.runs.create({ kind: 'materialize', view: 'delays' });
    const g = await runGuardStage({ project: bench.project, run, kind: 'materialize', view: bench.view, conn: bench.conn, table: 'raw_w', window: { start: new Date('2024-01-01'), end: new Date('2024-01-03') } });
    expect(g.verdict).toBe('block');
    expect(pick(g, 'schema', 'missing_column', 'carrier')[0].status).toBe('fail');
    expect(pick(g, 'schema', 'type', 'delay')[0].status).toBe('fail');
  });
});
