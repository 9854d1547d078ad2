import { describe, expect, it } from 'vitest';
import { globRegExp } from './output-targets.js';

describe('globRegExp', () => {
  it('matches paths as DuckDB globs do: * and ? within a folder, ** across folders, classes and alternatives', () => {
    const cases: [string, string, boolean][] = [
      ['/p/data/*.parquet', '/p/data/x.parquet', true],
      ['/p/data/*.parquet', '/p/data/sub/x.parquet', false],
      ['/p/data/*.parquet', '/p/data/x.parquet.manifest.json', false],
      ['/p/data/**/*.parquet', '/p/data/a/b/x.parquet', true],
      ['/p/data/**/*.parquet', '/p/data/x.parquet', true],
      ['/p/data/**', '/p/data/a/x.csv', true],
      ['/p/data/2001-0?.csv', '/p/data/2001-03.csv', true],
      ['/p/data/2001-0?.csv', '/p/data/2001-10.csv', false],
      ['/p/data/[ab].csv', '/p/data/b.csv', true],
      ['/p/data/[!ab].csv', '/p/data/b.csv', false],
      ['/p/data/{x,y}.csv', '/p/data/y.csv', true],
      ['/p/data.v1/*.csv', '/p/dataXv1/a.csv', false],
    ];
    for (const [glob, path, want] of cases) expect(globRegExp(glob).test(path), `${glob} ~ ${path}`).toBe(want);
  });
});
