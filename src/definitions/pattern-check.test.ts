import { DuckDBInstance } from '@duckdb/node-api';
import { describe, expect, it } from 'vitest';
import { literal } from '../offline/engine.js';
import { re2Problem } from './pattern-check.js';

describe('re2Problem', () => {
  it("finds what JavaScript reads and DuckDB's RE2 refuses, with DuckDB's words, and nothing RE2 reads", async () => {
    const refused: [string, string][] = [
      ['^(?!TEST)[A-Z]{3}$', 'invalid perl operator: (?!'], ['a(?=b)', 'invalid perl operator: (?='], ['(?<=a)b', 'invalid perl operator: (?<'],
      ['(?<!a)b', 'invalid perl operator: (?<'], ['(?<n>a)', 'invalid perl operator: (?<'], ['^(.)\\1$', 'invalid escape sequence: \\1'],
      ['(?<n>a)\\k<n>', 'invalid perl operator: (?<'], ['\\u0041', 'invalid escape sequence: \\u'], ['\\cA', 'invalid escape sequence: \\c'], ['[\\y]', 'invalid escape sequence: \\y'],
    ];
    const read = ['^[A-Z]{2}$', '\\d+\\.\\d*', '[(?=]x', '(?i)abc', '(?:a|b)', '(?P<n>a)', '\\Q(?=\\1\\E', '[]a]', '[^]a]', '\\x{41}\\pL\\z\\A\\0', 'a\\-b\\/c'];
    const db = await DuckDBInstance.create(':memory:');
    const conn = await db.connect();
    const duckdb = async (p: string) => conn.runAndReadAll(`SELECT regexp_matches('', ${literal(p)})`).then(() => undefined, (e: Error) => e.message.split('\n')[0].replace(/^Invalid Input Error: /, ''));
    try {
      for (const [p, why] of refused) {
        expect(re2Problem(p), p).toBe(why);
        expect(await duckdb(p), p).toBe(why);
      }
      for (const p of read) {
        expect(re2Problem(p), p).toBeUndefined();
        expect(await duckdb(p), p).toBeUndefined();
      }
    } finally {
      conn.closeSync();
      db.closeSync();
    }
  });
});
