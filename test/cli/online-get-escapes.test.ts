/**
 * `online get` shows a stored string holding terminal controls or bidirectional
 * text quoted and escaped, not raw (a CLI review finding: a value could clear the
 * screen or retitle the terminal); `--json` gives it as stored.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { push } from '../../src/serving/push.js';
import { createFixture, type Fixture } from '../server/fixture.js';
import { runCli } from './cli-io.js';

let fx: Fixture;
beforeAll(async () => {
  fx = await createFixture();
  const rows = [{ origin: 'ZZZ', event_timestamp: '2001-01-02T00:00:00Z', dep_delay: 1, flights: 1, carrier: 'Paris\u001b[2J\u001b]0;owned\u0007\u202eevil' }];
  expect((await push(fx.project, { view: 'origin_delays', rows })).status).not.toBe('blocked');
});
afterAll(async () => {
  await fx?.close();
});

describe('online get', () => {
  it('escapes control and bidirectional characters of string values in its table, and keeps them in --json', async () => {
    const args = ['--project', fx.dir, 'online', 'get', '--features', 'origin_delays:carrier', '--entity', 'origin=ZZZ'];
    const table = await runCli(args);
    expect(table.code, table.err).toBe(0);
    expect(table.out).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u202e]/);
    expect(table.out).toContain('"Paris\\u001b[2J\\u001b]0;owned\\u0007\\u202eevil"');
    const json = await runCli(['--json', ...args]);
    expect(JSON.parse(json.out).results[1].values[0]).toBe('Paris\u001b[2J\u001b]0;owned\u0007\u202eevil');
  });
});
