/**
 * `online get --entity` with a comma inside a key value: `\,` keeps it, and a length mismatch after a split
 * says so.
 */
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseEntityFlags } from '../../src/cli/commands/materialize.js';
import { runCli } from './cli-io.js';
import { SMALL_DEFS, writeSmallProject } from './small-project.js';

let dir: string;
const fg = (...argv: string[]) => runCli(['--project', dir, ...argv]);
beforeAll(async () => {
  dir = writeSmallProject('fg-comma-');
  writeFileSync(join(dir, 'features', 'defs.yaml'), SMALL_DEFS.replace('  - {name: origin, type: string}', '  - {name: origin, type: string}\n  - {name: sku, type: string}'));
  writeFileSync(join(dir, 'data', 'stats.csv'), 'origin,sku,ts,n\nSEA,"SKU,X",2001-01-01T00:00:00Z,7\nSEA,SKU,2001-01-01T00:00:00Z,3\n');
  expect((await fg('apply')).code).toBe(0);
  // Pushed now: a materialized 2001 value would be past the view's ttl.
  writeFileSync(join(dir, 'push.json'), JSON.stringify([{ origin: 'SEA', sku: 'SKU,X', event_timestamp: new Date().toISOString(), n: 7 }]));
  const push = await fg('push', '--view', 'stats', '--file', join(dir, 'push.json'));
  expect(push.code, push.err).toBe(0);
}, 60_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('--entity values holding a comma', () => {
  it('parses \\, as a comma and \\\\ as a backslash', () => {
    expect(parseEntityFlags(['sku=SKU\\,X,B', 'path=a\\\\,b'])).toEqual({ sku: ['SKU,X', 'B'], path: ['a\\', 'b'] });
  });

  it('reads the value with \\, and hints at the escape on a length mismatch', async () => {
    const ok = await fg('--json', 'online', 'get', '--features', 'stats:n', '--entity', 'origin=SEA', '--entity', 'sku=SKU\\,X');
    expect(ok.code, ok.err).toBe(0);
    expect(JSON.parse(ok.out).results.at(-1).values).toEqual([7]);
    const split = await fg('online', 'get', '--features', 'stats:n', '--entity', 'origin=SEA', '--entity', 'sku=SKU,X');
    expect([split.code, split.err]).toEqual([2, "error: entity columns have different lengths (sku has 2, expected 1): --entity splits values at commas; write a comma inside a value as \\, (--entity 'sku=SKU\\,X')"]);
  });
});
