/**
 * Which definition versions a run used: `runs show` prints them (its lineage records them), and
 * `runs list --definition NAME@N` lists the runs that used version N of an object.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openFeatureStore, type FeatureStore } from '../../src/sdk/index.js';
import { appliedDefinitions, createFixture, type Fixture } from '../server/fixture.js';
import { runCli } from './cli-io.js';

let fx: Fixture;
let store: FeatureStore;
let first: string;
let second: string;
beforeAll(async () => {
  fx = await createFixture();
  store = await openFeatureStore(fx.dir);
  const [a] = await store.materialize({ views: ['origin_delays'], start: '2001-01-01T00:00:00Z', end: '2001-01-01T06:00:00Z' });
  first = a!.run!.id;
  // origin_delays v2 (a description): the next run uses it.
  fx.project.registry.apply(appliedDefinitions(fx.project).map((d) => (d.kind === 'feature_view' ? { ...d, description: 'v2' } : d)));
  const [b] = await store.materialize({ views: ['origin_delays'], start: '2001-01-01T06:00:00Z', end: '2001-01-01T12:00:00Z' });
  second = b!.run!.id;
});
afterAll(async () => {
  await store?.close();
  await fx?.close();
});
const cli = (...argv: string[]) => runCli(['--project', fx.dir, ...argv]);

describe('runs and definition versions', () => {
  it('runs show prints the definition versions a run used', async () => {
    const recorded = fx.project.runs.get(first).lineage!.definition_versions;
    expect(recorded['feature_view/origin_delays']?.version).toBe(1);
    const text = (await cli('runs', 'show', first)).out;
    const line = Object.entries(recorded).sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => `${k} v${v.version}`).join(', ');
    expect(text).toContain(`\n  definitions ${line}\n`);
    expect((await cli('runs', 'show', second)).out).toContain('feature_view/origin_delays v2');
  });

  it('runs list --definition NAME@N lists the runs that used version N', async () => {
    const ids = async (...args: string[]) => (JSON.parse((await cli('--json', 'runs', 'list', ...args)).out) as { runs: { id: string }[] }).runs.map((r) => r.id);
    expect(await ids('--definition', 'origin_delays@1')).toEqual([first]);
    expect(await ids('--definition', 'origin_delays@v2', '--kind', 'materialize')).toEqual([second]);
    expect(await ids('--definition', 'feature_view/origin_delays@2')).toEqual([second]);
    // Both runs read source version 1.
    const source = Object.keys(fx.project.runs.get(first).lineage!.definition_versions).find((k) => k.startsWith('source/'))!;
    expect((await ids('--definition', `${source.slice('source/'.length)}@1`)).sort()).toEqual([first, second].sort());
    const none = await cli('runs', 'list', '--definition', 'origin_delays@7');
    expect([none.code, none.err]).toEqual([2, expect.stringContaining("feature_view 'origin_delays' has no version 7")]);
    const bad = await cli('runs', 'list', '--definition', 'origin_delays');
    expect([bad.code, bad.err]).toEqual([2, expect.stringContaining("--definition 'origin_delays': give NAME@N")]);
  });
});
