/**
 * A dataset build's alert body says where the build wrote its files and their manifests (`run.outputs`): a
 * retraining job triggered by a build (`statuses: [success]`) gets the training set's path without calling back.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getHistoricalFeatures } from '../../src/offline/historical.js';
import { openProject, type Project } from '../../src/project.js';
import { makeTinyProject } from '../datasets/tiny-project.js';

let server: Server;
let url: string;
const bodies: Record<string, any>[] = [];
let dir: string;
let project: Project;

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      bodies.push(JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>);
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  const made = await makeTinyProject();
  dir = made.dir;
  await made.project.close();
  writeFileSync(join(dir, 'featureguard.yaml'), `project: tiny\nalerts:\n  - name: built\n    url: ${url}\n    statuses: [success, warned, blocked, failed]\n  - name: nightly\n    url: ${url}\n    statuses: [success, warned]\n    min_interval: 1h\n`);
  project = openProject(dir);
});
afterAll(async () => {
  await project?.close();
  await new Promise((r) => server.close(r));
  rmSync(dir, { recursive: true, force: true });
});

const ENTITIES = [{ user_id: 1, event_timestamp: '2024-01-01T02:30:00Z' }, { user_id: 2, event_timestamp: '2024-01-01T05:30:00Z' }];
const bodyOf = (runId: string) => bodies.find((b) => b.alert === 'built' && b.run?.id === runId);

describe('the alert body of a dataset build', () => {
  it('lists the files written and their manifests, absolute', async () => {
    const res = await getHistoricalFeatures(project, { baseDir: dir, entities: ENTITIES, features: ['user_stats:txn_count'], out: 'out/train.parquet' });
    const path = join(dir, 'out', 'train.parquet');
    expect(existsSync(`${path}.manifest.json`)).toBe(true);
    expect(bodyOf(res.run.id)?.run.outputs).toEqual([{ part: 'all', format: 'parquet', path, manifest: `${path}.manifest.json`, rows: 2 }]);
  });

  it('lists both parts of a split', async () => {
    const res = await getHistoricalFeatures(project, { baseDir: dir, entities: ENTITIES, features: ['user_stats:txn_count'], out: 'split/train.csv', splitAt: '2024-01-01T04:00:00Z' });
    const outputs = bodyOf(res.run.id)?.run.outputs as { part: string; path: string; manifest: string; rows: number }[];
    expect(outputs.map((o) => [o.part, o.rows])).toEqual([['train', 1], ['test', 1]]);
    for (const o of outputs) expect([existsSync(o.path), existsSync(o.manifest), o.manifest]).toEqual([true, true, `${o.path}.manifest.json`]);
  });

  it('is empty when nothing was written (a blocked build) and absent for other runs', async () => {
    // The PII guard blocks a build with the undeclared e-mail feature: no file is written.
    const res = await getHistoricalFeatures(project, { baseDir: dir, entities: ENTITIES, features: ['user_profile:email'], out: 'out/pii.parquet' });
    expect([res.run.status, bodyOf(res.run.id)?.run.outputs, existsSync(join(dir, 'out', 'pii.parquet'))]).toEqual(['blocked', [], false]);
    const r = project.runs.create({ kind: 'materialize', view: 'user_stats' });
    project.runs.update(r.id, { status: 'failed', finished_at: new Date().toISOString() });
    const { fireAlerts, NOT_JUDGED } = await import('../../src/alerts/dispatch.js');
    await fireAlerts(project, r.id, NOT_JUDGED);
    expect(bodyOf(r.id)?.run).not.toHaveProperty('outputs');
  });
});

describe('a held-back summary of dataset builds', () => {
  it("lists each held-back build's files and manifests, as the build's own delivery would have", async () => {
    const { sendHeldBackSummaries } = await import('../../src/alerts/held-back.js');
    // Builds within the interval of the first delivery of `nightly` are held back.
    const res = await getHistoricalFeatures(project, { baseDir: dir, entities: ENTITIES, features: ['user_stats:txn_count'], out: 'out/held.parquet' });
    project.state.prepare('UPDATE alert_throttle SET last_sent_at = last_sent_at - 3600000').run();
    await sendHeldBackSummaries(project);
    const summary = bodies.find((b) => b.event === 'featureguard.held_back' && b.runs.some((r: { id: string }) => r.id === res.run.id));
    const path = join(dir, 'out', 'held.parquet');
    expect(summary).toBeDefined();
    expect(summary?.runs.find((r: { id: string }) => r.id === res.run.id)?.outputs).toEqual([{ part: 'all', format: 'parquet', path, manifest: `${path}.manifest.json`, rows: 2 }]);
  });
});
