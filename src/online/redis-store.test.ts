import { randomUUID } from 'node:crypto';
import { inject } from 'vitest';
import { describeOnlineStoreConformance } from './conformance.case.js';
import { openRedisOnlineStore } from './redis-store.js';

describeOnlineStoreConformance('redis standalone', () => {
  const key_prefix = `fgtest:${randomUUID()}:`;
  return () => openRedisOnlineStore({ url: `redis://127.0.0.1:${inject('redisPort')}`, key_prefix });
});

describeOnlineStoreConformance('redis cluster', () => {
  const key_prefix = `fgtest:${randomUUID()}:`;
  return () => openRedisOnlineStore({ cluster: inject('redisClusterPorts').map((p) => `127.0.0.1:${p}`), key_prefix });
});
