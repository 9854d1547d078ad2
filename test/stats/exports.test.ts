import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import * as stats from '../../src/stats/index.js';

const root = fileURLToPath(new URL('../../', import.meta.url));

describe('featureguard/stats public surface', () => {
  it('is a subpath export of the package pointing at the built index', () => {
    const pkg = JSON.parse(readFileSync(`${root}package.json`, 'utf8')) as { exports: Record<string, { default: string; types: string }> };
    expect(pkg.exports['./stats']).toEqual({ types: './dist/stats/index.d.ts', default: './dist/stats/index.js' });
  });

  it('exports the documented functions', () => {
    for (const name of ['ks2samp', 'chisquare', 'wassersteinDistance', 'jensenshannon', 'spearman', 'mannWhitneyAuc', 'psi', 'ztest2prop', 'linf', 'alignCounts', 'binCounts', 'decileEdges', 'quantiles', 'wassersteinNormed']) {
      expect(typeof (stats as Record<string, unknown>)[name], name).toBe('function');
    }
  });

  it('every function of the public index has JSDoc with an example', () => {
    const dir = `${root}src/stats/`;
    for (const file of readdirSync(dir).filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts') && f !== 'index.ts')) {
      const src = readFileSync(dir + file, 'utf8');
      for (const m of src.matchAll(/export function (\w+)/g)) {
        if (!(m[1] in stats)) continue; // module-internal helper
        const before = src.slice(0, m.index);
        const doc = before.slice(before.lastIndexOf('/**'));
        expect(doc.includes('*/') && doc.includes('@example'), `${file}: ${m[1]}`).toBe(true);
      }
    }
  });
});
