/**
 * Vitest global setup: starts the real services tests need — a standalone
 * redis-server and a 3-node Redis Cluster on free loopback ports — and hands their
 * ports to tests through `provide`/`inject` (`inject('redisPort')`,
 * `inject('redisClusterPorts')`). redis-server is required: install it with
 * `apt-get install -y redis-server`.
 */
import type { TestProject } from 'vitest/node';
import { startRedisCluster, startRedisServer, type RedisClusterProcess, type RedisProcess } from './redis.js';

declare module 'vitest' {
  export interface ProvidedContext {
    redisPort: number;
    redisClusterPorts: number[];
  }
}

let standalone: RedisProcess | undefined;
let cluster: RedisClusterProcess | undefined;

export async function setup(project: TestProject): Promise<void> {
  standalone = await startRedisServer();
  try {
    cluster = await startRedisCluster(3);
  } catch (e) {
    await standalone.stop();
    throw e;
  }
  project.provide('redisPort', standalone.port);
  project.provide('redisClusterPorts', [...cluster.ports]);
}

export async function teardown(): Promise<void> {
  await Promise.all([standalone?.stop(), cluster?.stop()]);
}
