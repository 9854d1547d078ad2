/**
 * A run is judged by the definitions it was built with (a review finding: a dataset build that overlapped an
 * apply in another process was joined and cast under one definition and checked against the next one: blocked
 * by a schema check on data that was fine, or, for a feature the apply removed, not checked at all).
 * The apply here happens between the build's join and its guard stage, from the build's own progress callback.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defineFeatureView } from '../../src/definitions/define.js';
import type { DefinitionSet, FeatureDef } from '../../src/definitions/types.js';
import { getHistoricalFeatures, type DatasetProgress } from '../../src/offline/historical.js';
import { materialize } from '../../src/materialize/materialize.js';
import { runGuardStage, type GuardStageInput } from '../../src/guards/stage.js';
import { guardBench, type GuardBench } from './helpers.js';

let b: GuardBench;
beforeAll(async () => {
  b = await guardBench({ services: [{ kind: 'feature_service', name: 'svc', features: ['delays'] }] });
});
afterAll(async () => {
  await b?.close();
});

const ENTITIES = Array.from({ length: 60 }, (_, i) => ({ airport: ['SEA', 'JFK', 'LAX'][i % 3], event_timestamp: new Date(Date.parse('2024-01-10T00:00:00Z') + i * 3_600_000).toISOString() }));

/** Apply the view `delays` with other features (in this process: what another process's apply looks like once read). */
function applyDelays(features: FeatureDef[]): void {
  const set = b.project.registry.current();
  b.project.registry.apply([...set.entities.values(), ...set.sources.values(), defineFeatureView({ ...set.views.get('delays')!, features }), ...set.services.values()], { allowBreaking: true });
}

const ORIGINAL: FeatureDef[] = [{ name: 'delay', type: 'float64' }, { name: 'carrier', type: 'string' }];

/** A build whose definitions change (by `next`) once its rows are joined, before the guards judge them. */
async function buildRacingApply(next: FeatureDef[]) {
  let applied = false;
  const onProgress = (e: DatasetProgress) => {
    if (e.phase === 'guards' && !applied) (applied = true), applyDelays(next);
  };
  try {
    const res = await getHistoricalFeatures(b.project, { entities: ENTITIES, service: 'svc', onProgress });
    expect(applied).toBe(true);
    return res;
  } finally {
    applyDelays(ORIGINAL);
  }
}

describe('a dataset build overlapping an apply', () => {
  it('is judged by the types it was joined with, not blocked by a type applied meanwhile', async () => {
    const res = await buildRacingApply([{ name: 'delay', type: 'int64' }, { name: 'carrier', type: 'string' }]);
    const types = res.checks.results.filter((r) => r.check === 'schema' && r.method === 'type' && r.feature === 'delay');
    expect(types.map((r) => [r.status, r.message])).toEqual([['pass', expect.any(String)]]);
    expect(res.status, res.checks.blockedReason ?? '').not.toBe('blocked');
  });

  it('still checks a feature an apply removed meanwhile (its column is in the dataset)', async () => {
    const res = await buildRacingApply([{ name: 'delay', type: 'float64' }]);
    expect(res.table?.schema.fields.map((f) => f.name)).toContain('carrier');
    const carrier = res.checks.results.filter((r) => r.feature === 'carrier' && r.check === 'schema');
    expect(carrier.length).toBeGreaterThan(0);
  });
});

describe('a materialization overlapping an apply', () => {
  it('gives its guard stage the definitions it pinned under its lease', async () => {
    let pinned: DefinitionSet | null = null;
    let given: DefinitionSet | undefined;
    const guardStage = async (input: GuardStageInput) => {
      pinned = b.project.registry.current();
      applyDelays([{ name: 'delay', type: 'float64' }, { name: 'carrier', type: 'string' }, { name: 'extra', type: 'float64' }]);
      given = input.definitions;
      return runGuardStage(input);
    };
    try {
      const [r] = await materialize(b.project, { start: '2024-01-10T00:00:00Z', end: '2024-01-12T00:00:00Z', views: ['delays'], guardStage });
      expect(r.status, r.message ?? '').toMatch(/success|warned/);
      expect(given).toBeDefined();
      expect(given).toBe(pinned);
      expect(given).not.toBe(b.project.registry.current());
    } finally {
      applyDelays(ORIGINAL);
    }
  });
});

describe('the guard stage', () => {
  it('reads the view and its entities from the definitions it is given, not from the registry', async () => {
    const pinned = b.project.registry.current();
    const conn = b.conn;
    await conn.run(`CREATE OR REPLACE TEMP TABLE pinned_rows AS SELECT 'SEA' AS airport, TIMESTAMP '2024-01-10' AS event_timestamp, NULL::TIMESTAMP AS created_timestamp, 1.5 AS delay, 'AA' AS carrier`);
    applyDelays([{ name: 'delay', type: 'float64' }]);
    try {
      const run = b.project.runs.create({ kind: 'check', service: 'svc' });
      const g = await runGuardStage({
        project: b.project, run, kind: 'check', service: pinned.services.get('svc'), conn, table: 'pinned_rows', definitions: pinned, alerts: false,
        dataset: { entityTimestampColumn: 'event_timestamp', joinKeyColumns: ['airport'], features: [{ column: 'delay', view: 'delays', feature: 'delay' }, { column: 'carrier', view: 'delays', feature: 'carrier' }], viewTimestamps: [], availability: 'event' },
      });
      expect(g.results.some((r) => r.feature === 'carrier' && r.check === 'schema')).toBe(true);
    } finally {
      applyDelays(ORIGINAL);
    }
  });
});
