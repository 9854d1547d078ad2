/** A source path naming no file: validate says paths are relative to the project root and suggests a near name. */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../cli/cli-io.js';
import { writeSmallProject } from '../cli/small-project.js';

let dir: string;
beforeAll(() => {
  dir = writeSmallProject('fg-missing-file-');
  const file = join(dir, 'features', 'defs.yaml');
  writeFileSync(file, readFileSync(file, 'utf8').replace('path: data/stats.csv', 'path: data/stat.csv'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('a source file that does not exist', () => {
  it('is said relative to the project root, with a did-you-mean over its folder', async () => {
    const r = await runCli(['--project', dir, 'validate']);
    expect(r.code).toBe(2);
    expect(r.out).toContain("file 'data/stat.csv' does not exist (a relative path is read from the project root, the folder of featureguard.yaml) (did you mean 'data/stats.csv'?)");
  });
});
