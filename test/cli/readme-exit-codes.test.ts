/** The README's CLI reference lists each exit code once (a second row for 3 said something else). */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

describe('README exit codes', () => {
  it('has one row per code', () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    const table = readme.slice(readme.indexOf('Exit codes:'), readme.indexOf('Ctrl-C (or a kill'));
    const codes = [...table.matchAll(/^\| (\d+) \|/gm)].map((m) => m[1]);
    expect(codes.length).toBeGreaterThan(3);
    expect(codes).toEqual([...new Set(codes)]);
  });
});
