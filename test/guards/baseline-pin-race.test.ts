/**
 * `baseline pin --name X` run by two processes at once (a review finding: four at once all exited 0, but three
 * said a fresh pin though each after the first replaced one; the pin read the earlier baseline outside its
 * write). Deterministic: the second process (a second connection to the same state database) pins while the
 * first is between its checks and its write, from the first's read of the run's profiles.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { defineFeatureView } from '../../src/definitions/define.js';
import { getBaseline, pinBaseline, type PinBaselineInput } from '../../src/guards/baselines.js';
import { openProject, type Project } from '../../src/project.js';
import { guardBench, type GuardBench } from './helpers.js';

let b: GuardBench | undefined;
let other: Project | undefined;
afterEach(async () => {
  await other?.close();
  await b?.close();
  b = other = undefined;
});

/** Pin `first` on the bench's project; `meanwhile` runs in another connection just before its write. */
function pinRacing(bench: GuardBench, first: PinBaselineInput, meanwhile: (p: Project) => void) {
  const runs = bench.project.runs;
  const profiles = runs.profiles.bind(runs);
  let raced = false;
  runs.profiles = (id) => {
    if (!raced) (raced = true), meanwhile((other ??= openProject(bench.dir)));
    return profiles(id);
  };
  try {
    return pinBaseline(bench.project, first);
  } finally {
    runs.profiles = profiles;
    expect(raced).toBe(true);
  }
}

describe('baseline pin racing another pin of the same name', () => {
  it('says it replaced the pin the other process wrote', async () => {
    b = await guardBench();
    const r1 = await b.runWindow('2024-01-01', '2024-01-08');
    const r2 = await b.runWindow('2024-01-08', '2024-01-15');
    const pinned = pinRacing(b, { name: 'same', view: 'delays', fromRun: r2.runId }, (p) => {
      expect(pinBaseline(p, { name: 'same', view: 'delays', fromRun: r1.runId }).replaced).toBeNull();
    });
    expect(pinned.replaced).toMatchObject({ run_id: r1.runId, source: `run:${r1.runId}` });
    expect(getBaseline(b.project, 'same')?.run_id).toBe(r2.runId);
  });

  it('refuses the name once the other process pinned it for another view, and leaves that pin', async () => {
    b = await guardBench();
    const set = b.project.registry.current();
    const twin = defineFeatureView({ ...set.views.get('delays')!, name: 'twin' });
    b.project.registry.apply([...set.entities.values(), ...set.sources.values(), ...set.views.values(), twin]);
    const r1 = await b.runWindow('2024-01-01', '2024-01-08');
    // A run of twin: a run of delays' rows recorded under twin's name (profiles of the same columns).
    const twinRun = b.project.runs.create({ kind: 'check', view: 'twin' });
    b.project.runs.addProfiles(twinRun.id, b.project.runs.profiles(r1.runId));
    b.project.runs.update(twinRun.id, { status: 'success', rows_in: 168, finished_at: new Date().toISOString() });
    expect(() =>
      pinRacing(b!, { name: 'x', view: 'delays', fromRun: r1.runId }, (p) => {
        pinBaseline(p, { name: 'x', view: 'twin', fromRun: twinRun.id });
      }),
    ).toThrow(expect.objectContaining({ code: 'baseline_name_taken' }));
    expect(getBaseline(b.project, 'x')).toMatchObject({ view: 'twin', run_id: twinRun.id });
  });
});
