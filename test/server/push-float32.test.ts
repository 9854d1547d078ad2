/**
 * A pushed float32 takes NaN and ±Infinity as a float64 does (the guards judge
 * them by `allow_nan`), where its range check once refused them as "must be <=
 * 3.4e38"; a finite value beyond the float32 range is still refused. (A review
 * of Feast compatibility: pandas writes a missing float as NaN, and Feast's
 * example features are Float32.)
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp, type FeatureguardApp } from '../../src/server/app.js';
import { guardBench, type GuardBench } from '../guards/helpers.js';
import { json, post } from './fixture.js';

let bench: GuardBench;
let app: FeatureguardApp;
beforeAll(async () => {
  bench = await guardBench({
    features: [
      { name: 'x', type: 'float32', allow_nan: true },
      { name: 'emb', type: 'float32[]', allow_nan: true },
      { name: 'strict_x', type: 'float32' },
    ],
  });
  app = createApp(bench.project, { ui: false });
});
afterAll(async () => {
  await bench?.close();
});

/** A Feast push of one row (a body as Python's json.dumps writes it: bare NaN and Infinity tokens). */
const feastPush = (hour: number, x: string, emb: string, strict = '1.5') =>
  `{"push_source_name": "delays", "df": {"airport": ["SEA"], "ts": ["2024-02-01T${String(hour).padStart(2, '0')}:00:00Z"], "x": [${x}], "emb": [${emb}], "strict_x": [${strict}]}, "to": "online"}`;

describe('pushed float32 values', () => {
  it('keeps NaN and ±Infinity in a float32 and a float32[] feature that allows them', async () => {
    for (const [hour, x, emb] of [[1, 'NaN', '[NaN, 1.0]'], [2, 'Infinity', '[-Infinity, 0.5]'], [3, '-Infinity', '[Infinity]']] as const) {
      const res = await app.request('/push', post(feastPush(hour, x, emb)));
      expect(res.status, JSON.stringify(await json(res.clone()))).toBe(200);
    }
    const store = await bench.project.onlineStore();
    const [row] = await store.readMany('delays', ['x', 'emb'], [['SEA']]);
    expect(row?.values[0]).toBe(-Infinity);
    expect(row?.values[1]).toEqual([Infinity]);
  });

  it('leaves NaN in a float32 without allow_nan to the guards (422 schema.nan), not to the range check', async () => {
    const res = await app.request('/push', post(feastPush(4, '1', '[1]', 'NaN')));
    const body = await json(res);
    expect([res.status, body.error.message]).toEqual([422, expect.stringContaining('schema.nan')]);
  });

  it('refuses a finite value beyond the float32 range, and takes one that rounds to its largest value', async () => {
    const over = await app.request('/push', post(feastPush(5, '3.5e38', '[1]')));
    const body = await json(over);
    expect([over.status, JSON.stringify(body.error)]).toEqual([400, expect.stringContaining('beyond the float32 range')]);
    const overInList = await app.request('/push', post(feastPush(5, '1', '[1, -1e39]')));
    expect(overInList.status).toBe(400);
    // 3.4028235e38 is how float32's largest value is printed: it rounds to it, so it is in range.
    const edge = await app.request('/push', post(feastPush(6, '3.4028235e38', '[-3.4028235e38]')));
    expect(edge.status, JSON.stringify(await json(edge.clone()))).toBe(200);
  });
});
