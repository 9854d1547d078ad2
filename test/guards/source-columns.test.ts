/**
 * Undeclared columns of a view's source (QUALITY-CHECKS.md: "undeclared extra columns (info)"), read from the
 * source itself on a real Parquet file: the window's rows hold only declared columns, so these come from the
 * DESCRIBE the raw relation was built with. A renamed column is a missing declared feature and an extra column,
 * and the missing one's message names the likely rename.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_SOURCE, guardBench, pick, type GuardBench } from './helpers.js';

let bench: GuardBench | undefined;
afterEach(async () => {
  await bench?.close();
  bench = undefined;
});

const W = ['2024-01-01', '2024-01-08'] as const;

describe('undeclared source columns', () => {
  it('extra source columns are reported as info (status pass, in source order) and changes no verdict', async () => {
    bench = await guardBench();
    await bench.writeSource(`SELECT *, 'B' || (i % 9) AS gate FROM (${DEFAULT_SOURCE.replace('FROM range(24 * 31) r(i)', ', i FROM range(24 * 31) r(i)')})`);
    const g = await bench.runWindow(...W);
    const extra = pick(g, 'schema', 'extra_column');
    expect(extra.map((r) => [r.feature, r.status, r.message, r.details])).toEqual([
      ['i', 'pass', 'undeclared source column i (BIGINT) is not read (info)', { info: true, type: 'BIGINT' }],
      ['gate', 'pass', 'undeclared source column gate (VARCHAR) is not read (info)', { info: true, type: 'VARCHAR' }],
    ]);
    expect(g.verdict).toBe('pass');
  });

  it('a renamed column: missing_column for the declared name, naming the compatible undeclared one, and extra_column for the new name', async () => {
    bench = await guardBench();
    await bench.writeSource(`SELECT * RENAME (delay AS avg_delay), 'x' AS note FROM (${DEFAULT_SOURCE})`);
    const g = await bench.runWindow(...W);
    const [missing] = pick(g, 'schema', 'missing_column', 'delay');
    expect(missing.status).toBe('fail');
    expect(missing.message).toBe('declared feature delay (float64) is missing from the rows; the source has undeclared column avg_delay (DOUBLE) of a compatible type: renamed?');
    expect(missing.details).toMatchObject({ likely_renames: ['avg_delay'] });
    expect(pick(g, 'schema', 'extra_column').map((r) => [r.feature, r.status])).toEqual([['avg_delay', 'pass'], ['note', 'pass']]);
    expect(g.verdict).toBe('block');
  });

  it('many compatible undeclared columns: the hint names the 3 closest names and counts the rest; details keep the 20 closest', async () => {
    bench = await guardBench();
    const extras = Array.from({ length: 200 }, (_, i) => `i + ${i} AS extra_${i + 1}`).join(', ');
    // The renamed column comes last in the source: the ranking, not the source order, puts it first.
    await bench.writeSource(`SELECT * EXCLUDE (delay), ${extras}, delay AS avg_delay, 'x' AS note FROM (${DEFAULT_SOURCE.replace('FROM range(24 * 31) r(i)', ', i FROM range(24 * 31) r(i)')})`);
    const g = await bench.runWindow(...W);
    const [missing] = pick(g, 'schema', 'missing_column', 'delay');
    // avg_delay (the rename, 4 edits from delay) first, then the nearest others in source order among equals
    // (extra_1 .. extra_9 are 6 edits from delay; i is 5: i, then extra_1, extra_2 of the BIGINTs).
    expect(missing.message).toBe('declared feature delay (float64) is missing from the rows; the source has undeclared columns avg_delay (DOUBLE), i (BIGINT), extra_1 (BIGINT) and 199 more of a compatible type: renamed?');
    expect(missing.message.length).toBeLessThan(300);
    const d = missing.details as { likely_renames: string[]; likely_renames_total: number };
    expect(d.likely_renames).toHaveLength(20);
    expect(d.likely_renames.slice(0, 3)).toEqual(['avg_delay', 'i', 'extra_1']);
    expect(d.likely_renames_total).toBe(202);
  });

  it('many undeclared columns: the first 20 are a record each, the rest ONE record naming them (not a record per column per run)', async () => {
    bench = await guardBench();
    const extras = Array.from({ length: 200 }, (_, i) => `${i}::BIGINT AS extra_${i + 1}`).join(', ');
    await bench.writeSource(`SELECT *, ${extras} FROM (${DEFAULT_SOURCE})`);
    const g = await bench.runWindow(...W);
    const extra = pick(g, 'schema', 'extra_column');
    expect(extra).toHaveLength(21);
    expect(extra.slice(0, 20).map((r) => r.feature)).toEqual(Array.from({ length: 20 }, (_, i) => `extra_${i + 1}`));
    const summary = extra[20];
    expect(summary.feature).toBeNull();
    expect(summary.status).toBe('pass');
    expect(summary.message).toBe(`180 more undeclared columns: ${Array.from({ length: 10 }, (_, i) => `extra_${i + 21}`).join(', ')}, …`);
    // The first 100 of them named (a source of 10,000 columns recorded all their names in every run), `more` counts them all.
    expect(summary.details).toEqual({ info: true, more: 180, columns: Array.from({ length: 100 }, (_, i) => `extra_${i + 21}`) });
    expect(g.verdict).toBe('pass');
  });

  it('21 undeclared columns: 20 records and one summary naming the last one, with no ellipsis', async () => {
    bench = await guardBench();
    const extras = Array.from({ length: 21 }, (_, i) => `'x' AS note_${i + 1}`).join(', ');
    await bench.writeSource(`SELECT *, ${extras} FROM (${DEFAULT_SOURCE})`);
    const extra = pick(await bench.runWindow(...W), 'schema', 'extra_column');
    expect(extra.map((r) => r.feature)).toEqual([...Array.from({ length: 20 }, (_, i) => `note_${i + 1}`), null]);
    expect(extra[20].message).toBe('1 more undeclared column: note_21');
    expect(extra[20].details).toEqual({ info: true, more: 1, columns: ['note_21'] });
  });

  it('a `check` of the window reports them too', async () => {
    bench = await guardBench();
    await bench.writeSource(`SELECT * RENAME (carrier AS airline) FROM (${DEFAULT_SOURCE})`);
    const g = await bench.runWindow(...W, { kind: 'check' });
    expect(pick(g, 'schema', 'missing_column', 'carrier')[0].message).toMatch(/undeclared column airline \(VARCHAR\) of a compatible type: renamed\?$/);
    expect(pick(g, 'schema', 'extra_column').map((r) => r.feature)).toEqual(['airline']);
  });
});
