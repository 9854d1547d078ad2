/**
 * Pushed files of a glob source with text around its `*` (`part-*.parquet`: a push writes `part-push-….parquet`):
 * a push (`offlineTarget`, which builds the name with `pushFileNames`) writes the name the README gives, built here
 * from the instant's UTC fields (the reference), compaction's template (from the path the source reads) builds the
 * same, its matcher takes back only names the builder makes, and a real compaction after `runs prune` merges such
 * files, never a user's file beside them (a name with an impossible time, a run id that is no UUID, another name
 * the glob reads).
 */
import fc from 'fast-check';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { sourceRootsOf } from '../definitions/source-location.js';
import { openOfflineEngine } from '../offline/engine.js';
import { compactedRunId, pushFileNames } from '../offline/push-file-name.js';
import { writingName } from '../offline/source-sql.js';
import { openPushProject, type PushProject } from '../../test/datasets/push-project.js';
import { offlineTarget } from './push-rows.js';

const roots = sourceRootsOf(mkdtempSync(join(tmpdir(), 'fg-push-names-')), undefined);
const instant = fc.date({ min: new Date('0000-01-01T00:00:00.000Z'), max: new Date('9999-12-31T23:59:59.999Z'), noInvalidDate: true });
/** Text around a glob's `*`: characters a file name may have, regular expression ones among them (no other wildcard). */
const text = fc.string({ unit: fc.constantFrom(...'ab-_.+()$^|0 ZT'), maxLength: 8 });
/** A glob's file name: text, `*`, text (sometimes a second `*`, which a push drops), an extension. */
const fileGlob = fc
  .tuple(text, text, fc.constantFrom('', '*'), text, fc.constantFrom('.parquet', '.csv', '.PARQUET', ''))
  .map(([before, after, star, tail, ext]) => `${before}*${after}${star}${tail}${ext}`)
  .filter((g) => !g.startsWith('.'));

/**
 * The name a push to a source reading `glob` writes, as the README gives it, built without push-file-name.ts: the
 * glob's file name with `push-<time>-<run id>` for its first `*` and any other `*` dropped, the time the instant's
 * UTC fields in ISO 8601 basic form to the millisecond.
 */
function referenceName(glob: string, at: Date, runId: string): string {
  const pad = (n: number, width: number) => String(n).padStart(width, '0');
  const time = `${pad(at.getUTCFullYear(), 4)}${pad(at.getUTCMonth() + 1, 2)}${pad(at.getUTCDate(), 2)}T${pad(at.getUTCHours(), 2)}${pad(at.getUTCMinutes(), 2)}${pad(at.getUTCSeconds(), 2)}${pad(at.getUTCMilliseconds(), 3)}Z`;
  const [before, ...after] = glob.split('*');
  return `${before}push-${time}-${runId}${after.join('')}`;
}

describe('pushFileNames', () => {
  it("a push to the glob writes the name the README gives, which compaction's template builds and parses back, and it parses back only the names it builds (property)", () => {
    fc.assert(
      fc.property(fileGlob, instant, fc.uuid(), fc.nat(), (glob, at, runId, cut) => {
        const target = offlineTarget(roots, { kind: 'source', name: 's', path: `data/${glob}`, timestamp_field: 'ts' }, runId, at);
        expect(target.file).toBe(referenceName(glob, at, runId));
        // As compaction derives it (`pushFolders`: the file name of the path the source reads).
        const names = pushFileNames(basename(target.readPath));
        expect(names.name(at, runId)).toBe(target.file);
        expect(names.parse(target.file)).toEqual({ at: at.toISOString(), runId });
        // A compaction's merged file, named with `compacted-<uuid>`, is a merged file and no push's.
        const merged = referenceName(glob, at, compactedRunId(runId));
        expect(names.compacted.test(merged)).toBe(true);
        expect(names.parse(merged)).toBeNull();
        expect(names.parseCompacted(merged)).toEqual({ at: at.toISOString(), runId: compactedRunId(runId) });
        expect(names.compacted.test(target.file)).toBe(false);
        expect(names.parseCompacted(target.file)).toBeNull();
        // Cut anywhere, or with a character more: taken only when it is still a name the builder makes.
        const i = cut % (target.file.length + 1);
        for (const other of [target.file.slice(0, i) + target.file.slice(i + 1), `${target.file.slice(0, i)}x${target.file.slice(i)}`, `${target.file.slice(0, i)}9${target.file.slice(i)}`]) {
          const parts = names.parse(other);
          if (parts !== null) expect(names.name(new Date(parts.at), parts.runId)).toBe(other);
          const mergedParts = names.parseCompacted(other);
          if (mergedParts !== null) expect(names.name(new Date(mergedParts.at), mergedParts.runId)).toBe(other);
        }
      }),
      { numRuns: 1500 },
    );
  });

  it('takes no name whose time is no instant, nor another glob text around the stem', () => {
    const names = pushFileNames('part-*.parquet');
    const id = '00000000-0000-4000-8000-000000000000';
    expect(names.parse(`part-push-20260102T030405678Z-${id}.parquet`)).toEqual({ at: '2026-01-02T03:04:05.678Z', runId: id });
    for (const other of [`part-push-19708101T000000000Z-${id}.parquet`, `push-20260102T030405678Z-${id}.parquet`, `xpart-push-20260102T030405678Z-${id}.parquet`, `part-push-20260102T030405678Z-${id}.csv`, `part-push-20260102T030405678Z-not-a-run.parquet`, 'part-0.parquet']) {
      expect(names.parse(other), other).toBeNull();
    }
  });
});

