/**
 * `dataset verify` after `featureguard compact` merged pushed files of a glob with text around its `*`
 * (`part-*.parquet`: pushes write `part-push-….parquet`, a compaction `part-push-…-compacted-….parquet`): each
 * pushed file gone names the merged file, and the merged file says what wrote it, for the source whose glob
 * pushes wrote and for another source reading the same folder (`*.parquet`); so does a merged file merged again.
 */
import { basename } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openPushProject, type PushProject } from './push-project.js';

const DEFS = `kind: entity
name: user
join_keys: [{name: user_id, type: int64}]
---
kind: source
name: s
path: data/s/part-*.parquet
timestamp_field: ts
---
kind: source
name: every
path: data/s/*.parquet
timestamp_field: ts
---
kind: feature_view
name: v
entities: [user]
source: s
quality: {drift: off, anomaly: off}
features: [{name: n, type: int64}]
---
kind: feature_view
name: w
entities: [user]
source: every
quality: {drift: off, anomaly: off}
features: [{name: n, type: int64}]
`;

const SEED = "SELECT u::BIGINT AS user_id, TIMESTAMP '2026-01-01' AS ts, u::BIGINT AS n FROM range(1, 4) a(u)";
const ENTITIES = [1, 2, 3].map((u) => ({ user_id: u, event_timestamp: '2026-01-09T00:00:00Z' }));

const projects: PushProject[] = [];
afterEach(async () => {
  for (const p of projects.splice(0)) await p.close();
});

/** Push one row each for `users` to view `v` (source `s`); the files written. */
async function push(p: PushProject, users: readonly number[]): Promise<string[]> {
  const files: string[] = [];
  for (const u of users) files.push((await p.fs.push({ view: 'v', rows: [{ user_id: u, event_timestamp: `2026-01-0${u + 1}T00:00:00Z`, n: u * 10 }], to: 'offline' })).file!);
  return files;
}

/** Build a dataset of both views into `name`; its manifest's path. */
async function build(p: PushProject, name: string): Promise<string> {
  const out = `${p.dir}/${name}.parquet`;
  await p.fs.getHistoricalFeatures({ entities: ENTITIES, features: ['v:n', 'w:n'], fullFeatureNames: true, out });
  return `${out}.manifest.json`;
}

/** The messages `dataset verify` gives for `manifest`, by source. */
async function messages(p: PushProject, manifest: string): Promise<Record<string, string[]>> {
  const v = await p.fs.verifyDataset(manifest);
  const out: Record<string, string[]> = {};
  for (const d of v.differences) (out[d.name] ??= []).push(d.message);
  return out;
}

/** What `dataset verify` says of `gone` files merged into `merged`, and of `merged`, for source `source`. */
function expected(source: string, gone: readonly string[], merged: string): string[] {
  const at = (f: string) => `data/s/${basename(f)}`;
  return [
    ...gone.map((f) => `file ${at(f)} of source '${source}' is gone (probably merged by \`featureguard compact\` into ${at(merged)}: the rows may be the same, but the build read other files)`),
    `file ${at(merged)} was added to source '${source}' (a file \`featureguard compact\` merged pushed files into)`,
  ].sort();
}

describe('dataset verify after compact, for a glob with text around its `*`', () => {
  it("names the part-push-…-compacted-… file the pushed part-push-… files were merged into, and a merged file merged again", async () => {
    const p = await openPushProject('verify_compacted', DEFS, { parquet: { 's/part-0.parquet': SEED } });
    projects.push(p);
    const pushed = await push(p, [1, 2, 3]);
    for (const f of pushed) expect(basename(f)).toMatch(/^part-push-\d{8}T\d{9}Z-[0-9a-f-]{36}\.parquet$/);
    const first = await build(p, 'first');
    expect((await p.fs.verifyDataset(first)).reproducible).toBe(true);

    const merged = (await p.fs.compact()).groups[0].file!;
    expect(basename(merged)).toMatch(/^part-push-\d{8}T\d{9}Z-compacted-[0-9a-f-]{36}\.parquet$/);
    const said = await messages(p, first);
    expect(Object.fromEntries(Object.entries(said).map(([k, v]) => [k, [...v].sort()]))).toEqual({ s: expected('s', pushed, merged), every: expected('every', pushed, merged) });

    // Built from the merged file, which a second compaction merges with new pushes.
    const second = await build(p, 'second');
    await push(p, [4, 5]);
    const again = (await p.fs.compact()).groups[0].file!;
    expect(again).not.toBe(merged);
    const said2 = await messages(p, second);
    expect(Object.fromEntries(Object.entries(said2).map(([k, v]) => [k, [...v].sort()]))).toEqual({ s: expected('s', [merged], again), every: expected('every', [merged], again) });
  });
});
