/**
 * An alert whose `secret_env` is unset in the sending process goes out unsigned (a receiver that verifies
 * refuses it): `serve` says so at start, and a CLI command or SDK process that sends one says so once.
 */
import { spawnSync } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { startServer } from '../../src/server/serve.js';
import { openFeatureStore } from '../../src/sdk/feature-store.js';
import { guardBench, type GuardBench } from './helpers.js';
import { runCli } from '../cli/cli-io.js';

let bench: GuardBench | undefined;
let server: Server | undefined;
afterEach(async () => {
  await bench?.close();
  bench = undefined;
  await new Promise((r) => (server ? server.close(r) : r(undefined)));
  server = undefined;
  delete process.env.FG_UNSIGNED_TEST_SET;
});

async function receiver(): Promise<{ url: string; received: number[] }> {
  const received: number[] = [];
  server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      received.push(Date.now());
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, received };
}

/** A run a killed process left `running`, with a drift failure recorded: the next process fails and alerts it. */
function orphan(b: GuardBench): string {
  const run = b.project.runs.create({ kind: 'materialize', view: 'delays' });
  b.project.state.prepare('UPDATE run_owners SET pid = ? WHERE run_id = ?').run(spawnSync(process.execPath, ['-e', '0']).pid, run.id);
  return run.id;
}

const alerts = (url: string) => [
  { name: 'unsigned_hook', url, secret_env: 'FG_UNSIGNED_TEST_UNSET', statuses: ['failed'] },
  { name: 'signed_hook', url, secret_env: 'FG_UNSIGNED_TEST_SET', statuses: ['failed'] },
  { name: 'plain_hook', url, statuses: ['failed'] },
];

describe('an alert whose secret_env is unset', () => {
  it('serve warns at start, once per such alert, naming the alert and the variable', async () => {
    const rx = await receiver();
    process.env.FG_UNSIGNED_TEST_SET = 's3cret';
    bench = await guardBench({ alerts: alerts(rx.url) });
    const lines: { level: number; msg: string; alert?: string; secret_env?: string }[] = [];
    const logger = pino({ level: 'info' }, { write: (s: string) => void lines.push(JSON.parse(s)) });
    const running = await startServer(bench.project, { port: 0, quiet: true, scheduler: false, logger });
    await running.close();
    const warned = lines.filter((l) => l.level === 40 && l.secret_env !== undefined);
    expect(warned.map((l) => [l.alert, l.secret_env])).toEqual([['unsigned_hook', 'FG_UNSIGNED_TEST_UNSET']]);
    expect(warned[0].msg).toMatch(/not set.*unsigned/);
  });

  it('a CLI command that sends it says so on stderr once, however many deliveries go unsigned', async () => {
    const rx = await receiver();
    process.env.FG_UNSIGNED_TEST_SET = 's3cret';
    bench = await guardBench({ alerts: alerts(rx.url) });
    orphan(bench);
    orphan(bench);
    const cli = await runCli(['--project', bench.dir, 'runs', 'list']);
    expect(cli.code).toBe(0);
    expect(rx.received).toHaveLength(6);
    const warnings = cli.err.split('\n').filter((l) => /FG_UNSIGNED_TEST/.test(l));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/^warning: alert 'unsigned_hook': FG_UNSIGNED_TEST_UNSET is not set.*unsigned/);
    // Another command (another process): said again.
    orphan(bench);
    expect((await runCli(['--project', bench.dir, 'runs', 'list'])).err).toMatch(/warning: alert 'unsigned_hook'/);
  });

  it('an SDK process that sends it emits a process warning once', async () => {
    const rx = await receiver();
    // Its own alert name: the warning is once per process, and serve's test above said it for 'unsigned_hook'.
    bench = await guardBench({ alerts: [{ ...alerts(rx.url)[0], name: 'sdk_hook' }] });
    orphan(bench);
    orphan(bench);
    const seen: Error[] = [];
    const onWarning = (w: Error) => void seen.push(w);
    process.on('warning', onWarning);
    try {
      await (await openFeatureStore(bench.dir)).close();
      await new Promise((r) => setImmediate(r));
    } finally {
      process.off('warning', onWarning);
    }
    expect(rx.received).toHaveLength(2);
    expect(seen.filter((w) => /FG_UNSIGNED_TEST_UNSET/.test(w.message)).map((w) => w.name)).toEqual(['FeatureguardWarning']);
  });
});
