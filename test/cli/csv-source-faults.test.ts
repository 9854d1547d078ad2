/**
 * A CSV source at fault in its rows, said in one message naming the file (review findings): a row with more fields
 * than the header (DuckDB's sniffer then reads the whole header as one column, or that row as the header) was five
 * "is not a column" problems with a did-you-mean of the header line, and a run's "column 'customer_id' is not in the
 * source's files"; a join key that is no number ('C1' for an int64 key) passed validate and failed the run with
 * DuckDB's raw conversion error.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './cli-io.js';

let dir: string;
const fg = (...argv: string[]) => runCli(['--project', dir, ...argv]);
const HEADER = 'customer_id,updated_at,plan,tenure_months';
const rows = (n: number) => Array.from({ length: n }, (_, i) => `${i + 1},2026-01-${String((i % 28) + 1).padStart(2, '0')}T00:00:00Z,free,${i}`);
const csv = (lines: string[]) => writeFileSync(join(dir, 'data/customers.csv'), `${[HEADER, ...lines].join('\n')}\n`);
const run = () => fg('materialize', '--views', 'profile', '--start', '2026-01-01', '--end', '2026-03-01');

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'fg-csv-faults-'));
  mkdirSync(join(dir, 'data'));
  mkdirSync(join(dir, 'features'));
  writeFileSync(join(dir, 'featureguard.yaml'), 'project: csv_faults\n');
  writeFileSync(join(dir, 'features/defs.yaml'), [
    'kind: entity', 'name: customer', 'join_keys:', '  - {name: customer_id, type: int64}', '---',
    'kind: source', 'name: customers_source', 'path: data/customers.csv', 'timestamp_field: updated_at', '---',
    'kind: feature_view', 'name: profile', 'entities: [customer]', 'source: customers_source', 'ttl: 0', 'online: true', 'features:',
    '  - {name: plan, type: string}', '  - {name: tenure_months, type: int32}', '',
  ].join('\n'));
  csv(rows(40));
  const applied = await fg('apply');
  expect(applied.code).toBe(0);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('a CSV source with a row of more fields than the header', () => {
  for (const [where, line, lines] of [
    ['last (read as the header)', 42, [...rows(40), '41,2026-02-01T00:00:00Z,pro,12,extra']],
    ['early (the file read as one column)', 6, [...rows(4), '5,2026-02-01T00:00:00Z,pro,12,extra', ...rows(40).slice(5)]],
  ] as const) {
    it(`${where}: validate says so once, naming the file and line; materialize fails with the same (exit 3)`, async () => {
      csv([...lines]);
      const v = await fg('validate');
      expect(v.code).toBe(2);
      const text = `${v.out}\n${v.err}`;
      expect(text).toContain('1 problem:');
      expect(text).toContain(`features/defs.yaml:8:7 (source customers_source) at /path: cannot read the source: the CSV file 'data/customers.csv' could not be split into its header's columns: a row has more fields than the header (line ${line}: `);
      expect(text).not.toMatch(/did you mean|field_mapping|is not a column/);
      const m = await run();
      expect(m.code).toBe(3);
      expect(`${m.out}\n${m.err}`).toContain(`feature view 'profile' could not read its source 'customers_source' (path 'data/customers.csv'): the CSV file 'data/customers.csv' could not be split into its header's columns: a row has more fields than the header (line ${line}: `);
      expect(`${m.out}\n${m.err}`).not.toContain('is not in the source');
    });
  }
});

describe('a CSV join key that is no number', () => {
  it('validate names the key, the file, a few of the values and the declared type', async () => {
    csv(rows(40).map((r, i) => (i === 2 ? r.replace(/^3,/, 'C1,') : i === 5 ? r.replace(/^6,/, '6.5,') : i === 7 ? r.replace(/^8,/, 'C1,') : r)));
    const v = await fg('validate');
    expect(v.code).toBe(2);
    expect(`${v.out}\n${v.err}`).toContain(
      "features/defs.yaml:13:12 (feature_view profile) at /entities/0: join key 'customer_id' of entity 'customer' is declared int64, but column 'customer_id' of source 'customers_source' ('data/customers.csv') holds 'C1', '6.5', which are no int64 values (first 1000 rows read)",
    );
  });

  it('materialize fails with the column, the value and the declared type (exit 3), not DuckDB\'s conversion error', async () => {
    csv(rows(40).map((r, i) => (i === 2 ? r.replace(/^3,/, 'C1,') : r)));
    const m = await run();
    expect(m.code).toBe(3);
    const text = `${m.out}\n${m.err}`;
    expect(text).toContain("feature view 'profile' could not read its source 'customers_source' (path 'data/customers.csv'): column 'customer_id' holds 'C1', which is no value of its declared type int64 (a CSV source is text, cast to the declared types as it is read); fix the value in the source");
    expect(text).not.toContain('Conversion Error');
  });
});
