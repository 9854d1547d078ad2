/**
 * Real `redis-server` processes for tests and benchmarks: one standalone server or
 * a 3-node cluster (made with `redis-cli --cluster create`), each on free loopback
 * ports with its own temporary directory, without persistence.
 */
import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface RedisProcess {
  readonly port: number;
  stop(): Promise<void>;
}

export interface RedisClusterProcess {
  /** Ports of the master nodes. */
  readonly ports: readonly number[];
  /**
   * Stop the master on `port` and start it again on the same port and `nodes.conf`, without its keys (no
   * persistence), `downMs` later, once the whole cluster answers `cluster_state:ok` again: a master restarted
   * without persistence.
   */
  restart(port: number, downMs?: number): Promise<void>;
  stop(): Promise<void>;
}

/** Throws a clear message when redis-server is not installed. */
export function assertRedisInstalled(): void {
  const r = spawnSync('redis-server', ['--version'], { encoding: 'utf8' });
  if (r.error || r.status !== 0) {
    throw new Error('redis-server is required by the test suite (online store conformance) but was not found. Install it: apt-get install -y redis-server');
  }
}

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

/** A free loopback port whose cluster bus port (`port + 10000`) is free too. */
export async function freeRedisPort(taken: Set<number> = new Set()): Promise<number> {
  for (let i = 0; i < 200; i++) {
    const port = 20_000 + Math.floor(Math.random() * 30_000);
    if (taken.has(port) || taken.has(port + 10_000)) continue;
    if ((await portFree(port)) && (await portFree(port + 10_000))) {
      taken.add(port);
      taken.add(port + 10_000);
      return port;
    }
  }
  throw new Error('no free port for redis-server');
}

function waitReady(child: ChildProcess, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`redis-server on port ${port} did not start:\n${out}`)), 15_000);
    const onData = (b: Buffer) => {
      out += b.toString();
      if (out.includes('Ready to accept connections')) {
        clearTimeout(timer);
        child.stdout?.off('data', onData);
        child.stdout?.resume();
        resolve();
      }
    };
    child.stdout?.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`redis-server on port ${port} exited with ${code}:\n${out}`));
    });
  });
}

async function startNode(port: number, extra: string[]): Promise<RedisProcess & { restart(downMs?: number): Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), 'fg-redis-'));
  const launch = () => spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no', ...extra], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let child = launch();
  await waitReady(child, port);
  const kill = async () => {
    if (child.exitCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    }
  };
  return {
    port,
    async stop() {
      await kill();
      rmSync(dir, { recursive: true, force: true });
    },
    /** Stopped and started again in the same directory (its `nodes.conf` kept, no data: no persistence). */
    async restart(downMs = 0) {
      await kill();
      await new Promise((r) => setTimeout(r, downMs));
      child = launch();
      await waitReady(child, port);
    },
  };
}

/** Start a standalone redis-server on a free loopback port. */
export async function startRedisServer(): Promise<RedisProcess> {
  assertRedisInstalled();
  return startNode(await freeRedisPort(), []);
}

/**
 * Start `n` cluster nodes and join them with `redis-cli --cluster create` (no replicas); with `password`, every
 * node requires it (`--requirepass`, `--masterauth`). `nodeTimeoutMs` (default 5 s) is how long a silent master
 * takes to be marked failed: tests of a master going down use a shorter one to wait less.
 */
export async function startRedisCluster(n = 3, options: { password?: string; nodeTimeoutMs?: number } = {}): Promise<RedisClusterProcess> {
  assertRedisInstalled();
  const auth = options.password === undefined ? [] : ['-a', options.password, '--no-auth-warning'];
  const authArgs = options.password === undefined ? [] : ['--requirepass', options.password, '--masterauth', options.password];
  const taken = new Set<number>();
  const ports: number[] = [];
  for (let i = 0; i < n; i++) ports.push(await freeRedisPort(taken));
  const nodes = await Promise.all(
    ports.map((p) => startNode(p, ['--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf', '--cluster-node-timeout', String(options.nodeTimeoutMs ?? 5_000), ...authArgs])),
  );
  const stop = async () => {
    await Promise.all(nodes.map((x) => x.stop()));
  };
  const clusterOk = async () => {
    const deadline = Date.now() + 20_000;
    for (const p of ports) {
      for (;;) {
        const { stdout } = await run('redis-cli', [...auth, '-p', String(p), 'cluster', 'info']);
        if (stdout.includes('cluster_state:ok')) break;
        if (Date.now() > deadline) throw new Error(`redis cluster node ${p} not ready:\n${stdout}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  };
  try {
    await run('redis-cli', [...auth, '--cluster', 'create', ...ports.map((p) => `127.0.0.1:${p}`), '--cluster-replicas', '0', '--cluster-yes']);
    await clusterOk();
  } catch (e) {
    await stop();
    throw e;
  }
  const restart = async (port: number, downMs?: number) => {
    await nodes[ports.indexOf(port)].restart(downMs);
    await clusterOk();
  };
  return { ports, restart, stop };
}
