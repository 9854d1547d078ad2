/**
 * A misspelt option is said as an unknown option with its did-you-mean, not as the required option it was meant to
 * be (`dataset build --output x.parquet` said `required option '--out <file>' not specified`: commander checks
 * required options before unknown ones). A required option really left out is still said as missing.
 */
import { describe, expect, it } from 'vitest';
import { runCli } from './cli-io.js';

/** The first line of stderr (the error; what follows it is the usage hint). */
const firstLine = (err: string): string => err.split('\n')[0];

describe('a misspelt option beside a required one', () => {
  it.each([
    [['dataset', 'build', '--features', 'v', '--entities', 'e.csv', '--output', 'x.parquet'], "error: unknown option '--output'\n(Did you mean --out?)"],
    [['push', '--veiw', 'v', '--file', 'rows.json'], "error: unknown option '--veiw'\n(Did you mean --view?)"],
    [['keys', 'create', '--scop', 'read'], "error: unknown option '--scop'\n(Did you mean --scope?)"],
    [['runs', 'prune', '--older-then', '90d'], "error: unknown option '--older-then'\n(Did you mean --older-than?)"],
    [['baseline', 'pin', '--nam', 'b', '--view', 'v', '--from-run', 'r'], "error: unknown option '--nam'\n(Did you mean --name?)"],
  ])('%j is an unknown option with its did-you-mean (exit 2)', async (argv, message) => {
    const r = await runCli(argv);
    expect(r.code).toBe(2);
    expect(r.err.split('\n').slice(0, 2).join('\n')).toBe(message);
    expect(r.err).not.toContain('required option');
  });

  it.each([
    [['dataset', 'build', '--features', 'v', '--entities', 'e.csv'], "error: required option '-o, --out <file>' not specified"],
    [['push', '--file', 'rows.json'], "error: required option '--view <view>' not specified"],
    [['keys', 'create', '--name', 'ci'], "error: required option '--scope <scope>' not specified"],
    [['runs', 'prune'], "error: required option '--older-than <when>' not specified"],
  ])('%j without its required option says it is missing (exit 2)', async (argv, message) => {
    const r = await runCli(argv);
    expect([r.code, firstLine(r.err)]).toEqual([2, message]);
  });

  it('dataset build takes -o for --out, as lineage export does', async () => {
    const r = await runCli(['dataset', 'build', '--help']);
    expect(r.out).toMatch(/-o, --out <file>/);
    // -o is taken: the build goes on to its own checks (here: no entity rows given), not to "unknown option '-o'".
    const built = await runCli(['dataset', 'build', '--features', 'v', '-o', 'x.parquet']);
    expect([built.code, firstLine(built.err)]).toEqual([2, 'error: give exactly one of --entities FILE or --entities-sql SQL']);
  });
});
