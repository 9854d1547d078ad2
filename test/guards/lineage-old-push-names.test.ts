/**
 * Pushes recorded by an earlier version (pushed rows `push://VIEW`, the online table `online://sqlite/VIEW`, the
 * appended file by its bare path) export under the names a push records now: the pushed rows
 * `featureguard://PROJECT` `/push/VIEW`, the view's online values, and the view's source as materializations
 * name it. Otherwise one view's pushes split into two lineage graphs across the upgrade, the old pushes' offline
 * writes landing in a dataset no materialization reads (an upgrade review finding).
 */
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { materialize } from '../../src/materialize/materialize.js';
import { createApp } from '../../src/server/app.js';
import { push } from '../../src/serving/push.js';
import type { Lineage } from '../../src/runs/types.js';
import { runCli } from '../cli/cli-io.js';
import { guardBench, type GuardBench } from './helpers.js';

let bench: GuardBench | undefined;
afterEach(async () => {
  await bench?.close();
  bench = undefined;
});

type Named = { namespace: string; name: string };
const names = (ds: readonly Named[]) => ds.map((d) => [d.namespace, d.name]);

/** A copy of run `id` as the earlier version recorded it (its lineage in the old names), under a new id. */
function recordAsOldVersion(b: GuardBench, id: string): string {
  const run = b.project.runs.get(id);
  const file = run.options!.file as string;
  const l = run.lineage!;
  const old: Lineage = {
    ...l,
    inputs: [{ ...l.inputs[0], uri: 'push://delays' }],
    output: run.options!.to === 'offline' ? { kind: 'file', uri: file } : { kind: 'online', uri: 'online://sqlite/delays' },
    ...(l.other_outputs ? { other_outputs: [{ kind: 'file', uri: file, rows: l.other_outputs[0].rows }] } : {}),
  };
  const oldId = randomUUID();
  b.project.state.prepare(`INSERT INTO runs (id, kind, view, status, started_at, finished_at, rows_in, rows_out, counts, lineage, options)
    SELECT ?, kind, view, status, started_at, finished_at, rows_in, rows_out, counts, ?, options FROM runs WHERE id = ?`).run(oldId, JSON.stringify(old), id);
  return oldId;
}

describe('pushes recorded by an earlier version', () => {
  it('export their pushed rows, online values and offline output under the names pushes have now', async () => {
    bench = await guardBench({ sourceGlob: true });
    const source = ['file', join(bench.dir, 'data', 'rows', '*.parquet')];
    const pushed = ['featureguard://guards_test', '/push/delays'];
    const online = ['featureguard://guards_test', '/online/delays'];
    const row = { airport: 'SEA', event_timestamp: '2024-01-31T12:00:00Z', delay: 10, carrier: 'AA' };
    const both = await push(bench.project, { view: 'delays', rows: [row], to: 'both' });
    const offline = await push(bench.project, { view: 'delays', rows: [{ ...row, event_timestamp: '2024-01-31T13:00:00Z' }], to: 'offline' });
    const [m] = await materialize(bench.project, { start: '2024-01-01', end: '2024-02-01', views: ['delays'] });
    const oldBoth = recordAsOldVersion(bench, both.run_id);
    const oldOffline = recordAsOldVersion(bench, offline.run_id);

    const app = createApp(bench.project);
    const viaApi = async (id: string) => (await (await app.request(`/v1/runs/${id}/lineage`)).json()) as { inputs: Named[]; outputs: Named[] };
    const viaCli = async (id: string) => {
      const res = await runCli(['--project', bench!.dir, 'lineage', 'export', id]);
      expect(res.code, res.err).toBe(0);
      return JSON.parse(res.out) as { inputs: Named[]; outputs: Named[] };
    };
    // The materialization reads the source the pushes append to.
    expect(names((await viaApi(m.run!.id)).inputs)).toEqual([source]);
    for (const read of [viaApi, viaCli]) {
      for (const [oldId, newId, outputs] of [[oldBoth, both.run_id, [online, source]], [oldOffline, offline.run_id, [source]]] as const) {
        const [before, now] = [await read(oldId), await read(newId)];
        expect(names(now.inputs)).toEqual([pushed]);
        expect(names(now.outputs)).toEqual(outputs);
        expect(names(before.inputs)).toEqual([pushed]);
        expect(names(before.outputs)).toEqual(outputs);
      }
    }
  });
});
