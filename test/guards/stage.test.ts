/**
 * The guard stage end to end on real DuckDB tables and a real SQLite state db:
 * crafted windows whose expected status is known, passing and failing.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { guardBench, pick, type GuardBench } from './helpers.js';
import { maskValue } from '../../src/guards/profile-mask.js';
import { knownPiiColumns } from '../../src/guards/pii-columns.js';
import { runGuardStage } from '../../src/guards/stage.js';

let bench: GuardBench | undefined;
afterEach(async () => {
  await bench?.close();
  bench = undefined;
});

describe('guard stage', () => {
  it('passes a clean window, stores profiles and results, and uses the previous run as reference', async () => {
    bench = await guardBench();
    const g1 = await bench.runWindow('2024-01-01', '2024-01-08');
    expect(g1.verdict).toBe('pass');
    expect(pick(g1, 'drift')[0].status).toBe('skipped');
    expect(bench.project.runs.results(g1.runId).length).toBe(g1.results.length);
    const prof = bench.project.runs.profiles(g1.runId).find((p) => p.column === 'delay')!.profile as { count: number; histogram: { counts: number[] } };
    expect(prof.count).toBe(24 * 7);
    expect(prof.histogram.counts.reduce((a, b) => a + b, 0)).toBe(24 * 7);
    const g2 = await bench.runWindow('2024-01-08', '2024-01-15');
    const drift = pick(g2, 'drift', undefined, 'delay')[0];
    expect(drift.status).toBe('pass');
    expect((drift.details as { reference: string }).reference).toBe(`run:${g1.runId}`);
    // A p-value says it is one (it read "ks 1", like a KS statistic of 1, the largest distance there is).
    expect(drift.method).toBe('ks');
    expect(drift.message).toMatch(/^delay stable vs the previous materialization \(run [0-9a-f]{8}, 2024-01-01 to 2024-01-08; ks p [0-9.e-]+, psi [0-9.e-]+\)$/);
    expect(g2.verdict).toBe('pass');
  });

  it('reports drift for a shifted distribution (warn policy: verdict warn, not block)', async () => {
    bench = await guardBench();
    await bench.runWindow('2024-01-01', '2024-01-08');
    const g = await bench.runWindow('2024-01-08', '2024-01-15', { transform: 'SELECT * REPLACE (delay * 3 + 20 AS delay) FROM w' });
    const d = pick(g, 'drift', undefined, 'delay')[0];
    expect(d.status).toBe('fail');
    expect(d.method).toBe('ks'); // 168 reference rows (≤ 1000), many unique values
    expect(d.metrics!.psi).toBeGreaterThan(0.25);
    expect(d.policy).toBe('warn');
    expect(g.verdict).toBe('warn');
  });

  it('pools the last n runs into the reference with reference: previous:<n>', async () => {
    bench = await guardBench({ quality: { drift: { reference: 'previous:2' } } });
    const w1 = await bench.runWindow('2024-01-01', '2024-01-08');
    const w2 = await bench.runWindow('2024-01-08', '2024-01-15', { transform: 'SELECT * REPLACE (delay + 100 AS delay) FROM w' });
    const g = await bench.runWindow('2024-01-15', '2024-01-22', { transform: 'SELECT * REPLACE (delay + 100 AS delay) FROM w' });
    const d = pick(g, 'drift', undefined, 'delay')[0];
    expect(d.details).toMatchObject({ reference: 'previous:2', reference_run_id: w2.runId, reference_run_ids: [w2.runId, w1.runId] });
    expect(d.message).toMatch(/the previous 2 materializations \(newest run [0-9a-f]{8}, windows 2024-01-01 to 2024-01-15; /);
    // Half the pooled reference sits 100 minutes lower: drifted, where week 2 alone would say stable.
    expect(d.status).toBe('fail');
    expect(d.details).toMatchObject({ n_ref: 2 * 24 * 7 });
  });

  it('compares a view fed only by pushes with its earlier pushes of min_rows or more, pooled; a materialization wins once there is one', async () => {
    bench = await guardBench();
    const push = (start: string, end: string, transform?: string) => bench!.runWindow(start, end, { kind: 'push', transform });
    const first = await push('2024-01-01', '2024-01-03');
    expect(pick(first, 'drift')[0]).toMatchObject({
      status: 'skipped', message: 'no reference yet: no pinned baseline and no earlier successful run of view delays (a materialization, or a push of 30 or more rows)',
    });
    // A push of 10 rows is no reference (drift against it would be skipped).
    await push('2024-01-03', '2024-01-03T10:00:00Z');
    const second = await push('2024-01-04', '2024-01-06');
    expect(pick(second, 'drift', undefined, 'delay')[0]).toMatchObject({ status: 'pass', details: expect.objectContaining({ reference: `run:${first.runId}`, reference_kind: 'push' }) });
    expect(pick(second, 'drift', undefined, 'delay')[0].message).toMatch(/stable vs the previous push \(run [0-9a-f]{8}, 2024-01-01 to 2024-01-03; /);
    const third = await push('2024-01-06', '2024-01-08');
    const shifted = await push('2024-01-08', '2024-01-10', 'SELECT * REPLACE (delay + 100 AS delay) FROM w');
    const d = pick(shifted, 'drift', undefined, 'delay')[0];
    expect(d).toMatchObject({ status: 'fail', details: expect.objectContaining({ reference: 'previous:3', reference_run_ids: [third.runId, second.runId, first.runId], n_ref: 3 * 48 }) });
    expect(d.message).toMatch(/drifted from the previous 3 pushes/);
    // Once the view is materialized, pushes compare with its last materialization, as before.
    const m = await bench.runWindow('2024-01-10', '2024-01-12');
    const after = await push('2024-01-12', '2024-01-14');
    expect(pick(after, 'drift', undefined, 'delay')[0].details).toMatchObject({ reference: `run:${m.runId}` });
    expect(pick(after, 'drift', undefined, 'delay')[0].details).not.toHaveProperty('reference_kind');
  });

  it('bins PSI on the reference\'s own deciles, also down a chain of runs', async () => {
    bench = await guardBench();
    await bench.runWindow('2024-01-01', '2024-01-08');
    await bench.runWindow('2024-01-08', '2024-01-15', { transform: 'SELECT * REPLACE (delay + 100 AS delay) FROM w' });
    // Week 3 vs week 2 (its reference): shifted by 4 standard deviations. Binned on week 1's edges both
    // would sit in the last bin and PSI would be 0.
    const g = await bench.runWindow('2024-01-15', '2024-01-22', { transform: 'SELECT * REPLACE (delay + 108 AS delay) FROM w' });
    const d = pick(g, 'drift', undefined, 'delay')[0];
    expect(d.metrics!.ks_statistic).toBeGreaterThan(0.9);
    expect(d.metrics!.psi).toBeGreaterThan(1);
    expect(d.metrics!.js_distance).toBeGreaterThan(0.5);
    const prev = bench.project.runs.profiles(bench.project.runs.list({ view: 'delays', limit: 3 }).runs[1].id).find((p) => p.column === 'delay')!.profile as { deciles: number[] };
    const cur = bench.project.runs.profiles(g.runId).find((p) => p.column === 'delay')!.profile as { histogram: { edges: number[] } };
    expect(cur.histogram.edges).toEqual(prev.deciles);
  });

  it('finds PII in string features from the profile sample: emails, one Luhn-valid card; an invalid card passes', async () => {
    bench = await guardBench();
    const window = ['2024-01-01', '2024-01-08'] as const;
    const pii = async (transform: string) => {
      const g = await bench!.runWindow(...window, { transform });
      return pick(g, 'leakage', 'pii', 'carrier')[0];
    };
    const emails = await pii("SELECT * REPLACE (CASE WHEN hash(event_timestamp) % 20 = 0 THEN 'ann' || hash(event_timestamp) % 1000 || '@example.com' ELSE carrier END AS carrier) FROM w");
    expect(emails, JSON.stringify(emails)).toMatchObject({ status: 'fail', details: expect.objectContaining({ kinds: ['email'] }) });
    expect(emails.metrics!.sampled_values).toBe(24 * 7);
    const card = await pii("SELECT * REPLACE (CASE WHEN row_number() OVER (ORDER BY event_timestamp, airport) = 7 THEN 'paid with 4111 1111 1111 1111' ELSE carrier END AS carrier) FROM w");
    expect(card).toMatchObject({ status: 'fail', details: expect.objectContaining({ kinds: ['credit_card'] }) });
    const invalid = await pii("SELECT * REPLACE (CASE WHEN row_number() OVER (ORDER BY event_timestamp, airport) = 7 THEN 'paid with 4111 1111 1111 1112' ELSE carrier END AS carrier) FROM w");
    expect(invalid.status).toBe('pass');
  });

  it('keeps no values of a column holding PII in the quality log: profiles and drift records hold hashes, compared hash to hash', async () => {
    bench = await guardBench({ viewQuality: { leakage: { pii: 'warn' } } });
    const emails = "SELECT * REPLACE (CASE WHEN hash(event_timestamp) % 4 = 0 THEN 'ann' || hash(event_timestamp) % 3 || '@example.com' ELSE carrier END AS carrier) FROM w";
    const raw = /ann\d@example\.com/;
    const clean = await bench.runWindow('2024-01-01', '2024-01-08');
    const stored = (runId: string) => bench!.project.runs.profiles(runId).find((p) => p.column === 'carrier')!.profile as { masked?: boolean; top: { value: string }[] };
    expect(stored(clean.runId).masked).toBeUndefined();
    expect(stored(clean.runId).top.map((t) => t.value)).toContain('AA');

    // Found by the PII check (undeclared, warn): stored masked, and no record of the run names an email.
    const first = await bench.runWindow('2024-01-08', '2024-01-15', { transform: emails });
    expect(pick(first, 'leakage', 'pii', 'carrier')[0]).toMatchObject({ status: 'fail', details: expect.objectContaining({ kinds: ['email'] }) });
    expect(stored(first.runId)).toMatchObject({ masked: true });
    expect(stored(first.runId).top.map((t) => t.value)).toContain(maskValue('AA'));
    expect(JSON.stringify(bench.project.runs.profiles(first.runId))).not.toMatch(raw);
    expect(JSON.stringify(bench.project.runs.get(first.runId))).not.toMatch(raw);
    expect(JSON.stringify(first.results)).not.toMatch(raw);

    // The next run (emails again) is compared with that masked reference in the same hashed space.
    const next = await bench.runWindow('2024-01-15', '2024-01-22', { transform: emails });
    const drift = pick(next, 'drift', undefined, 'carrier')[0];
    const cats = (drift.details as { categories: { values: string[]; reference: number[]; current: number[] } }).categories;
    const masked = [0, 1, 2].map((i) => maskValue(`ann${i}@example.com`));
    for (const m of masked) {
      const i = cats.values.indexOf(m);
      expect(i, JSON.stringify(cats)).toBeGreaterThanOrEqual(0);
      expect(cats.reference[i]).toBeGreaterThan(0);
      expect(cats.current[i]).toBeGreaterThan(0);
    }
    expect(JSON.stringify(next.results)).not.toMatch(raw);

    // Found once, masked from then on: a later day under the 1% threshold (one email in 168 rows) still stores hashes.
    const rare = await bench.runWindow('2024-01-22', '2024-01-29', { transform: "SELECT * REPLACE (CASE WHEN row_number() OVER (ORDER BY event_timestamp, airport) = 1 THEN 'ann9@example.com' ELSE carrier END AS carrier) FROM w" });
    expect(pick(rare, 'leakage', 'pii', 'carrier')[0].status).toBe('pass');
    expect(stored(rare.runId)).toMatchObject({ masked: true });
    expect(JSON.stringify(bench.project.runs.profiles(rare.runId))).not.toContain('ann9@example.com');
  });

  it('judges no lookalike PII share on a few pushed values: a version string in a 1-row push is skipped and not remembered; 3 IP addresses fail', async () => {
    bench = await guardBench();
    const known = () => knownPiiColumns(bench!.project.state, 'view:delays');
    // A window where one carrier is a version string that reads as an IP address: 1 of 168 (< 1%) passes.
    const window = await bench.runWindow('2024-01-01', '2024-01-08', { transform: "SELECT * REPLACE (CASE WHEN row_number() OVER (ORDER BY event_timestamp, airport) = 1 THEN '4.1.2.0' ELSE carrier END AS carrier) FROM w" });
    expect(pick(window, 'leakage', 'pii', 'carrier')[0].status).toBe('pass');
    // That row pushed alone is 100% of its sample: too few to judge, not a block, and not remembered.
    const one = await bench.runWindow('2024-01-08', '2024-01-09', { kind: 'push', transform: "SELECT * REPLACE ('4.1.2.0' AS carrier) FROM w LIMIT 1" });
    expect(pick(one, 'leakage', 'pii', 'carrier')[0]).toMatchObject({
      status: 'skipped', details: expect.objectContaining({ kinds: [], too_few: ['ip_address'] }),
      message: 'carrier: ip_address in 1 of 1 sampled values, too few to judge (such a share needs 3 or more matching values); not remembered as PII',
    });
    expect(one.verdict).not.toBe('block');
    expect(known()).toEqual([]);
    // Its values stay out of the quality log all the same (masked in this run).
    expect(JSON.stringify(bench.project.runs.profiles(one.runId))).not.toContain('4.1.2.0');
    // Three pushed addresses are evidence enough.
    const three = await bench.runWindow('2024-01-09', '2024-01-10', { kind: 'push', transform: "SELECT * REPLACE ('10.0.0.' || hour(event_timestamp) AS carrier) FROM w LIMIT 3" });
    expect(pick(three, 'leakage', 'pii', 'carrier')[0]).toMatchObject({ status: 'fail', details: expect.objectContaining({ kinds: ['ip_address'] }) });
    expect(three.verdict).toBe('block');
    expect(known()).toEqual(['carrier']);
  });

  it('masks a feature declared pii: true from the first run on, and still reports what the PII check finds in it', async () => {
    bench = await guardBench({ features: [{ name: 'delay', type: 'float64' }, { name: 'carrier', type: 'string', pii: true }] });
    const emails = "SELECT * REPLACE ('ann' || hash(event_timestamp) % 5 || '@example.com' AS carrier) FROM w";
    await bench.runWindow('2024-01-01', '2024-01-08', { transform: emails });
    const g = await bench.runWindow('2024-01-08', '2024-01-15', { transform: emails });
    expect(pick(g, 'leakage', 'pii', 'carrier')[0]).toMatchObject({ status: 'pass', message: expect.stringMatching(/holds PII \(email 100%\), declared with pii: true/) });
    expect(pick(g, 'drift', undefined, 'carrier')[0].status).not.toBe('error');
    expect(JSON.stringify(g.results)).not.toMatch(/ann\d@example\.com/);
    expect(JSON.stringify(bench.project.runs.profiles(g.runId))).not.toMatch(/ann\d@example\.com/);
  });

  it('masks PII in a join key, the slices of a pii slice column, and numbers declared pii', async () => {
    const raw = /ann\d@example\.com/;
    bench = await guardBench({ features: [{ name: 'delay', type: 'float64' }, { name: 'carrier', type: 'string', pii: true }], slices: ['carrier'] });
    const keyedByEmail = "SELECT * REPLACE ('ann' || hash(event_timestamp) % 5 || '@example.com' AS airport, 'ann' || hash(event_timestamp) % 2 || '@example.com' AS carrier) FROM w";
    await bench.runWindow('2024-01-01', '2024-01-08', { transform: keyedByEmail });
    const g = await bench.runWindow('2024-01-08', '2024-01-15', { transform: keyedByEmail });
    const stored = bench.project.runs.profiles(g.runId);
    expect(stored.find((p) => p.column === 'airport' && !p.slice)!.profile).toMatchObject({ masked: true });
    expect(JSON.stringify(stored)).not.toMatch(raw);
    expect(JSON.stringify(g.results)).not.toMatch(raw);
    const names = [0, 1].map((i) => `carrier=${maskValue(`ann${i}@example.com`)}`);
    expect(new Set(stored.filter((p) => p.slice).map((p) => p.slice))).toEqual(new Set(names));
    // Sliced drift finds its reference under the same hashed names.
    const sliced = g.results.filter((r) => r.check === 'drift' && r.slice);
    expect(sliced.map((r) => `${r.feature} ${r.slice}`).sort()).toEqual(names.map((n) => `delay ${n}`).sort());
    for (const r of sliced) expect(r.status, r.message).not.toBe('skipped');
    await bench.close();

    // A number declared pii keeps no values: no sample, range or quantiles; its drift is skipped, not an error.
    bench = await guardBench({ features: [{ name: 'delay', type: 'float64', pii: true }, { name: 'carrier', type: 'string' }] });
    await bench.runWindow('2024-01-01', '2024-01-08');
    const n = await bench.runWindow('2024-01-08', '2024-01-15');
    const delay = bench.project.runs.profiles(n.runId).find((p) => p.column === 'delay')!.profile as Record<string, unknown>;
    expect(delay).toMatchObject({ masked: true, min: null, max: null, quantiles: null, sample: [] });
    expect(pick(n, 'drift', undefined, 'delay')[0].status).toBe('skipped');
  });

  it('counts the classes of a pii label by their hashes, so a masked reference loses none', async () => {
    bench = await guardBench({ role: 'label', features: [{ name: 'delay', type: 'float64' }, { name: 'carrier', type: 'string' }], viewQuality: { leakage: { pii: 'warn' } } });
    const emails = "SELECT * REPLACE ('ann' || hash(event_timestamp) % 3 || '@example.com' AS carrier) FROM w";
    // Undeclared: the first run finds the PII (masked from then on in what is stored), the second compares hash to hash.
    const first = await bench.runWindow('2024-01-01', '2024-01-08', { transform: emails });
    const g = await bench.runWindow('2024-01-08', '2024-01-15', { transform: emails });
    const balance = pick(g, 'class_imbalance', 'imbalance', 'carrier')[0];
    expect(balance.details).toMatchObject({ vanished: [], masked: true, reference: `run:${first.runId}` });
    expect(Object.keys((balance.details as { counts: Record<string, number> }).counts).sort()).toEqual([0, 1, 2].map((i) => maskValue(`ann${i}@example.com`)).sort());
    expect(JSON.stringify(g.results)).not.toMatch(/ann\d@example\.com/);
  });

  it('fails an empty window (anomaly) unless allow_empty', async () => {
    bench = await guardBench();
    const g = await bench.runWindow('2025-01-01', '2025-01-02');
    const v = pick(g, 'anomaly', 'volume')[0];
    expect(v.status).toBe('fail');
    expect(g.verdict).toBe('warn');
    await bench.close();
    bench = await guardBench({ quality: { anomaly: { allow_empty: true, policy: 'block' } } });
    const g2 = await bench.runWindow('2025-01-01', '2025-01-02');
    expect(pick(g2, 'anomaly', 'volume')[0].status).toBe('pass');
    expect(g2.verdict).toBe('pass');
  });

  it('blocks future timestamps beyond the clock skew and accepts ones within it', async () => {
    bench = await guardBench();
    const now = new Date('2024-02-05T00:00:00Z');
    const within = await bench.runWindow('2024-01-01', '2024-01-04', { now, transform: "SELECT * FROM w UNION ALL (SELECT * REPLACE (TIMESTAMP '2024-02-05 00:04:00' AS event_timestamp) FROM w LIMIT 1)" });
    expect(pick(within, 'provenance', 'future_timestamps')[0].status).toBe('pass');
    const g = await bench.runWindow('2024-01-01', '2024-01-04', { now, transform: "SELECT * FROM w UNION ALL (SELECT * REPLACE (TIMESTAMP '2024-02-06 00:00:00' AS event_timestamp) FROM w LIMIT 1)" });
    const f = pick(g, 'provenance', 'future_timestamps')[0];
    expect(f.status).toBe('fail');
    expect(f.value).toBe(1);
    expect(f.policy).toBe('block');
    expect(g.verdict).toBe('block');
    expect(g.blockedReason).toMatch(/future_timestamps/);
  });

  it('a push does not list the source: only a window\'s tamper check and future_source_rows read it', async () => {
    bench = await guardBench({ sourceGlob: true });
    const b = bench;
    // Building the source relation lists the glob's files into a DuckDB variable on the connection.
    const listed = async () => Number((await b.conn.runAndReadAll("SELECT count(*) FROM duckdb_variables() WHERE name LIKE 'fg_files_%'")).getRowsJS()[0][0]);
    await b.conn.run("CREATE TEMP TABLE pushed AS SELECT 'SEA' AS airport, TIMESTAMP '2024-01-08 00:00' AS event_timestamp, TIMESTAMP '2024-01-08 00:05' AS created_timestamp, 10.0::DOUBLE AS delay, 'AA' AS carrier");
    const stage = async (kind: 'push' | 'materialize', window?: { start: Date; end: Date }) => {
      const run = b.project.runs.create({ kind, view: 'delays' });
      return runGuardStage({ project: b.project, run, kind, view: b.view, conn: b.conn, table: 'pushed', window, now: new Date('2024-01-08T01:00:00Z'), alerts: false });
    };
    expect((await stage('push')).verdict).not.toBe('block');
    expect(await listed()).toBe(0);
    // A materialization of a window does read it: the source's rows after Jan 8 are ahead of this run's clock.
    const m = await stage('materialize', { start: new Date('2024-01-08T00:00:00Z'), end: new Date('2024-01-08T01:00:00Z') });
    expect(pick(m, 'provenance', 'future_source_rows')[0]?.status).toBe('warn');
    expect(await listed()).toBe(1);
  });

  it("warns about a materialized view's source rows dated after now, which no window (ending at or before now) holds", async () => {
    bench = await guardBench();
    // The source runs to Jan 31st: seen from Jan 20th, the rows after 00:05 (the default skew) are in the future.
    const now = new Date('2024-01-20T00:00:00Z');
    const g = await bench.runWindow('2024-01-10', '2024-01-11', { now });
    expect(pick(g, 'provenance', 'future_timestamps')[0].status).toBe('pass');
    const f = pick(g, 'provenance', 'future_source_rows')[0];
    const ahead = 24 * 31 - 24 * 19 - 1; // hourly rows after Jan 20 00:05
    // A warning (a forecast source rightly holds future rows), not a block.
    expect(f).toMatchObject({ status: 'warn', policy: 'warn', value: ahead, details: { max_event_timestamp: '2024-01-31 23:00:00.000000' } });
    expect(f.message).toContain('no window holds them until then');
    expect(g.verdict).toBe('warn');
    // A check of a window reads only that window.
    const c = await bench.runWindow('2024-01-10', '2024-01-11', { now, kind: 'check' });
    expect(pick(c, 'provenance', 'future_source_rows')).toEqual([]);
  });

  it('detects a retroactively edited history partition and names it', async () => {
    bench = await guardBench();
    const g1 = await bench.runWindow('2024-01-01', '2024-01-08');
    expect(pick(g1, 'provenance', 'tampering')[0].status).toBe('skipped');
    const clean = await bench.runWindow('2024-01-08', '2024-01-10');
    expect(pick(clean, 'provenance', 'tampering')[0].status).toBe('pass');
    expect(pick(clean, 'provenance', 'tampering')[0].metrics!.partitions_checked).toBe(7);
    // Poison one already-materialized day in the source.
    await bench.writeSource(`SELECT * REPLACE (CASE WHEN ts::DATE = DATE '2024-01-05' AND airport = 'SEA' THEN delay + 100 ELSE delay END AS delay) FROM (${(await import('./helpers.js')).DEFAULT_SOURCE})`);
    const g = await bench.runWindow('2024-01-10', '2024-01-12');
    const t = pick(g, 'provenance', 'tampering')[0];
    expect(t.status).toBe('fail');
    expect(t.message).toContain('2024-01-05');
    expect(t.message).not.toContain('2024-01-04');
    expect(g.verdict).toBe('block');
  });

  it('a changed source definition is no edit of history: checksums recorded under the old definition are not compared', async () => {
    bench = await guardBench();
    await bench.runWindow('2024-01-01', '2024-01-08');
    // The source loses its created timestamp (a non-breaking change): every earlier day's checksum differs now.
    const { defineSource } = await import('../../src/definitions/define.js');
    const current = bench.project.registry.current();
    bench.project.registry.apply([...current.entities.values(), defineSource({ name: 'rows', path: 'data/rows.parquet', timestamp_field: 'ts' }), ...current.views.values()]);
    const next = await bench.runWindow('2024-01-08', '2024-01-10');
    expect(pick(next, 'provenance', 'tampering')[0]).toMatchObject({ status: 'skipped', message: expect.stringContaining('no earlier partitions to re-check'), metrics: { partitions_checked: 0, partitions_changed: 0 } });
    // Days recorded under the new definition are compared again.
    const after = await bench.runWindow('2024-01-10', '2024-01-11');
    expect(pick(after, 'provenance', 'tampering')[0]).toMatchObject({ status: 'pass', metrics: { partitions_checked: 2 } });
  });

  it('checksums recorded before they were keyed by the row shape are still compared (upgrading keeps tamper detection)', async () => {
    bench = await guardBench();
    await bench.runWindow('2024-01-01', '2024-01-08');
    // As an earlier version recorded them: keyed by the checksum columns' names only.
    const { createHash } = await import('node:crypto');
    const legacy = createHash('sha256').update(['airport', 'event_timestamp', 'created_timestamp', 'delay', 'carrier'].join('\u0000')).digest('hex').slice(0, 16);
    bench.project.state.prepare('UPDATE guard_partitions SET columns_hash = ?').run(legacy);
    await bench.writeSource(`SELECT * REPLACE (CASE WHEN ts::DATE = DATE '2024-01-05' THEN delay + 1 ELSE delay END AS delay) FROM (${(await import('./helpers.js')).DEFAULT_SOURCE})`);
    const g = await bench.runWindow('2024-01-08', '2024-01-09');
    expect(pick(g, 'provenance', 'tampering')[0]).toMatchObject({ status: 'fail', metrics: { partitions_checked: 7 }, message: expect.stringContaining('2024-01-05') });
  });

  it('an empty window recorded earlier is still empty: no false tampering (a late upstream does not block the view)', async () => {
    bench = await guardBench();
    // The source ends with January: February's first day is empty (warned: anomaly.volume), then the next day re-checks it.
    const empty = await bench.runWindow('2024-02-01', '2024-02-02');
    expect(empty.verdict).toBe('warn');
    const next = await bench.runWindow('2024-02-02', '2024-02-03');
    expect(pick(next, 'provenance', 'tampering')[0], JSON.stringify(pick(next, 'provenance', 'tampering')[0])).toMatchObject({ status: 'pass', metrics: { partitions_checked: 1, partitions_changed: 0 } });
    expect(next.verdict).not.toBe('block');
    // Rows appearing later on that empty day are an edit of history.
    await bench.writeSource(`SELECT * FROM (${(await import('./helpers.js')).DEFAULT_SOURCE}) UNION ALL SELECT 'SEA', TIMESTAMP '2024-02-01 10:00', TIMESTAMP '2024-02-01 10:05', 3.0, 'AA'`);
    const later = await bench.runWindow('2024-02-03', '2024-02-04');
    expect(pick(later, 'provenance', 'tampering')[0]).toMatchObject({ status: 'fail', message: expect.stringContaining('2024-02-01') });
  });

  it('a window an earlier version recorded ahead of its run (ending in the future) is no reference for the rows that came since', async () => {
    bench = await guardBench();
    const ahead = await bench.runWindow('2024-02-01', '2024-02-02');
    // As if that run had started at noon on Feb 1st: the afternoon had not happened yet.
    bench.project.state.prepare('UPDATE runs SET started_at = ?, finished_at = ? WHERE id = ?').run('2024-02-01T12:00:00.000Z', '2024-02-01T12:00:01.000Z', ahead.runId);
    await bench.writeSource(`SELECT * FROM (${(await import('./helpers.js')).DEFAULT_SOURCE}) UNION ALL SELECT 'SEA', TIMESTAMP '2024-02-01 18:00', TIMESTAMP '2024-02-01 18:05', 3.0, 'AA'`);
    const next = await bench.runWindow('2024-02-02', '2024-02-03');
    expect(pick(next, 'provenance', 'tampering')[0]).toMatchObject({ status: 'skipped', metrics: { partitions_checked: 0, partitions_changed: 0 } });
  });

  it('flags duplicates and created < event as warnings', async () => {
    bench = await guardBench();
    const g = await bench.runWindow('2024-01-01', '2024-01-03', {
      transform: "SELECT * FROM w UNION ALL (SELECT * FROM w LIMIT 2) UNION ALL (SELECT * REPLACE (event_timestamp + INTERVAL 1 SECOND AS event_timestamp, event_timestamp - INTERVAL 1 HOUR AS created_timestamp) FROM w LIMIT 1)",
    });
    expect(pick(g, 'provenance', 'duplicates')[0]).toMatchObject({ status: 'warn', value: 2 });
    expect(pick(g, 'provenance', 'created_before_event')[0]).toMatchObject({ status: 'warn', value: 1 });
    expect(g.verdict).toBe('warn');
  });

  it('flags a volume anomaly against the last runs and staleness beyond max_staleness', async () => {
    // Each run's clock is inside the source's month: a skew of 40 days keeps its later rows from being "future".
    bench = await guardBench({ quality: { anomaly: { max_staleness: '2d' }, provenance: { max_clock_skew: '40d' } } });
    for (let d = 1; d <= 5; d++) await bench.runWindow(`2024-01-0${d}`, `2024-01-0${d + 1}`, { now: new Date(`2024-01-0${d + 1}T01:00:00Z`) });
    const normal = await bench.runWindow('2024-01-06', '2024-01-07', { now: new Date('2024-01-07T01:00:00Z') });
    expect(pick(normal, 'anomaly', 'volume')[0].status).toBe('pass');
    expect(pick(normal, 'anomaly', 'freshness')[0].status).toBe('pass');
    const spike = await bench.runWindow('2024-01-07', '2024-01-08', { now: new Date('2024-01-08T01:00:00Z'), transform: 'SELECT w.* FROM w, range(20)' });
    expect(pick(spike, 'anomaly', 'volume')[0].status).toBe('warn');
    const stale = await bench.runWindow('2024-01-08', '2024-01-09', { now: new Date('2024-01-12T00:00:00Z') });
    expect(pick(stale, 'anomaly', 'freshness')[0].status).toBe('fail');
  });

  it("computes a feature's outlier rate with its own anomaly.outlier_z", async () => {
    // delay ≈ N(10, 2): values of 18 are 4 robust z out (MAD·1.4826 ≈ 2), outliers at z 3, not at the default 5.
    const spiky = "SELECT * REPLACE (CASE WHEN hash(event_timestamp) % 10 = 0 THEN 18.0 ELSE delay END AS delay) FROM w";
    const rate = async (quality?: { anomaly: { outlier_z: number } }) => {
      bench = await guardBench({ features: [{ name: 'delay', type: 'float64', ...(quality ? { quality } : {}) }, { name: 'carrier', type: 'string' }] });
      await bench.runWindow('2024-01-01', '2024-01-08');
      const g = await bench.runWindow('2024-01-08', '2024-01-15', { transform: spiky });
      const r = pick(g, 'anomaly', 'outliers', 'delay')[0];
      await bench.close();
      bench = undefined;
      return r;
    };
    const own = await rate({ anomaly: { outlier_z: 3 } });
    expect(own).toMatchObject({ status: 'warn', thresholds: { z: 3 } });
    expect(own.value).toBeGreaterThan(0.05);
    const dflt = await rate();
    expect(dflt).toMatchObject({ status: 'pass', thresholds: { z: 5 } });
    expect(dflt.value).toBeLessThan(0.01);
  });

  it('counts outliers of a zero-inflated feature (reference MAD 0) by the mean absolute deviation; a constant reference is skipped, saying why', async () => {
    bench = await guardBench({ features: [{ name: 'delay', type: 'float64' }] });
    // Jan 1–10: 60% zeros; from Jan 10: 30% are 1e9 (a unit bug). Jan 20 on: every value 5.
    await bench.writeSource(`SELECT ['SEA','JFK','LAX'][1 + (i % 3)] AS airport, TIMESTAMP '2024-01-01' + INTERVAL (i) HOUR AS ts,
      TIMESTAMP '2024-01-01' + INTERVAL (i) HOUR + INTERVAL 5 MINUTE AS created,
      CASE WHEN i >= 24 * 19 THEN 5 WHEN i >= 216 AND i % 10 < 3 THEN 1e9 WHEN i % 10 < 6 THEN 0 ELSE (i % 50) + 1 END::DOUBLE AS delay FROM range(24 * 31) r(i)`);
    const now = new Date('2024-02-01');
    await bench.runWindow('2024-01-01', '2024-01-10', { now });
    // There was no outliers record at all: neither pass, warn nor skipped.
    const unit = pick(await bench.runWindow('2024-01-10', '2024-01-20', { now }), 'anomaly', 'outliers', 'delay');
    expect(unit).toEqual([expect.objectContaining({ status: 'warn', value: 0.3, message: expect.stringMatching(/^delay outlier rate 0\.3 vs 0 in the previous materialization \(run [0-9a-f]{8}, 2024-01-01 to 2024-01-10; more than 3x and above 1%\)$/) })]);
    await bench.runWindow('2024-01-20', '2024-01-25', { now });
    const constant = pick(await bench.runWindow('2024-01-25', '2024-01-31', { now, transform: 'SELECT * REPLACE (delay * (1 + hour(event_timestamp)) AS delay) FROM w' }), 'anomaly', 'outliers', 'delay');
    expect(constant).toEqual([expect.objectContaining({ status: 'skipped', message: expect.stringMatching(/^delay outlier rate not judged: every value of the previous materialization \(run [0-9a-f]{8}, 2024-01-20 to 2024-01-25\) is 5, no spread to measure outliers by$/) })]);
  });

  it('says the outlier factor and minimum rate it judged by, as configured', async () => {
    bench = await guardBench({ features: [{ name: 'delay', type: 'float64' }], quality: { anomaly: { outlier_factor: 2, outlier_min_rate: 0.05 } } });
    await bench.writeSource(`SELECT ['SEA','JFK','LAX'][1 + (i % 3)] AS airport, TIMESTAMP '2024-01-01' + INTERVAL (i) HOUR AS ts,
      TIMESTAMP '2024-01-01' + INTERVAL (i) HOUR + INTERVAL 5 MINUTE AS created,
      CASE WHEN i >= 216 AND i % 10 < 3 THEN 1e9 ELSE (i % 50) + 1 END::DOUBLE AS delay FROM range(24 * 20) r(i)`);
    const now = new Date('2024-02-01');
    await bench.runWindow('2024-01-01', '2024-01-10', { now });
    const [r] = pick(await bench.runWindow('2024-01-10', '2024-01-20', { now }), 'anomaly', 'outliers', 'delay');
    expect([r.status, r.message]).toEqual(['warn', expect.stringMatching(/; more than 2x and above 5%\)$/)]);
  });

  it('a 0/1 label stored as DOUBLE keeps its classes from run to run (no vanished classes against its own reference)', async () => {
    bench = await guardBench({ role: 'label', features: [{ name: 'late', type: 'float64' }] });
    await bench.writeSource(`SELECT ['SEA','JFK','LAX'][1 + (i % 3)] AS airport, TIMESTAMP '2024-01-01' + INTERVAL (i) HOUR AS ts,
      TIMESTAMP '2024-01-01' + INTERVAL (i) HOUR + INTERVAL 5 MINUTE AS created, (hash(i) % 4 = 0)::DOUBLE AS late FROM range(24 * 31) r(i)`);
    const first = await bench.runWindow('2024-01-01', '2024-01-08');
    const second = await bench.runWindow('2024-01-08', '2024-01-15');
    for (const g of [first, second]) {
      expect(pick(g, 'class_imbalance')[0], JSON.stringify(pick(g, 'class_imbalance')[0])).toMatchObject({ status: 'pass', metrics: expect.objectContaining({ classes: 2 }) });
    }
  });

  it('warns on a null-rate jump and records NaN in floats as a schema failure', async () => {
    bench = await guardBench();
    await bench.runWindow('2024-01-01', '2024-01-08');
    const g = await bench.runWindow('2024-01-08', '2024-01-15', { transform: "SELECT * REPLACE (CASE WHEN hash(event_timestamp) % 4 = 0 THEN NULL ELSE carrier END AS carrier) FROM w" });
    const nr = pick(g, 'anomaly', 'null_rate', 'carrier')[0];
    expect(nr.status).toBe('warn');
    expect(nr.value).toBeGreaterThan(0.1);
    expect(pick(g, 'anomaly', 'null_rate', 'delay')[0].status).toBe('pass');
    const nan = await bench.runWindow('2024-01-15', '2024-01-16', { transform: "SELECT * REPLACE (CASE WHEN hour(event_timestamp) = 3 THEN 'nan'::DOUBLE ELSE delay END AS delay) FROM w" });
    expect(pick(nan, 'schema', 'nan', 'delay')[0]).toMatchObject({ status: 'fail', value: 1 });
    expect(nan.verdict).toBe('block');
  });

  it('judges no null or outlier rate on fewer rows than drift.min_rows: a 1-row push with a null and an outlier is skipped, saying why', async () => {
    bench = await guardBench();
    await bench.runWindow('2024-01-01', '2024-01-08');
    const one = await bench.runWindow('2024-01-08', '2024-01-09', { kind: 'push', transform: 'SELECT * REPLACE (NULL::VARCHAR AS carrier, 400.0 AS delay) FROM w LIMIT 1' });
    expect(pick(one, 'anomaly', 'null_rate', 'carrier')[0]).toMatchObject({ status: 'skipped', message: 'carrier null rate not judged: 1 row(s) < min_rows 30, too few to judge' });
    expect(pick(one, 'anomaly', 'outliers', 'delay')[0]).toMatchObject({ status: 'skipped', message: 'delay outlier rate not judged: 1 row(s) < min_rows 30, too few to judge' });
    expect(one.results.filter((r) => r.check === 'anomaly' && r.status === 'warn')).toEqual([]);
    // 40 rows, 10 carriers null and every delay an outlier: both judged again.
    const many = await bench.runWindow('2024-01-09', '2024-01-11', { kind: 'push', transform: "SELECT * REPLACE (CASE WHEN event_timestamp < TIMESTAMP '2024-01-09 10:00' THEN NULL ELSE carrier END AS carrier, 400.0 AS delay) FROM w WHERE event_timestamp < TIMESTAMP '2024-01-10 16:00'" });
    expect(pick(many, 'anomaly', 'null_rate', 'carrier')[0].status).toBe('warn');
    expect(pick(many, 'anomaly', 'outliers', 'delay')[0].status).toBe('warn');
  });
});
