import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { defineSource } from '../definitions/define.js';
import { openProject } from '../project.js';
import { checkOutputTargets, globRegExp, sqlReadNames } from './output-targets.js';

describe('checkOutputTargets', () => {
  it("refuses the SQLite online store's database (and its journal files) configured outside the state folder", async () => {
    const root = mkdtempSync(join(tmpdir(), 'fg-targets-'));
    try {
      mkdirSync(join(root, 'features'));
      writeFileSync(join(root, 'featureguard.yaml'), 'project: t\nonline_store: {type: sqlite, path: stores/online.db}\n');
      const project = openProject(root);
      try {
        for (const f of ['stores/online.db', 'stores/online.db-wal']) {
          await expect(checkOutputTargets(project, [join(root, f)])).rejects.toThrow(/online store's database/);
        }
        await expect(checkOutputTargets(project, [join(root, 'stores/online.db.parquet')])).resolves.toBeUndefined();
        // featureguard.yaml too (the rule pushes and sources share).
        await expect(checkOutputTargets(project, [join(root, 'featureguard.yaml')])).rejects.toThrow(/is featureguard.yaml, featureguard's configuration/);
      } finally {
        await project.close();
      }
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});

describe('the files SQL reads', () => {
  it("are its FROM files and its table functions' texts, at any depth; every quoted text when it is no plain SELECT", async () => {
    const root = mkdtempSync(join(tmpdir(), 'fg-targets-'));
    writeFileSync(join(root, 'featureguard.yaml'), 'project: t\n');
    const project = openProject(root);
    const conn = await (await project.engine()).connect();
    try {
      const sql = `WITH c AS (SELECT * FROM 'c.parquet') SELECT * FROM c JOIN read_csv('x/*.csv', header = true) USING (id)
        WHERE id IN (SELECT id FROM read_parquet(['p1.parquet', 'p2.parquet'])) AND name <> 'not a file'
        UNION ALL SELECT * FROM query('SELECT * FROM ''q.parquet''')`;
      expect((await sqlReadNames(conn, sql)).sort()).toEqual(["SELECT * FROM 'q.parquet'", 'c', 'c.parquet', 'p1.parquet', 'p2.parquet', 'q.parquet', 't', 'x/*.csv']); // 't': header = true, as DuckDB parses it
      expect(await sqlReadNames(conn, "PIVOT 'a.parquet' ON x USING sum(y)")).toEqual(['a.parquet']);
    } finally {
      conn.closeSync();
      await project.close();
      rmSync(root, { recursive: true, force: true });
    }
  });
});

describe('checkOutputTargets and SQL', () => {
  it("refuses a file a query source or the entity SQL reads, relative to the project (query) or the build's folder (entity SQL)", async () => {
    const root = mkdtempSync(join(tmpdir(), 'fg-targets-'));
    writeFileSync(join(root, 'featureguard.yaml'), 'project: t\n');
    const project = openProject(root);
    try {
      project.registry.apply([
        defineSource({ name: 'q', query: "SELECT * FROM 'data/q.parquet' UNION ALL SELECT * FROM read_parquet('data/more/*.parquet')", timestamp_field: 'ts' }),
      ]);
      await expect(checkOutputTargets(project, [join(root, 'data/q.parquet')])).rejects.toThrow(/is 'data\/q.parquet', a file the query of source 'q' reads: writing it would replace the source/);
      await expect(checkOutputTargets(project, [join(root, 'data/more/x.parquet')])).rejects.toThrow(/is matched by 'data\/more\/\*.parquet', which the query of source 'q' reads: writing it would add the dataset/);
      await expect(checkOutputTargets(project, [join(root, 'data/other.parquet')])).resolves.toBeUndefined();
      const dir = join(root, 'work');
      await expect(checkOutputTargets(project, [join(dir, 'ent.parquet')], { sql: "SELECT * FROM 'ent.parquet'", dir })).rejects.toThrow(/is 'ent.parquet', a file the entity SQL reads/);
      // The manifest beside an output is refused too.
      await expect(checkOutputTargets(project, [join(dir, 'ent')], { sql: "FROM 'ent.manifest.json'", dir })).rejects.toThrow(/ent.manifest.json is 'ent.manifest.json'/);
    } finally {
      await project.close();
      rmSync(root, { recursive: true, force: true });
    }
  });
});

describe('checkOutputTargets and the definitions folder', () => {
  it('refuses a JSON or YAML output in the definitions folder (validate would read it as definitions), at any depth', async () => {
    const root = mkdtempSync(join(tmpdir(), 'fg-targets-'));
    try {
      for (const [config, folder] of [['project: t\n', 'features'], ['project: t\ndefinitions: .\n', '.']] as const) {
        writeFileSync(join(root, 'featureguard.yaml'), config);
        mkdirSync(join(root, 'features'), { recursive: true });
        const project = openProject(root);
        try {
          for (const f of [`${folder}/train.json`, `${folder}/out/train.JSON`, `${folder}/x.yaml`]) {
            await expect(checkOutputTargets(project, [join(root, f)]), f).rejects.toThrow(`file in the definitions folder '${folder}': validate, plan and apply would read it as definitions`);
          }
          await expect(checkOutputTargets(project, [join(root, folder, 'train.parquet')])).resolves.toBeUndefined();
          if (folder === 'features') await expect(checkOutputTargets(project, [join(root, 'train.json')])).resolves.toBeUndefined();
        } finally {
          await project.close();
        }
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
