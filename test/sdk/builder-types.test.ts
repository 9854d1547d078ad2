/**
 * The builders' types refuse, under `tsc --strict`, sources that plan/apply would refuse (a review's finding:
 * `defineSource({ name, path, query, timestamp_field })` and `defineSource({ name, timestamp_field })` compiled).
 * builder-types.case.ts holds the cases: compiled as it is, it has no error (an `@ts-expect-error` the types no
 * longer need is one); compiled without its directives, each case they mark is an error, on its own line.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { expect, it } from 'vitest';

const repo = resolve(import.meta.dirname, '../..');
const tsc = join(repo, 'node_modules', 'typescript', 'bin', 'tsc');
const caseFile = join(import.meta.dirname, 'builder-types.case.ts');
const flags = ['--noEmit', '--strict', '--skipLibCheck', '--target', 'es2022', '--lib', 'es2023,dom', '--module', 'nodenext', '--moduleResolution', 'nodenext'];

/** tsc's error lines for one file (empty when it compiles). */
function compile(file: string): string[] {
  try {
    execFileSync(process.execPath, [tsc, ...flags, file], { cwd: repo, stdio: 'pipe' });
    return [];
  } catch (e) {
    return String((e as { stdout: Buffer }).stdout).split('\n').filter((l) => l.includes('error TS'));
  }
}

it('compiles the cases with every @ts-expect-error used', () => {
  expect(compile(caseFile)).toEqual([]);
}, 120_000);

it('refuses each marked case on its own line, and only those', () => {
  const lines = readFileSync(caseFile, 'utf8').split('\n');
  const marked = lines.flatMap((l, i) => (l.trim().startsWith('// @ts-expect-error') ? [i + 2] : []));
  expect(marked.length).toBeGreaterThanOrEqual(9);
  // The same file with each directive blanked (lines keep their numbers), next to the original so imports resolve.
  const dir = mkdtempSync(join(import.meta.dirname, '.builder-types-'));
  try {
    const bare = join(dir, 'bare.case.ts');
    writeFileSync(bare, lines.map((l) => (l.trim().startsWith('// @ts-expect-error') ? '' : l.replace("'../../src/", "'../../../src/"))).join('\n'));
    const errorLines = new Set(compile(bare).map((l) => Number(/\((\d+),\d+\)/.exec(l)?.[1])));
    expect([...errorLines].sort((a, b) => a - b)).toEqual(marked);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}, 120_000);
