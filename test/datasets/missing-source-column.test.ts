/**
 * A declared feature the source's files lack (apply only warns): a dataset build says which feature of which
 * view, in featureguard's words, not with DuckDB's binder text — whichever of DuckDB's two messages it hit.
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runCli } from '../cli/cli-io.js';
import { writeSmallProject } from '../cli/small-project.js';

let dir: string;
const fg = (...argv: string[]) => runCli(['--project', dir, ...argv]);
afterEach(() => rmSync(dir, { recursive: true, force: true }));

async function build(edit: (defs: string) => string, feature: string) {
  dir = writeSmallProject('fg-missing-col-');
  const file = join(dir, 'features', 'defs.yaml');
  writeFileSync(file, edit(readFileSync(file, 'utf8')));
  writeFileSync(join(dir, 'entities.csv'), 'origin,event_timestamp\nSEA,2001-01-01T06:00:00Z\n');
  expect((await fg('apply')).code).toBe(0);
  return fg('dataset', 'build', '--features', feature, '--entities', join(dir, 'entities.csv'), '--out', join(dir, 'out.parquet'));
}

describe('a declared feature missing from the source', () => {
  it('is named as a declared feature the files lack, without the binder text', async () => {
    const r = await build((d) => d.replace('  - {name: n, type: int64, min: 0}', '  - {name: n, type: int64, min: 0}\n  - {name: lifetime_value, type: float64}'), 'stats:lifetime_value');
    expect(r.err).toContain("feature view 'stats' could not read its source 'src' (path 'data/stats.csv'): column 'lifetime_value' is not in the source's files");
    expect(r.err).toContain('featureguard validate');
    expect(r.err).not.toMatch(/Binder Error/);
  });

  it('also when the missing column is mapped from a column named event_timestamp (DuckDB\'s "Alias … referenced")', async () => {
    const r = await build((d) => d.replace('timestamp_field: ts', 'timestamp_field: ts\nfield_mapping: {event_timestamp: last_seen}')
      .replace('  - {name: n, type: int64, min: 0}', '  - {name: n, type: int64, min: 0}\n  - {name: last_seen, type: timestamp}'), 'stats:last_seen');
    expect(r.err).toContain("could not read its source 'src' (path 'data/stats.csv'): column 'event_timestamp' is not in the source's files");
    expect(r.err).not.toMatch(/Binder Error|side effects/);
  });
});
