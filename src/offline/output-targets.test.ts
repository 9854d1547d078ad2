import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openProject } from '../project.js';
import { checkOutputTargets, globRegExp } from './output-targets.js';

describe('checkOutputTargets', () => {
  it("refuses the SQLite online store's database (and its journal files) configured outside the state folder", async () => {
    const root = mkdtempSync(join(tmpdir(), 'fg-targets-'));
    try {
      mkdirSync(join(root, 'features'));
      writeFileSync(join(root, 'featureguard.yaml'), 'project: t\nonline_store: {type: sqlite, path: stores/online.db}\n');
      const project = openProject(root);
      try {
        for (const f of ['stores/online.db', 'stores/online.db-wal']) {
          expect(() => checkOutputTargets(project, [join(root, f)])).toThrow(/online store's database/);
        }
        expect(() => checkOutputTargets(project, [join(root, 'stores/online.db.parquet')])).not.toThrow();
      } finally {
        await project.close();
      }
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});

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
