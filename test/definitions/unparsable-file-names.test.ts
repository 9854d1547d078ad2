/** A definition file that does not parse: its names are not also reported "unknown" wherever they are used. */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../cli/cli-io.js';
import { writeSmallProject } from '../cli/small-project.js';

let dir: string;
beforeAll(() => {
  dir = writeSmallProject('fg-unparsable-');
  const file = join(dir, 'features', 'defs.yaml');
  const [entity, ...rest] = readFileSync(file, 'utf8').split('---\n');
  writeFileSync(file, rest.join('---\n'));
  // An indentation slip: the file does not parse.
  writeFileSync(join(dir, 'features', 'entities.yaml'), entity.replace('  - {name: origin, type: string}', ' - {name: origin, type: string}\n  - foo'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('an entities file that does not parse', () => {
  it('is the one problem: views using its entity are not reported as naming an unknown entity', async () => {
    const r = await runCli(['--project', dir, '--json', 'validate']);
    const problems = JSON.parse(r.out).problems as { file: string; message: string }[];
    expect(problems.length).toBeGreaterThan(0);
    expect(problems.every((p) => p.file === 'features/entities.yaml'), JSON.stringify(problems)).toBe(true);
    expect(problems.some((p) => /unknown entity/.test(p.message))).toBe(false);
  });
});
