import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { globEscape, resolveSourcePath, sourceResolvesInside, sourceRootsOf } from './source-location.js';

let base: string;
beforeAll(() => {
  base = mkdtempSync(join(tmpdir(), 'fg-source-location-'));
  for (const d of ['p/data/a', 'p/data/deep/er', 'lake/x', 'out']) mkdirSync(join(base, d), { recursive: true });
  for (const f of ['p/data/a/1.parquet', 'p/data/deep/er/2.parquet', 'lake/x/3.parquet', 'out/secret.parquet']) writeFileSync(join(base, f), '');
  writeFileSync(join(base, 'p', 'featureguard.yaml'), 'project: p\n');
});
afterAll(() => rmSync(base, { recursive: true, force: true }));

describe('source roots', () => {
  it('resolves paths inside the project or a data root, and nothing else', () => {
    const roots = sourceRootsOf(join(base, 'p'), { data_roots: ['../lake'] });
    expect(roots.dataRoots).toEqual([join(base, 'lake')]);
    expect(resolveSourcePath(roots, 'data/a/1.parquet')).toBe(join(base, 'p/data/a/1.parquet'));
    expect(resolveSourcePath(roots, join(base, 'lake/x/3.parquet'))).toBe(join(base, 'lake/x/3.parquet'));
    expect(resolveSourcePath(roots, '../lake/x/3.parquet')).toBe(join(base, 'lake/x/3.parquet'));
    expect(resolveSourcePath(roots, '../lake2/x.parquet')).toBeUndefined(); // a sibling whose name begins alike
    expect(resolveSourcePath(roots, join(base, 'out/secret.parquet'))).toBeUndefined();
    expect(sourceResolvesInside({ ...roots, dataRoots: [...roots.dataRoots, join(base, 'missing')] }, join(base, 'out/secret.parquet'))).toBe(false);
  });

  it('finds a link out of the roots that a glob could read, at the depth the glob reaches', () => {
    const roots = sourceRootsOf(join(base, 'p'), { data_roots: ['../lake'] });
    const data = join(base, 'p/data');
    expect(globEscape(roots, `${data}/**/*.parquet`)).toBeUndefined();
    symlinkSync(join(base, 'out'), join(data, 'deep', 'er', 'linked'));
    try {
      // A folder link out, two levels down: `**` reaches it, `*/*.parquet` does not.
      expect(globEscape(roots, `${data}/**/*.parquet`)).toBe(join(data, 'deep/er/linked'));
      expect(globEscape(roots, `${data}/*/*.parquet`)).toBeUndefined();
    } finally {
      rmSync(join(data, 'deep', 'er', 'linked'));
    }
    symlinkSync(join(base, 'out/secret.parquet'), join(data, 'a', 'link.parquet'));
    symlinkSync(join(base, 'out/secret.parquet'), join(data, 'a', 'link.txt'));
    symlinkSync(join(base, 'lake/x/3.parquet'), join(data, 'a', 'lake.parquet')); // into a data root: fine
    try {
      expect(globEscape(roots, `${data}/a/*.parquet`)).toBe(join(data, 'a/link.parquet'));
      expect(globEscape(roots, `${data}/a/*.txt`)).toBe(join(data, 'a/link.txt'));
      expect(globEscape(roots, `${data}/a/l*e.parquet`)).toBeUndefined();
      expect(globEscape(roots, `${data}/a/1.parquet`)).toBeUndefined(); // not a glob
    } finally {
      for (const f of ['link.parquet', 'link.txt', 'lake.parquet']) rmSync(join(data, 'a', f));
    }
  });
});
