import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { onError } from './http-errors.js';

describe('onError', () => {
  it('answers a state database that cannot be used with 503 state_unavailable (retry later), a bug with 500 internal', async () => {
    const logged: unknown[] = [];
    const app = new Hono();
    app.onError(onError((e) => logged.push(e)));
    app.get('/io', () => {
      throw Object.assign(new Error('disk I/O error'), { code: 'SQLITE_IOERR_WRITE' });
    });
    app.get('/bug', () => {
      throw new TypeError('x is undefined');
    });
    const io = await app.request('/io');
    expect([io.status, io.headers.get('retry-after'), ((await io.json()) as { error: { code: string } }).error.code]).toEqual([503, '5', 'state_unavailable']);
    const bug = await app.request('/bug');
    expect([bug.status, ((await bug.json()) as { error: { code: string } }).error.code]).toEqual([500, 'internal']);
    expect(logged).toHaveLength(2);
    // The 503 is logged as the condition it answers (a FeatureguardError: `serve` logs it without a stack), with
    // SQLite's reason and the SQLite error as its cause; the bug as itself (its stack logged).
    expect(logged[0]).toMatchObject({ code: 'state_unavailable', status: 503, message: expect.stringContaining('(SQLITE_IOERR_WRITE): disk I/O error'), cause: { code: 'SQLITE_IOERR_WRITE' } });
    expect(logged[1]).toBeInstanceOf(TypeError);
  });
});
