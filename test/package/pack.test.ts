/**
 * What `npm pack` would publish: the code, schemas and the example's definitions, never what running the example
 * leaves behind (its generated data, about 35 MB, and its state database, whose run records name the host and user;
 * `files` overrides .gitignore), and no `sourceMappingURL` pointing at maps the package does not ship.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';

it('publishes the example definitions without its data or state, and no dangling source maps', () => {
  const state = join('examples', 'flights', '.featureguard');
  const made = !existsSync(state);
  mkdirSync(state, { recursive: true });
  const marker = join(state, 'pack-test-marker.db');
  writeFileSync(marker, '');
  try {
    const out = execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    const files = (JSON.parse(out) as { files: { path: string }[] }[])[0].files.map((f) => f.path);
    expect(files).toContain('examples/flights/featureguard.yaml');
    expect(files).toContain('dist/sdk/index.js');
    // Every file package.json exports (and its types) is in the package: `featureguard/signature` was exported
    // while a pack without a fresh build left its file out.
    const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { exports: Record<string, string | Record<string, string>>; bin: Record<string, string>; scripts: Record<string, string> };
    const targets = Object.values(pkg.exports).flatMap((t) => (typeof t === 'string' ? [t] : Object.values(t))).filter((t) => !t.includes('*'));
    expect(targets.map((t) => t.replace(/^\.\//, '')).filter((t) => !files.includes(t))).toEqual([]);
    expect(Object.values(pkg.bin).map((t) => t.replace(/^\.\//, '')).filter((t) => !files.includes(t))).toEqual([]);
    // A pack builds first, so what ships is the code of the checkout.
    expect(pkg.scripts.prepack).toBe('npm run build');
    expect(files.filter((f) => /^examples\/[^/]+\/data\/|\/\.featureguard(\.previous)?\//.test(f))).toEqual([]);
    expect(files.filter((f) => f.endsWith('.map'))).toEqual([]);
    const mapped = files.filter((f) => f.endsWith('.js') && readFileSync(f, 'utf8').includes('sourceMappingURL='));
    expect(mapped).toEqual([]);
  } finally {
    if (made) rmSync(state, { recursive: true, force: true });
    else rmSync(marker, { force: true });
  }
}, 60_000);
