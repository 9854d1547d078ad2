import { afterEach, beforeEach, expect, it, vi } from 'vitest';
import { FeatureguardError } from '../errors.js';
import { unavailableLog } from './unavailable-log.js';

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

const down = new FeatureguardError('store_unavailable', 'the redis online store is unavailable', { status: 503 });

it('logs a 503 condition when it starts, a count while it lasts, and its end', () => {
  const lines: [string, Record<string, unknown>, string][] = [];
  const log = unavailableLog((level, fields, msg) => lines.push([level, fields, msg]), 10_000);
  for (let i = 0; i < 100; i++) {
    log(down, 'POST', '/v1/online-features');
    vi.advanceTimersByTime(150); // 15 s of failing reads
  }
  expect(lines.map(([level, , msg]) => [level, msg])).toEqual([['warn', 'answering 503 store_unavailable'], ['warn', 'still answering 503 store_unavailable']]);
  expect(lines[0][1]).toEqual({ code: 'store_unavailable', status: 503, method: 'POST', path: '/v1/online-features', error: 'the redis online store is unavailable' });
  expect(lines[1][1]).toMatchObject({ requests: 67, seconds: 10 });
  vi.advanceTimersByTime(10_000);
  expect(lines.at(-1)).toEqual(['info', { code: 'store_unavailable', requests: 100, seconds: 25 }, 'no more 503 store_unavailable']);
  log(down, 'GET', '/ready'); // a new outage starts over
  expect(lines.at(-1)?.[2]).toBe('answering 503 store_unavailable');
});