const DEFS = `kind: entity
name: user
join_keys: [{name: user_id, type: int64}]
---
kind: source
name: s
path: data/s/part-*.parquet
timestamp_field: ts
---
kind: feature_view
name: v
entities: [user]
source: s
online: true
quality: {drift: off, anomaly: off}
features: [{name: n, type: int64}]
`;

const ROW = `SELECT 9::BIGINT AS user_id, TIMESTAMP '2026-01-02' AS ts, 9::BIGINT AS n`;

const projects: PushProject[] = [];
afterEach(async () => {
  for (const p of projects.splice(0)) await p.close();
});

/** Every row the glob reads, sorted. */
async function globRows(p: PushProject): Promise<unknown> {
  const conn = await (await openOfflineEngine()).connect();
  try {
    return (await conn.runAndReadAll(`SELECT * FROM read_parquet('${join(p.dir, 'data', 's', 'part-*.parquet')}') ORDER BY ALL`)).getRowObjectsJson();
  } finally {
    conn.closeSync();
  }
}

describe('compact of a glob with text around its `*`, after runs prune', () => {
  it("merges the pruned pushes' part-push-… files into a part-push-…-compacted-… file, never the user's files beside them", async () => {
    const p = await openPushProject('compact_prefixed', DEFS, { parquet: { 's/part-0.parquet': "SELECT u::BIGINT AS user_id, TIMESTAMP '2026-01-01' AS ts, u::BIGINT AS n FROM range(1, 4) a(u)" } });
    projects.push(p);
    const pushed: string[] = [];
    for (const u of [1, 2, 3]) {
      const r = await p.fs.push({ view: 'v', rows: [{ user_id: u, event_timestamp: `2026-01-0${u + 1}T00:00:00Z`, n: u * 10 }], to: 'offline' });
      pushed.push(r.file!);
    }
    for (const f of pushed) expect(basename(f)).toMatch(/^part-push-\d{8}T\d{9}Z-[0-9a-f-]{36}\.parquet$/);
    const before = await globRows(p);
    const { pruneRuns } = await import('../runs/prune.js');
    expect(pruneRuns(p.fs.project.state, { before: new Date(Date.now() + 1000), keep: 0 }).deleted).toBeGreaterThanOrEqual(3);
    expect(p.fs.runs.list({ kind: 'push' }).runs).toHaveLength(0);

    // Files of the user's the glob reads too, named almost as a push's, and what a compaction killed before its
    // journal left (a hidden merged file being written).
    const dir = join(p.dir, 'data', 's');
    const users = ['part-push-19708101T000000000Z-00000000-0000-4000-8000-000000000000.parquet', 'part-push-20260101T000000000Z-not-a-run.parquet', 'part-notes.parquet'].map((n) => join(dir, n));
    const conn = await (await openOfflineEngine()).connect();
    try {
      for (const f of users) await conn.run(`COPY (${ROW}) TO '${f}' (FORMAT parquet)`);
    } finally {
      conn.closeSync();
    }
    mkdirSync(dir, { recursive: true });
    const killed = writingName(join(dir, 'part-push-20250101T000000000Z-compacted-00000000-0000-4000-8000-000000000000.parquet'));
    writeFileSync(killed, 'half a file');

    const result = await p.fs.compact();
    expect(result.groups).toMatchObject([{ status: 'compacted', files: [...pushed].sort(), sources: ['s'], views: ['v'] }]);
    const merged = result.groups[0].file!;
    expect(basename(merged)).toMatch(/^part-push-\d{8}T\d{9}Z-compacted-[0-9a-f-]{36}\.parquet$/);
    for (const f of pushed) expect(existsSync(f)).toBe(false);
    for (const f of users) expect(existsSync(f)).toBe(true);
    expect(existsSync(killed)).toBe(false);
    expect(readdirSync(dir).sort()).toEqual(['part-0.parquet', basename(merged), ...users.map((u) => basename(u))].sort());
    for (const f of users) rmSync(f);
    expect(await globRows(p)).toEqual(before);
  });
});
