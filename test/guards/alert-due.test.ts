/**
 * The alerts of runs failed for their process (killed, interrupted) are kept in the state database until a
 * process has stored their deliveries: one that exits before, or that has no alerts configured, loses none.
 */
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openFeatureStore } from '../../src/sdk/feature-store.js';
import { runCli } from '../cli/cli-io.js';
import { guardBench, type GuardBench } from './helpers.js';

let bench: GuardBench | undefined;
let server: Server | undefined;
afterEach(async () => {
  await bench?.close();
  bench = undefined;
  await new Promise((r) => (server ? server.close(r) : r(undefined)));
  server = undefined;
});

async function receiver(): Promise<{ url: string; bodies: string[] }> {
  const bodies: string[] = [];
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      bodies.push(Buffer.concat(chunks).toString('utf8'));
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, bodies };
}

/** A run a killed process left `running` (its pid is gone): the next process to open the project fails it. */
function orphan(b: GuardBench): string {
  const run = b.project.runs.create({ kind: 'materialize', view: 'delays' });
  b.project.state.prepare('UPDATE run_owners SET pid = ? WHERE run_id = ?').run(spawnSync(process.execPath, ['-e', '0']).pid, run.id);
  return run.id;
}

const dueMarks = (b: GuardBench) => b.project.state.prepare('SELECT count(*) FROM alerts_due').pluck().get() as number;
const runStatus = (b: GuardBench, id: string) => b.project.runs.get(id).status;

describe('alerts of runs failed for their process', () => {
  it('an SDK script that exits right after openFeatureStore leaves them for the next process, which sends them', async () => {
    const rx = await receiver();
    bench = await guardBench({ alerts: [{ name: 'failures', url: rx.url, statuses: ['failed'] }] });
    const id = orphan(bench);
    const child = spawn(process.execPath, ['--import', 'tsx', join(__dirname, 'sdk-open-exit-child.ts'), bench.dir], { stdio: 'ignore' });
    expect(await new Promise((r) => child.on('exit', r))).toBe(0);
    expect(runStatus(bench, id)).toBe('failed');
    expect(rx.bodies).toHaveLength(0);
    // Kept: the script took them and stored nothing before it exited.
    expect(dueMarks(bench)).toBe(1);
    // Its hold on them runs out (moved back here; it lasts a few minutes): the next process sends them.
    bench.project.state.prepare('UPDATE alerts_due SET claimed_until = 0').run();
    expect((await runCli(['--project', bench.dir, 'runs', 'list'])).code).toBe(0);
    expect(rx.bodies.map((b) => JSON.parse(b)).map((p) => [p.run.id, p.run.status, p.alert])).toEqual([[id, 'failed', 'failures']]);
    expect(dueMarks(bench)).toBe(0);
    // Sent once: another process finds nothing due.
    await (await openFeatureStore(bench.dir)).close();
    expect(rx.bodies).toHaveLength(1);
  });

  it('a process with no alerts configured leaves them to one that has them', async () => {
    const rx = await receiver();
    bench = await guardBench({ alerts: [{ name: 'failures', url: rx.url, statuses: ['failed'] }] });
    const config = join(bench.dir, 'featureguard.yaml');
    const withAlerts = readFileSync(config, 'utf8');
    const id = orphan(bench);
    writeFileSync(config, 'project: guards_test\n');
    expect((await runCli(['--project', bench.dir, 'runs', 'list'])).code).toBe(0);
    await (await openFeatureStore(bench.dir)).close();
    expect(runStatus(bench, id)).toBe('failed');
    expect(dueMarks(bench)).toBe(1);
    writeFileSync(config, withAlerts);
    await (await openFeatureStore(bench.dir)).close();
    expect(rx.bodies.map((b) => JSON.parse(b).run.id)).toEqual([id]);
    expect(dueMarks(bench)).toBe(0);
  });
});
