import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openRunStore } from '../../runs/run-store.js';
import { openStateDb } from '../../state/state-db.js';
import { featureHistory } from './history-data.js';

const dir = mkdtempSync(join(tmpdir(), 'fg-history-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('featureHistory', () => {
  it('charts the missing rate the null-rate check judges: NULL, NaN and ±Inf over the rows', () => {
    const state = openStateDb(join(dir, 'state.db'));
    const runs = openRunStore(state);
    const run = runs.create({ kind: 'materialize', view: 'v' });
    runs.addProfiles(run.id, [{ column: 'x', profile: { count: 10, nulls: 1, nan: 6, inf: 1 } }, { column: 'y', profile: { count: 4, nulls: 1 } }]);
    expect(featureHistory({ runs, state }, 'v', 'x').map((p) => [p.nullRate, p.rows])).toEqual([[0.8, 10]]);
    // A profile of an earlier version without NaN counts: its NULLs alone.
    expect(featureHistory({ runs, state }, 'v', 'y').map((p) => p.nullRate)).toEqual([0.25]);
    state.close();
  });
});
