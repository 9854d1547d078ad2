/**
 * What `store.materialize()` answers when a view cannot be materialized, as a script following the README sees it
 * (a review's findings): a source that cannot be read is a `failed` result (as a guard's block is a `blocked` one),
 * which the README's snippet checks; an online store unreachable, so that nothing could run, rejects with the
 * `store_unavailable` FeatureguardError (the runs are still recorded failed, as the CLI records them); the caller's
 * own `onProgress` exception is rethrown as it is, not recorded as featureguard's failure and resolved. The CLI's
 * service function (`materialize`) still resolves with the per-view results it prints (exit 3).
 * Two materializations of one view at once in one process name this process, not "another process".
 */
import { renameSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FeatureguardError, openFeatureStore, type FeatureStore } from '../../src/sdk/index.js';
import { materialize } from '../../src/materialize/materialize.js';
import { guardBench, type GuardBench } from '../guards/helpers.js';

const WINDOW = { start: '2024-01-01T00:00:00Z', end: '2024-01-08T00:00:00Z' };

let bench: GuardBench;
let store: FeatureStore | undefined;
beforeEach(async () => {
  bench = await guardBench();
});
afterEach(async () => {
  await store?.close();
  store = undefined;
  await bench?.close();
});

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('store.materialize', () => {
  it("a source that cannot be read is a 'failed' result naming the source (a result, as 'blocked' is), and the run is recorded failed", async () => {
    renameSync(join(bench.dir, 'data', 'rows.parquet'), join(bench.dir, 'data', 'moved.parquet'));
    store = await openFeatureStore(bench.dir);
    const [result] = await store.materialize(WINDOW);
    expect(result).toMatchObject({ view: 'delays', status: 'failed', entitiesWritten: 0, message: expect.stringContaining("could not read its source 'rows'") });
    expect(store.runs.get(result.run!.id)).toMatchObject({ status: 'failed', message: result.message });
  });

  it('an online store that cannot be reached rejects with store_unavailable (exit code 3), naming the views; the runs are recorded failed as the CLI records them', async () => {
    const port = await closedPort();
    const yaml = join(bench.dir, 'featureguard.yaml');
    writeFileSync(yaml, `${readFileSync(yaml, 'utf8')}online_store:\n  type: redis\n  url: redis://127.0.0.1:${port}\n`);
    store = await openFeatureStore(bench.dir);
    const error = await store.materialize(WINDOW).then(() => null, (e: unknown) => e);
    expect(error).toBeInstanceOf(FeatureguardError);
    expect(error).toMatchObject({
      code: 'store_unavailable', status: 503, exitCode: 3,
      message: expect.stringMatching(new RegExp(`^the redis online store \\(redis://127\\.0\\.0\\.1:${port}/0\\) is unavailable: .*; nothing was materialized \\(view 'delays': run [0-9a-f]{8}`)),
    });
    const details = (error as FeatureguardError).details as { results: { view: string; status: string; run: { id: string } }[] };
    expect(details.results.map((r) => [r.view, r.status])).toEqual([['delays', 'failed']]);
    expect(store.runs.get(details.results[0].run.id)).toMatchObject({ status: 'failed', message: expect.stringContaining('is unavailable') });

    // The CLI's service function still answers the per-view result it prints (and exits 3 on).
    const [cli] = await materialize(store.project, WINDOW);
    expect(cli).toMatchObject({ view: 'delays', status: 'failed', message: expect.stringContaining('is unavailable') });
  });

  it("an onProgress callback that throws rejects with the caller's own exception; the run is failed naming the callback, nothing is written", async () => {
    store = await openFeatureStore(bench.dir);
    const boom = new Error('boom from my callback');
    const error = await store.materialize({ ...WINDOW, onProgress: () => { throw boom; } }).then(() => null, (e: unknown) => e);
    expect(error).toBe(boom);
    const [run] = store.runs.list({ view: 'delays' }).runs;
    expect(run).toMatchObject({ status: 'failed', message: "the onProgress callback threw: boom from my callback" });
    const read = await store.getOnlineFeatures({ features: ['delays:delay'], entities: { airport: ['SEA'] } }, { now: new Date('2024-01-08T00:00:00Z') });
    expect(read.results[1].statuses).toEqual(['NOT_FOUND']);
    // Not swallowed into the next call: a materialization without the callback writes.
    const [ok] = await store.materialize(WINDOW);
    expect(ok.status).toMatch(/^(success|warned)$/);
  });

  it('two materializations of one view at once in one process: the second is refused naming this process, not another one with our pid', async () => {
    store = await openFeatureStore(bench.dir);
    const settled = await Promise.allSettled([store.materialize(WINDOW), store.materialize(WINDOW)]);
    const refused = settled.find((s) => s.status === 'rejected') as PromiseRejectedResult;
    expect(refused, 'one of the two is refused').toBeDefined();
    expect(refused.reason).toMatchObject({ code: 'materialization_running' });
    const message = (refused.reason as Error).message;
    expect(message).not.toContain('another process');
    expect(message).toMatch(/^feature view 'delays' is already being materialized (by this process \(another materialization started at \d{4}-\d\d-\d\dT[\d:.]+Z\)|\(run [0-9a-f-]+; this process, since \d{4}-\d\d-\d\dT[\d:.]+Z\)); wait for it to finish$/);
  });
});

describe("the README's SDK snippet", () => {
  it("checks 'failed' results as well as 'blocked' ones", () => {
    const readme = readFileSync(fileURLToPath(new URL('../../README.md', import.meta.url)), 'utf8');
    const snippet = /const results = await store\.materialize\(\{ incremental: true \}\);[^\n]*\n([^\n]*)\n/.exec(readme);
    expect(snippet).not.toBeNull();
    expect(snippet![1]).toContain("r.status === 'failed'");
    expect(snippet![1]).toContain("r.status === 'blocked'");
  });
});
