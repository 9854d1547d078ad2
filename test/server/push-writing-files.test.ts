/**
 * A file featureguard is still writing into a glob source's folder (a push's
 * offline file, renamed into place once complete) is never read as source rows
 * (a CLI review finding: after a Ctrl-C during `push --to offline`, a complete
 * temp file matched `data/pushed/*` and every later run read its rows again).
 */
import { copyFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { materialize } from '../../src/materialize/materialize.js';
import { writingName } from '../../src/offline/source-sql.js';
import { useAppFixture } from './fixture.js';

const t = useAppFixture();

describe('files being written into a source folder', () => {
  it('are hidden by name and left out of every read of the glob', async () => {
    const dir = join(t.fx.dir, 'data', 'delays');
    const [part] = readdirSync(dir).filter((f) => f.endsWith('.parquet'));
    const before = (await materialize(t.fx.project, { views: ['origin_delays'], start: '2001-01-01', end: '2001-01-03', guards: false }))[0];
    // A complete copy of the part, as a push interrupted before its rename would leave it.
    const writing = writingName(join(dir, 'push-1.parquet'));
    expect(writing).toBe(join(dir, '.push-1.parquet.featureguard-writing'));
    copyFileSync(join(dir, part), writing);
    const after = (await materialize(t.fx.project, { views: ['origin_delays'], start: '2001-01-01', end: '2001-01-03', guards: false }))[0];
    expect(before.rowsRead).toBeGreaterThan(0);
    expect(after.rowsRead).toBe(before.rowsRead);
  });
});
