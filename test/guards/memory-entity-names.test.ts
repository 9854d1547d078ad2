/**
 * Entity rows given in memory (an array of objects, an Arrow table) have no path: each build names them by their
 * ordered fingerprint (`memory:rows/CHECKSUM`, the checksum the manifest records), so builds from other rows are
 * other datasets in a lineage graph and builds from the same rows the same one. Every such build shared the one
 * dataset `memory:rows`.
 */
import { tableFromArrays } from 'apache-arrow';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getHistoricalFeatures } from '../../src/offline/historical.js';
import { readManifest } from '../../src/offline/manifest.js';
import { toOpenLineageRunEvent } from '../../src/runs/lineage.js';
import { guardBench, type GuardBench } from './helpers.js';

const rows = (hours: number) => Array.from({ length: hours }, (_, i) => ({
  airport: ['SEA', 'JFK', 'LAX'][i % 3],
  event_timestamp: new Date(Date.UTC(2024, 0, 2, i + 1)).toISOString(),
}));

let bench: GuardBench;
beforeAll(async () => {
  bench = await guardBench();
});
afterAll(async () => {
  await bench?.close();
});

/** The entity input a run's lineage records, and its OpenLineage namespace and name. */
function entityInput(runId: string) {
  const run = bench.project.runs.get(runId);
  const input = run.lineage?.inputs.find((i) => i.kind === 'entities');
  const event = toOpenLineageRunEvent(run, bench.project.runs.results(runId), { namespace: 'guards_test' });
  const exported = event.inputs.find((i) => i.namespace !== 'file');
  return { uri: input?.uri, checksum: (input?.fingerprint as { checksum?: string } | undefined)?.checksum, exported: exported && [exported.namespace, exported.name] };
}

describe('in-memory entity rows in lineage', () => {
  it('are named by their fingerprint: other rows, another dataset; the same rows, the same one', async () => {
    const build = async (entities: Parameters<typeof getHistoricalFeatures>[1]['entities']) =>
      (await getHistoricalFeatures(bench.project, { entities, features: ['delays:delay'], allowFailedChecks: true })).run.id;
    const a = entityInput(await build(rows(30)));
    const b = entityInput(await build(rows(40)));
    const again = entityInput(await build(rows(30)));
    expect(a.uri).toBe(`memory:rows/${a.checksum}`);
    expect(a.exported).toEqual(['memory', `rows/${a.checksum}`]);
    expect(b.uri).not.toBe(a.uri);
    expect(again.uri).toBe(a.uri);
    // An Arrow table likewise.
    const arrow = (n: number) => {
      const r = rows(n);
      return tableFromArrays({ airport: r.map((x) => x.airport), event_timestamp: r.map((x) => x.event_timestamp) });
    };
    const t1 = entityInput(await build({ kind: 'arrow', table: arrow(30) }));
    const t2 = entityInput(await build({ kind: 'arrow', table: arrow(40) }));
    expect(t1.uri).toBe(`memory:arrow/${t1.checksum}`);
    expect(t2.uri).not.toBe(t1.uri);
  });

  it('are named alike in the manifest and the lineage of a build written to a file', async () => {
    const out = join(bench.dir, 'mem.parquet');
    const res = await getHistoricalFeatures(bench.project, { entities: rows(30), features: ['delays:delay'], out, allowFailedChecks: true });
    const m = readManifest(`${out}.manifest.json`);
    expect(m.entities.uri).toBe(`memory:rows/${(m.entities.fingerprint as { checksum: string }).checksum}`);
    expect(entityInput(res.run.id).uri).toBe(m.entities.uri);
  });

  it('are named by the run when a build failed before it could load them', async () => {
    // Rows refused (no columns) record no run at all; a build cancelled before it loaded them records one.
    const before = bench.project.runs.list({ kind: 'dataset' }).total;
    await expect(getHistoricalFeatures(bench.project, { entities: [{}, {}], features: ['delays:delay'] })).rejects.toThrow(/no columns/);
    expect(bench.project.runs.list({ kind: 'dataset' }).total).toBe(before);
    const fail = async () => {
      const signal = AbortSignal.abort();
      await expect(getHistoricalFeatures(bench.project, { entities: [{ origin: 'SEA' }], features: ['delays:delay'], signal })).rejects.toThrow(/cancelled/);
      return bench.project.runs.list({ kind: 'dataset', status: 'failed', limit: 1 }).runs[0];
    };
    const [one, two] = [await fail(), await fail()];
    const uri = (r: typeof one) => r.lineage?.inputs.find((i) => i.kind === 'entities')?.uri;
    expect(uri(one)).toBe(`memory:rows/run-${one.id}`);
    expect(uri(two)).toBe(`memory:rows/run-${two.id}`);
  });
});
