import { expect, it } from 'vitest';
import { redactRedisAddresses, redactRedisAddressesIn, redisAddress } from './redis-address.js';

it('names a Redis URL by scheme, host, port and database, never by its user info or query string', () => {
  expect(redisAddress('redis://127.0.0.1:6379/0?password=S3cret')).toBe('redis://127.0.0.1:6379/0');
  expect(redisAddress('redis://user:S3cret@cache.internal:6380/2')).toBe('redis://cache.internal:6380/2');
  expect(redisAddress('redis://:S3cret@cache')).toBe('redis://cache:6379/0');
  expect(redisAddress('rediss://cache?db=3&password=S3cret&username=u')).toBe('rediss://cache:6379/3');
  expect(redisAddress('redis://[::1]:7000/1')).toBe('redis://[::1]:7000/1');
  expect(redisAddress('cache:6390?password=S3cret')).toBe('redis://cache:6390/0');
  expect(redisAddress('/run/redis.sock?password=S3cret')).toBe('unix:/run/redis.sock');
  expect(redisAddress('6390')).toBe('redis://127.0.0.1:6390/0');
  expect(redisAddress('redis://u:S3cret@bad host')).not.toContain('S3cret');
});

it('redacts the Redis addresses an earlier version wrote into messages, and leaves safe ones as they are', () => {
  const down = (a: string) => `the redis online store (${a}) is unavailable: connect ECONNREFUSED; check that Redis is running and reachable`;
  expect(redactRedisAddresses(down('redis://u:***@10.0.0.5:6380/2?password=S3cret'))).toBe(down('redis://10.0.0.5:6380/2'));
  // The address as given, matched up to the words after it: a password holding ')' or a space is not cut in two.
  expect(redactRedisAddresses(down('cache:6390?password=S3c) re t'))).toBe(down('redis://cache:6390/0'));
  expect(redactRedisAddresses(down('/run/redis.sock?password=S3cret'))).toBe(down('unix:/run/redis.sock'));
  expect(redactRedisAddresses("the Redis key prefix 'fg:' on redis://h:1/0?password=S3cret holds the online values of project 'p'")).toBe(
    "the Redis key prefix 'fg:' on redis://h:1/0 holds the online values of project 'p'",
  );
  expect(redactRedisAddresses('seen at redis://:S3cret@h:7000/1?db=1, then (rediss://h?password=S3cret).')).toBe('seen at redis://h:7000/1, then (rediss://h:6379/0).');
  for (const safe of [down('redis://10.0.0.5:6380/2'), down('cluster a:7000,b:7001'), down('unix:/run/redis.sock'), 'a Redis URL is redis:// or rediss:// (TLS), not http://', 'no store here']) {
    expect(redactRedisAddresses(safe)).toBe(safe);
  }
  expect(redactRedisAddressesIn({ a: [down('redis://h:1/0?password=S3cret')], n: 1, z: null })).toEqual({ a: [down('redis://h:1/0')], n: 1, z: null });
});
