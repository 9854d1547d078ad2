/**
 * Baselines through the CLI: pin, list, unpin, and drift.reference naming a
 * baseline (a review's findings, each reproduced first).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { defineFeatureView } from '../../src/definitions/define.js';
import { literal } from '../../src/offline/engine.js';
import type { QualityConfig } from '../../src/guards/config.js';
import { findReference } from '../../src/guards/reference.js';
import { DEFAULT_SOURCE, guardBench, type BenchOptions, type GuardBench } from './helpers.js';

async function cli(dir: string, ...args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(['--project', dir, ...args], { out: (t) => (out += `${t}\n`), err: (t) => (err += `${t}\n`), isTty: false });
  return { code, out, err };
}

const errorOf = (r: { err: string }) => (JSON.parse(r.err) as { error: { code: string; message: string } }).error;

let bench: GuardBench | undefined;
afterEach(async () => {
  await bench?.close();
  bench = undefined;
});
const SVC = { services: [{ kind: 'feature_service' as const, name: 'svc', features: ['delays'] }] };
const open = async (o: BenchOptions = {}) => (bench = await guardBench({ ...SVC, ...o }));

/** A second view `twin` on the same source (in no service). */
function addTwin(b: GuardBench, quality?: QualityConfig): void {
  const set = b.project.registry.current();
  const twin = defineFeatureView({ name: 'twin', entities: ['airport'], source: 'rows', ttl: '0', features: [{ name: 'delay', type: 'float64' }], ...(quality ? { quality } : {}) });
  b.project.registry.apply([...set.entities.values(), ...set.sources.values(), ...set.views.values(), ...set.services.values(), twin]);
}

/** Check a training dataset of svc and pin its profiles as baseline `name` of the service. */
async function pinServiceBaseline(b: GuardBench, name: string): Promise<{ code: number; out: string; err: string }> {
  const file = join(b.dir, 'train.parquet');
  await b.conn.run(`COPY (SELECT airport, ts AS event_timestamp, delay, carrier FROM (${DEFAULT_SOURCE})) TO ${literal(file)} (FORMAT parquet)`);
  const checked = JSON.parse((await cli(b.dir, '--json', 'check', '--dataset', file, '--service', 'svc')).out) as { run_id: string };
  writeFileSync(`${file}.manifest.json`, JSON.stringify({ run_id: checked.run_id }));
  return cli(b.dir, '--json', 'baseline', 'pin', '--name', name, '--service', 'svc', '--from-dataset', `${file}.manifest.json`);
}

