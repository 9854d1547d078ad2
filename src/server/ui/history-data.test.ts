import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openRunStore } from '../../runs/run-store.js';
import { openStateDb } from '../../state/state-db.js';
import { driftResultsSql, featureHistory, featureHistoryLeftOut } from './history-data.js';

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

  it('reads the drift results of its runs by run, not those of every run of the feature', () => {
    const state = openStateDb(join(dir, 'drift.db'));
    const runs = openRunStore(state);
    const ids = [0, 1, 2].map(() => runs.create({ kind: 'materialize', view: 'v' }).id);
    const drift = (id: string, feature: string, value: number, slice?: string) =>
      runs.addResults([{ run_id: id, check: 'drift', method: 'psi', feature, slice: slice ?? null, status: 'pass', value, thresholds: null, metrics: null, message: '', details: null }]);
    drift(ids[0], 'x', 1);
    drift(ids[0], 'x', 9);
    drift(ids[1], 'x', 2, 'cat=a');
    drift(ids[1], 'x', 3);
    drift(ids[2], 'y', 4);
    // Before: "SEARCH check_results USING INDEX check_results_feature (feature=? AND check=?)".
    const plan = (state.prepare(`EXPLAIN QUERY PLAN ${driftResultsSql(3)}`).all(...ids, 'x') as { detail: string }[]).map((p) => p.detail).join('; ');
    expect(plan).toMatch(/USING INDEX sqlite_autoindex_check_results_1 \(run_id=\?\)/);
    expect(plan).not.toMatch(/check_results_feature|TEMP B-TREE/);
    // The first unsliced drift result of the feature per run, as before.
    const byRun = new Map(featureHistory({ runs, state }, 'v', 'x').map((p) => [p.run.id, p.drift?.value ?? null]));
    expect(ids.map((id) => byRun.get(id))).toEqual([1, 3, null]);
    state.close();
  });
});

describe('featureHistory with pushes', () => {
  it('leaves out by default the pushes whose drift of the feature measured nothing, and takes a kind', async () => {
    const state = openStateDb(join(dir, 'pushes.db'));
    const runs = openRunStore(state);
    const drift = (id: string, status: 'pass' | 'skipped') =>
      runs.addResults([{ run_id: id, check: 'drift', method: status === 'pass' ? 'psi' : null, feature: 'x', slice: null, status, value: status === 'pass' ? 0.01 : null, thresholds: null, metrics: null, message: '', details: null }]);
    let n = 0;
    const create = (kind: 'materialize' | 'push') => {
      const r = runs.create({ kind, view: 'v' });
      state.prepare('UPDATE runs SET started_at = ? WHERE id = ?').run(new Date(Date.UTC(2026, 0, 1, 0, n++)).toISOString(), r.id);
      return r;
    };
    const m = create('materialize');
    const measured = create('push');
    await drift(measured.id, 'pass');
    const tiny: string[] = [];
    for (let i = 0; i < 5; i++) {
      const p = create('push');
      await drift(p.id, 'skipped');
      tiny.push(p.id);
    }
    const ids = (h: ReturnType<typeof featureHistory>) => h.map((p) => p.run.id);
    // Oldest first: the materialization (a first run: no drift result, but a null rate), the measured push.
    expect(ids(featureHistory({ runs, state }, 'v', 'x', 3))).toEqual([m.id, measured.id]);
    // Not finished (the runs were never updated): counted as such, not as values left out.
    expect(featureHistoryLeftOut({ runs, state }, 'v', 'x')).toEqual(new Map([['running', 5]]));
    runs.update(tiny[0], { status: 'success' });
    runs.update(tiny[1], { status: 'blocked' });
    expect(featureHistoryLeftOut({ runs, state }, 'v', 'x')).toEqual(new Map([['running', 3], ['blocked', 1], ['not_measured', 1]]));
    expect(ids(featureHistory({ runs, state }, 'v', 'x', 3, 'push'))).toEqual(tiny.slice(2));
    expect(ids(featureHistory({ runs, state }, 'v', 'x', 50, 'materialize'))).toEqual([m.id]);
    state.close();
  });
});
