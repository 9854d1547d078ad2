import { expect, it } from 'vitest';
import { redisAddress } from './redis-address.js';

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
