/**
 * `featureguard compact` as a script runs it: a dry run that changes nothing, the merge, the flags it refuses
 * (exit 2) and the refusal while a materialization of a view reading the folder runs (exit 3), and `runs show`
 * naming the file a push's rows were merged into.
 */
import { basename, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acquireLeases } from '../../src/materialize/lease.js';
import { DAILY_DELAYS_YAML, openPushProject, type PushProject } from '../datasets/push-project.js';
import { runCli } from './cli-io.js';

let p: PushProject;
const fg = (...argv: string[]) => runCli(['--project', p.dir, ...argv]);
const pushed: string[] = [];
beforeAll(async () => {
  p = await openPushProject('compact_cli', DAILY_DELAYS_YAML, { parquet: { 'daily/part-0.parquet': "SELECT 'SEA' AS origin, TIMESTAMP '2026-01-01' AS day, 1.5::DOUBLE AS delay" } });
  for (const origin of ['SFO', 'LAX', 'JFK']) {
    pushed.push((await p.fs.push({ view: 'daily_delays', rows: [{ origin, event_timestamp: '2026-01-02T00:00:00Z', delay: 2.5 }], to: 'offline' })).file!);
  }
}, 60_000);
afterAll(async () => {
  await p?.close();
});

describe('featureguard compact', () => {
  it('refuses a bad --older-than and an unknown view (exit 2), changing nothing', async () => {
    const bad = await fg('compact', '--older-than', '10 minutes');
    expect([bad.code, bad.err]).toEqual([2, "error: invalid olderThan '10 minutes': use 0 or a whole number with unit s, m, h or d, e.g. 6h"]);
    const unknown = await fg('--json', 'compact', '--views', 'daily_delay');
    expect(unknown.code).toBe(2);
    expect(JSON.parse(unknown.err).error).toMatchObject({ code: 'unknown_view', message: expect.stringContaining("unknown feature view 'daily_delay'") });
    expect(p.files('daily')).toHaveLength(4);
  });

  it('says what a dry run would merge, and changes nothing', async () => {
    const dry = await fg('compact', '--dry-run');
    expect([dry.code, dry.err]).toEqual([0, '']);
    expect(dry.out).toBe(`${join(p.dir, 'data', 'daily')} (read by daily_delays): would merge 3 files (3 push files)\nDry run: 3 files would be merged; nothing was changed.`);
    const json = await fg('--json', 'compact', '--dry-run', '--older-than', '1h');
    expect(JSON.parse(json.out)).toEqual({ dry_run: true, groups: [], files_merged: 0, files_written: 0, recovered: 0, pending: [], run_id: null });
    expect(p.files('daily')).toHaveLength(4);
  });

  it('is refused (exit 3) while a materialization of the view holds its lease', async () => {
    const [lease] = acquireLeases(p.fs.project.state, ['daily_delays'], 'materialize-cli-test');
    try {
      const r = await fg('--json', 'compact');
      expect(r.code).toBe(3);
      expect(JSON.parse(r.err).error).toMatchObject({ code: 'materialization_running', message: expect.stringContaining("now: feature view 'daily_delays' is already being materialized") });
      expect(p.files('daily')).toHaveLength(4);
    } finally {
      await lease.release();
    }
  });

  it('merges the pushed files, and runs show names the file the rows are in now', async () => {
    const r = await fg('--json', 'compact', '--views', 'daily_delays');
    expect(r.code, r.err).toBe(0);
    const result = JSON.parse(r.out);
    expect(result).toMatchObject({ dry_run: false, files_merged: 3, files_written: 1, groups: [{ status: 'compacted', views: ['daily_delays'], files: [...pushed].sort(), rows: 3 }] });
    const merged = result.groups[0].file as string;
    expect(p.files('daily')).toEqual(['part-0.parquet', basename(merged)]);
    const runId = result.groups[0].runs[0] as string;
    const shown = await fg('runs', 'show', runId);
    expect(shown.out).toMatch(new RegExp(`appended file .*push-.*\\.parquet \\(compacted into ${merged.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\)`));
    // The compaction is a run of kind compact: runs list --kind compact lists it, runs show shows it.
    expect(result.run_id).toMatch(/^[0-9a-f-]{36}$/);
    const listed = await fg('--json', 'runs', 'list', '--kind', 'compact');
    expect(listed.code, listed.err).toBe(0);
    expect(JSON.parse(listed.out).runs).toMatchObject([{ id: result.run_id, kind: 'compact', view: null, status: 'success', rows_in: 3, rows_out: 3, options: { views: ['daily_delays'] } }]);
    const run = await fg('runs', 'show', result.run_id);
    expect(run.out).toContain('kind compact');
    const again = await fg('compact');
    expect([again.code, again.out]).toEqual([0, 'Nothing to compact: no folder holds two or more files of finished pushes.']);
    expect(JSON.parse((await fg('--json', 'runs', 'list', '--kind', 'compact')).out).total).toBe(1);
  });
});
