/**
 * Removing a view fed by push (or taking it offline) loses values no materialization brings back: the plan said
 * "Apply deletes the online values of daily_delays (removed)." as for any view. A view with pushes online in the
 * quality log now has a note saying its pushed values cannot be re-materialized from the source (only the offline
 * push files keep them), in the SDK's plan and apply result, the CLI's plan and the HTTP plan and apply answers;
 * a view never pushed to, or pushed to offline only, has none.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { createApp } from '../../src/server/app.js';
import { DAILY_DELAYS_YAML, openPushProject, type PushProject } from '../datasets/push-project.js';

// The shared airport entity, `daily` source and pushed view `daily_delays`, with a view never pushed to and one pushed
// to offline only over the same source.
const YAML = `${DAILY_DELAYS_YAML}---
kind: feature_view
name: batch_delays
entities: [airport]
source: daily
online: true
features:
  - {name: delay, type: float64}
---
kind: feature_view
name: offline_pushed
entities: [airport]
source: daily
online: true
features:
  - {name: delay, type: float64}
`;

const NOTE = /daily_delays was fed by push: its pushed online values cannot be re-materialized from its source \(only the offline push files, if it wrote them, keep them\)/;

let project: PushProject;
beforeAll(async () => {
  project = await openPushProject('push_fed_removal', YAML, { parquet: { 'daily/part-0.parquet': `SELECT 'SEA' AS origin, TIMESTAMP '2024-01-01' AS day, 1.5::DOUBLE AS delay` } });
  const at = new Date(Date.now() - 60_000);
  expect((await project.fs.push({ view: 'daily_delays', to: 'online', rows: [{ origin: 'NEW', event_timestamp: at, delay: 4.5 }] })).status).toBe('success');
  expect((await project.fs.push({ view: 'offline_pushed', to: 'offline', rows: [{ origin: 'NEW', event_timestamp: at, delay: 4.5 }] })).status).toBe('success');
});
afterAll(async () => {
  await project?.close();
});

const remove = { remove: ['view:daily_delays', 'view:batch_delays', 'view:offline_pushed'] as const };

it('the SDK plan notes the pushed view among the removed ones, and only it', async () => {
  const plan = await project.fs.plan([], { remove: [...remove.remove] });
  expect(plan.dropReasons).toEqual({ daily_delays: 'removed', batch_delays: 'removed', offline_pushed: 'removed' });
  const pushed = plan.notes.filter((n) => /fed by push/.test(n));
  expect(pushed).toHaveLength(1);
  expect(pushed[0]).toMatch(NOTE);
  expect(pushed[0]).not.toMatch(/batch_delays|offline_pushed/);
  // A plan that keeps the view has no such note.
  expect((await project.fs.plan()).notes.some((n) => /fed by push/.test(n))).toBe(false);
});

it('a breaking change of the pushed view (a retype, which drops its online values) has the note too', async () => {
  // A review finding: only removed and offline views had it, while a retype drops the pushed values as surely.
  const defs = (await project.fs.definitions()).map((d) => (d.kind === 'feature_view' && d.name === 'daily_delays' ? { ...d, features: [{ name: 'delay', type: 'int64' as const }] } : d));
  const plan = await project.fs.plan(defs);
  expect(plan.dropReasons).toEqual({ daily_delays: 'changed' });
  expect(plan.notes.join('\n')).toMatch(NOTE);
});

it('the CLI plan prints the note after the drop line', async () => {
  let out = '';
  // The project's files without daily_delays: the CLI plan removes it.
  const { writeFileSync } = await import('node:fs');
  const { join } = await import('node:path');
  writeFileSync(join(project.dir, 'features', 'defs.yaml'), YAML.split('\n---\n').filter((d) => !d.includes('name: daily_delays')).join('\n---\n'));
  try {
    const code = await main(['--project', project.dir, 'plan'], { out: (t) => (out += `${t}\n`), err: () => {}, isTty: false });
    expect(code).toBe(0);
  } finally {
    writeFileSync(join(project.dir, 'features', 'defs.yaml'), YAML);
  }
  const lines = out.split('\n');
  const drop = lines.findIndex((l) => l.startsWith('Apply deletes the online values of daily_delays (removed)'));
  expect(drop, out).toBeGreaterThan(0);
  expect(lines.slice(drop + 1).join('\n')).toMatch(NOTE);
});

it('the HTTP plan and the SDK apply result carry the note', async () => {
  const app = createApp(project.fs.project);
  const defs = (await project.fs.definitions()).filter((d) => d.name !== 'daily_delays');
  const res = await app.request('/v1/registry/plan', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ definitions: defs }) });
  expect(res.status).toBe(200);
  const body = (await res.json()) as { notes: string[]; dropReasons: Record<string, string> };
  expect(body.dropReasons).toEqual({ daily_delays: 'removed' });
  expect(body.notes.join('\n')).toMatch(NOTE);
  const applied = await project.fs.apply([], { remove: ['view:daily_delays'] });
  expect(applied.dropped).toEqual(['daily_delays']);
  expect(applied.plan.notes.join('\n')).toMatch(NOTE);
});
