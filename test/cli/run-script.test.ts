/**
 * `examples/flights/run.sh` (the newcomer's first command) stays in step with
 * the CLI: it parses, and every command and flag it uses exists. Running it
 * whole builds a 3M-row dataset, which belongs to `npm run example`, not here.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FLIGHTS_EXAMPLE_DIR } from '../helpers/flights.js';
import { runCli } from './cli-io.js';

const script = join(FLIGHTS_EXAMPLE_DIR, 'run.sh');

/** The `fg ...` invocations of the script, with line continuations joined. */
function invocations(): string[][] {
  const text = readFileSync(script, 'utf8').replace(/\\\n\s*/g, ' ');
  return text
    .split('\n')
    .map((line) => line.match(/^\s*(?:step\s+"[^"]*"\s+)?fg (.*)$/)?.[1])
    .filter((rest): rest is string => rest !== undefined)
    .map((rest) => rest.split(/\s+/).filter(Boolean));
}

describe('examples/flights/run.sh', () => {
  it('is valid bash', () => {
    const r = spawnSync('bash', ['-n', script], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
  });

  it('expands arrays as bash before 4.4 takes an empty one under set -u (macOS /bin/bash)', () => {
    for (const file of [script, join(FLIGHTS_EXAMPLE_DIR, 'guards-demo.sh')]) {
      // "${a[@]}" of an empty array is "unbound variable" there; ${a[@]+"${a[@]}"} is nothing.
      const bare = readFileSync(file, 'utf8').split('\n').filter((line) => !line.trimStart().startsWith('#') && /(?<!\+)"\$\{\w+\[[@*]\]\}"/.test(line));
      expect(bare, file).toEqual([]);
    }
  });

  it('uses only commands and flags the CLI has', async () => {
    const calls = invocations();
    expect(calls.map((c) => c[0])).toEqual(['validate', 'plan', 'apply', 'list', 'describe', 'dataset', 'materialize', 'online', 'runs']);
    for (const call of calls) {
      const words = call.slice(0, call.findIndex((t) => t.startsWith('-')) >>> 0).filter((w) => /^[a-z]+$/.test(w));
      const command = words.slice(0, ['dataset', 'online', 'runs'].includes(words[0] as string) ? 2 : 1);
      const help = await runCli([...command, '--help']);
      expect(help.code, `featureguard ${command.join(' ')} --help: ${help.err}`).toBe(0);
      for (const flag of call.filter((t) => t.startsWith('--'))) expect(help.out, `${command.join(' ')} ${flag}`).toContain(flag);
    }
  });
});
