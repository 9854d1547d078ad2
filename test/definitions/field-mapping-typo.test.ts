/** A field_mapping key naming no column: the problem also names where the mapping is, in the source's file. */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../cli/cli-io.js';
import { writeSmallProject } from '../cli/small-project.js';

let dir: string;
beforeAll(() => {
  dir = writeSmallProject('fg-mapping-typo-');
  const file = join(dir, 'features', 'defs.yaml');
  // The file's column is "Origin Code"; the mapping misspells it.
  writeFileSync(file, readFileSync(file, 'utf8').replace('timestamp_field: ts', 'timestamp_field: ts\nfield_mapping: {"Origin Cod": origin}'));
  const csv = join(dir, 'data', 'stats.csv');
  writeFileSync(csv, readFileSync(csv, 'utf8').replace(/^origin,/, 'Origin Code,'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('a field_mapping typo', () => {
  it("names the source's /field_mapping key beside the view's join key", async () => {
    const r = await runCli(['--project', dir, 'validate']);
    expect(r.code).toBe(2);
    expect(r.out).toContain("(column 'Origin Cod' via field_mapping) is not a column of source 'src' (did you mean 'Origin Code'?); mapped at features/defs.yaml:10 /field_mapping/Origin Cod of source 'src'");
  });
});
