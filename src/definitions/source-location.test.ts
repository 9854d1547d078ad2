import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveSourcePath, sourceResolvesInside, sourceRootsOf } from './source-location.js';

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
});