describe('baselines', () => {
  it('list counts columns as pin does, not slice profiles', async () => {
    const b = await open({ slices: ['airport'] });
    const r1 = await b.runWindow('2024-01-01', '2024-01-08');
    const pinned = JSON.parse((await cli(b.dir, '--json', 'baseline', 'pin', '--name', 'sliced', '--view', 'delays', '--from-run', r1.runId)).out) as { columns: number };
    expect(b.project.runs.profiles(r1.runId).some((p) => p.slice)).toBe(true);
    expect(JSON.parse((await cli(b.dir, '--json', 'baseline', 'list')).out)).toMatchObject([{ name: 'sliced', columns: pinned.columns }]);
  });

  it("refuses a view's run as a service's baseline", async () => {
    const b = await open();
    const r1 = await b.runWindow('2024-01-01', '2024-01-08');
    const refused = await cli(b.dir, '--json', 'baseline', 'pin', '--name', 'serving', '--service', 'svc', '--from-run', r1.runId);
    expect(refused.code).toBe(2);
    expect(errorOf(refused)).toMatchObject({ code: 'baseline_wrong_target', message: expect.stringContaining("is a run of view 'delays', not of service 'svc'") });
  });

  it('refuses a run with fewer rows than drift.min_rows (drift against it would be skipped for good)', async () => {
    const b = await open();
    const tiny = await b.runWindow('2024-01-01', '2024-01-08', { transform: 'SELECT * FROM w ORDER BY event_timestamp LIMIT 10' });
    const refused = await cli(b.dir, '--json', 'baseline', 'pin', '--name', 'tiny', '--view', 'delays', '--from-run', tiny.runId);
    expect(refused.code).toBe(2);
    expect(errorOf(refused)).toMatchObject({ code: 'baseline_from_bad_run', message: expect.stringContaining('read 10 row(s), fewer than drift.min_rows 30 of view delays') });
  });

  it("refuses a name pinned for another target; re-pinning it for the same target replaces it and says so", async () => {
    const b = await open();
    const r1 = await b.runWindow('2024-01-01', '2024-01-08');
    expect((await cli(b.dir, 'baseline', 'pin', '--name', 'jan', '--view', 'delays', '--from-run', r1.runId)).code).toBe(0);
    const taken = await pinServiceBaseline(b, 'jan');
    expect(taken.code).toBe(2);
    expect(errorOf(taken)).toMatchObject({ code: 'baseline_name_taken', message: expect.stringContaining("baseline 'jan' is pinned for view delays, not service svc") });
    expect(JSON.parse((await cli(b.dir, '--json', 'baseline', 'list')).out)).toMatchObject([{ name: 'jan', view: 'delays', service: null }]);
    const again = await cli(b.dir, 'baseline', 'pin', '--name', 'jan', '--view', 'delays', '--from-run', r1.runId);
    expect([again.code, again.out]).toEqual([0, expect.stringMatching(/, replacing the one pinned \S+ from run:/)]);
  });

  it('drift.reference naming a baseline of another view is a drift error, not a comparison; a service baseline serves the views it uses', async () => {
    const b = await open();
    addTwin(b, { drift: { reference: 'baseline:jan' } });
    const r1 = await b.runWindow('2024-01-01', '2024-01-08');
    expect((await cli(b.dir, 'baseline', 'pin', '--name', 'jan', '--view', 'delays', '--from-run', r1.runId)).code).toBe(0);
    const twin = JSON.parse((await cli(b.dir, '--json', 'check', '--view', 'twin', '--start', '2024-01-08', '--end', '2024-01-15')).out) as { results: { check: string; status: string; message: string }[] };
    expect(twin.results.filter((r) => r.check === 'drift')).toEqual([
      expect.objectContaining({ status: 'error', message: expect.stringContaining("configured drift reference baseline 'jan' was pinned for view delays, not view twin") }),
    ]);

    expect((await pinServiceBaseline(b, 'train')).code).toBe(0);
    const ref = (view: string) => findReference(b.project, { view, kind: 'materialize', runId: 'none', setting: 'baseline:train' });
    expect(ref('delays')).toMatchObject({ problem: null, reference: { description: 'baseline:train' } });
    expect(ref('twin')).toMatchObject({ reference: null, problem: expect.stringContaining("was pinned for service svc, not view twin, nor for a service that uses it") });
    expect(findReference(b.project, { service: 'svc', kind: 'dataset', runId: 'none', setting: 'baseline:jan' }).problem).toContain('was pinned for view delays, not service svc');
  });

  it('unpin says what drift uses next (not a service baseline: a view uses one only by name) and refuses a baseline drift.reference names unless --force', async () => {
    const b = await open();
    const r1 = await b.runWindow('2024-01-01', '2024-01-08');
    expect((await pinServiceBaseline(b, 'train')).code).toBe(0);
    expect((await cli(b.dir, 'baseline', 'pin', '--name', 'jan', '--view', 'delays', '--from-run', r1.runId)).code).toBe(0);
    const unpin = await cli(b.dir, 'baseline', 'unpin', 'jan');
    // Warned runs are references too, and only of min_rows or more rows (src/guards/reference.ts): not "the previous successful run".
    expect(unpin.out).toBe(`unpinned baseline 'jan' of view delays; its drift is now measured against the newest run of 30 or more rows that succeeded or warned (${r1.runId}; drift.reference: previous)\n`);
    // The service's baseline (a training set, a row per entity row) is not the view's reference by default; by name it is.
    expect(findReference(b.project, { view: 'delays', kind: 'materialize', runId: 'none', setting: 'previous' }).reference).toMatchObject({ description: 'previous', runId: r1.runId });
    expect(findReference(b.project, { view: 'delays', kind: 'materialize', runId: 'none', setting: 'baseline:train' }).reference).toMatchObject({ description: 'baseline:train' });

    await b.close();
    bench = undefined;
    const c = await open({ viewQuality: { drift: { reference: 'baseline:jan' } } });
    const first = await c.runWindow('2024-01-01', '2024-01-08');
    expect((await cli(c.dir, 'baseline', 'pin', '--name', 'jan', '--view', 'delays', '--from-run', first.runId)).code).toBe(0);
    const refused = await cli(c.dir, '--json', 'baseline', 'unpin', 'jan');
    expect(refused.code).toBe(2);
    expect(errorOf(refused)).toMatchObject({ code: 'baseline_in_use', message: expect.stringContaining("drift.reference of view delays names baseline 'jan'") });
    expect(JSON.parse((await cli(c.dir, '--json', 'baseline', 'list')).out)).toHaveLength(1);
    const forced = await cli(c.dir, 'baseline', 'unpin', 'jan', '--force');
    expect([forced.code, forced.out]).toEqual([0, "unpinned baseline 'jan' of view delays; its drift checks now error: configured drift reference baseline 'jan' is not pinned\n"]);
  });
});
