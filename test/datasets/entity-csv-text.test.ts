/**
 * An entity CSV file is read by the product's one CSV rule and never bent into another value (a review's findings,
 * each reproduced first): `""` is the empty string and an empty field NULL, as in sources and in featureguard's own
 * CSV output (a dataset's CSV fed back as entity rows used to turn a `""` key into a null key, blocked); a
 * pass-through column keeps the type DuckDB's sniffer guessed only when every value reads back as the same text,
 * else it is text (a 20-digit id became a rounded DOUBLE, `T` became true, `02134` lost its zero, and a late row
 * that did not fit the guess failed the build).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getHistoricalFeatures, type HistoricalFeaturesRequest } from '../../src/offline/historical.js';
import type { Project } from '../../src/project.js';
import { makeTinyProject } from './tiny-project.js';

let dir: string;
let project: Project;

beforeAll(async () => {
  ({ dir, project } = await makeTinyProject());
  // A merchant whose name is the empty string, as a source CSV writes it.
  writeFileSync(join(dir, 'data', 'merchant_stats.csv'), 'merchant,ts,risk\nacme,2024-01-01T00:30:00Z,0.1\n"",2024-01-01T00:30:00Z,0.7\n');
});
afterAll(async () => {
  await project?.close();
});

const build = (req: Omit<HistoricalFeaturesRequest, 'baseDir'>) => getHistoricalFeatures(project, { baseDir: dir, ...req });
const column = (res: Awaited<ReturnType<typeof build>>, name: string) => {
  const child = res.table!.getChild(name)!;
  return { type: String(child.type), values: [...child.toArray()].map((v) => (typeof v === 'bigint' ? String(v) : v)) };
};

describe('an entity CSV file', () => {
  it('reads "" as the empty string and an empty field as NULL, in a key and in a pass-through column', async () => {
    writeFileSync(join(dir, 'quoted.csv'), 'merchant,event_timestamp,comment\n"",2024-01-01T01:00:00Z,""\nacme,2024-01-01T01:00:00Z,\n');
    const res = await build({ entities: 'quoted.csv', features: ['merchant_stats:risk'] });
    expect(column(res, 'merchant').values).toEqual(['', 'acme']);
    expect(column(res, 'risk').values).toEqual([0.7, 0.1]);
    expect(column(res, 'comment').values).toEqual(['', null]);
  });

  it('keeps a pass-through column as text where the sniffed type would change a value', async () => {
    writeFileSync(join(dir, 'extra.csv'), [
      'merchant,event_timestamp,request_id,version,flag,zip,count,ratio,day',
      'acme,2024-01-01T01:00:00Z,12345678901234567890123,1.10,T,02134,7,0.25,2024-01-02',
      'acme,2024-01-01T01:00:00Z,18446744073709551617,2.00,F,10001,-3,1.5,2024-01-03',
    ].join('\n'));
    const res = await build({ entities: 'extra.csv', features: ['merchant_stats:risk'] });
    expect(column(res, 'request_id')).toEqual({ type: 'Utf8', values: ['12345678901234567890123', '18446744073709551617'] });
    expect(column(res, 'flag')).toEqual({ type: 'Utf8', values: ['T', 'F'] });
    expect(column(res, 'zip')).toEqual({ type: 'Utf8', values: ['02134', '10001'] });
    // Lossless guesses are kept: integers, floats of few digits (1.10 is the number 1.1), ISO dates.
    expect(column(res, 'version').values).toEqual([1.1, 2]);
    expect(column(res, 'count').values).toEqual(['7', '-3']);
    expect(column(res, 'count').type).toMatch(/^Int64/);
    expect(column(res, 'ratio').values).toEqual([0.25, 1.5]);
    expect(column(res, 'day').type).toMatch(/^Date/);
  });

  it('reads a column whose late rows do not fit the sniffed type as text instead of failing the build', async () => {
    const lines = ['merchant,event_timestamp,code'];
    for (let i = 0; i < 30_000; i++) lines.push(`acme,2024-01-01T01:00:00Z,${i}`);
    lines.push('acme,2024-01-01T01:00:00Z,A-17');
    writeFileSync(join(dir, 'late.csv'), lines.join('\n'));
    const res = await build({ entities: 'late.csv', features: ['merchant_stats:risk'] });
    const code = column(res, 'code');
    expect(code.type).toBe('Utf8');
    expect(code.values.slice(-2)).toEqual(['29999', 'A-17']);
  });
});
