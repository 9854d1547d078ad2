/**
 * Entity timestamps out of reach and invalid `Date`s are `bad_entity_timestamp` with the value as given, its row and
 * why (a year past 9999 from a CSV or Parquet file, `--entities`, SDK rows or SQL; `new Date('x')` in the rows'
 * timestamp column), and every entity error names its row as the push refusals do, counting from 0, saying so.
 */
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openOfflineEngine } from '../../src/offline/engine.js';
import type { Project } from '../../src/project.js';
import { invalidDates } from '../../src/serving/push-problems.js';
import { runCli } from '../cli/cli-io.js';
import { buildFailure, makeTinyProject } from './tiny-project.js';

let dir: string;
let project: Project;
beforeAll(async () => {
  ({ dir, project } = await makeTinyProject());
});
afterAll(async () => {
  await project?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const features = ['user_stats:txn_count'];
const at = '2024-01-01T01:30:00Z';
const BEYOND = 'year 10000 (in UTC) is beyond 9999, the last year a timestamp holds here';
const failure = (entities: Parameters<typeof buildFailure>[2]['entities']) => buildFailure(project, dir, { entities, features });

describe('a timestamp in year 10000', () => {
  it('in a CSV file is bad_entity_timestamp with the text as written, its row and the year', async () => {
    writeFileSync(join(dir, 'y10k.csv'), `user_id,event_timestamp\n1,${at}\n2,10000-01-01T00:00:00Z\n`);
    const e = await failure('y10k.csv');
    expect(e).toMatchObject({ code: 'bad_entity_timestamp', exitCode: 2, details: { column: 'event_timestamp', value: '10000-01-01T00:00:00Z', row: 1 } });
    expect(e.message).toBe(`entity timestamp '10000-01-01T00:00:00Z' in 'event_timestamp' at row 1 (counting from 0) is no valid time: ${BEYOND}`);
  });

  it('through the CLI --entities: exit 2 and the same message', async () => {
    const r = await runCli(['--project', dir, 'dataset', 'build', '--entities', join(dir, 'y10k.csv'), '--features', features[0], '--out', join(dir, 'o', 'y.parquet')]);
    expect(r.code).toBe(2);
    expect(r.err).toContain(`entity timestamp '10000-01-01T00:00:00Z' in 'event_timestamp' at row 1 (counting from 0) is no valid time: ${BEYOND}`);
    expect(r.err).not.toMatch(/Conversion Error|10000-01-01 00:00:00/);
  });

  it('reached through a UTC offset, in SDK rows (text and Date) and SQL', async () => {
    const viaOffset = await failure([{ user_id: 1, event_timestamp: at }, { user_id: 1, event_timestamp: '9999-12-31T23:30:00-05:00' }]);
    expect(viaOffset).toMatchObject({ code: 'bad_entity_timestamp', details: { value: '9999-12-31T23:30:00-05:00', row: 1 }, message: expect.stringMatching(new RegExp(`: ${BEYOND.replace(/[()]/g, '\\$&')}$`)) });
    const date = await failure([{ user_id: 1, event_timestamp: new Date(Date.UTC(10000, 0, 1)) }]);
    expect(date).toMatchObject({ code: 'bad_entity_timestamp', details: { row: 0 }, message: expect.stringContaining(BEYOND) });
    const sql = await failure({ kind: 'sql', sql: "SELECT 1 AS user_id, '10000-06-01 12:00' AS event_timestamp" });
    expect(sql).toMatchObject({ code: 'bad_entity_timestamp', details: { value: '10000-06-01 12:00', row: 0 }, message: expect.stringContaining(BEYOND) });
  });

  it('in a Parquet file, as text and as a TIMESTAMP column', async () => {
    const engine = await openOfflineEngine();
    await engine.run(`COPY (SELECT * FROM (VALUES (1::BIGINT, '${at}'), (2, '+10000-01-01T00:00:00Z'), (3, '10000-01-01T00:00:00Z')) t(user_id, event_timestamp)) TO '${join(dir, 'y10k-text.parquet')}' (FORMAT parquet)`);
    const text = await failure('y10k-text.parquet');
    // '+10000-…' is no ISO 8601 DuckDB reads: said by the strict parser, before the year is looked at.
    expect(text).toMatchObject({ code: 'bad_entity_timestamp', details: { value: '+10000-01-01T00:00:00Z', row: 1 } });
    await engine.run(`COPY (SELECT 1::BIGINT AS user_id, TIMESTAMP '10000-01-01 00:00:00' AS event_timestamp) TO '${join(dir, 'y10k-ts.parquet')}' (FORMAT parquet)`);
    const typed = await failure('y10k-ts.parquet');
    expect(typed).toMatchObject({ code: 'bad_entity_timestamp', details: { value: '10000-01-01 00:00:00', row: 0 } });
    expect(typed.message).toBe(`entity timestamp '10000-01-01 00:00:00' in 'event_timestamp' at row 0 (counting from 0) is no valid time: ${BEYOND}`);
  });

  it('infinity and dates BC say why too', async () => {
    expect((await failure([{ user_id: 1, event_timestamp: 'infinity' }])).message).toBe("entity timestamp 'infinity' in 'event_timestamp' at row 0 (counting from 0) is no valid time: it is infinite: give a time in the years 1 to 9999");
    expect((await failure([{ user_id: 1, event_timestamp: '0044-03-15 (BC)' }])).message).toMatch(/'0044-03-15 \(BC\)' in 'event_timestamp' at row 0 \(counting from 0\) is no valid time: it lies before the year 1/);
    // The last instant of 9999 is still one.
    writeFileSync(join(dir, 'last.csv'), 'user_id,event_timestamp\n1,9999-12-31T23:59:59.999999Z\n');
    await expect(import('../../src/offline/historical.js').then((m) => m.getHistoricalFeatures(project, { baseDir: dir, entities: 'last.csv', features }))).resolves.toMatchObject({ manifest: { entities: { rows: 1 } } });
  });
});

describe('an invalid Date', () => {
  it('as the timestamp is bad_entity_timestamp naming its row; in another column it is still bad_entity_value', async () => {
    const e = await failure([{ user_id: 1, event_timestamp: new Date(at) }, { user_id: 1, event_timestamp: new Date('x') }]);
    expect(e).toMatchObject({ code: 'bad_entity_timestamp', exitCode: 2, details: { column: 'event_timestamp', value: 'Invalid Date', row: 1 } });
    expect(e.message).toBe("entity timestamp 'Invalid Date' in 'event_timestamp' at row 1 (counting from 0) is no valid time: it is an invalid Date (new Date() of something that is no time)");
    const named = await buildFailure(project, dir, { entities: [{ user_id: 1, when: new Date('x') }], features, timestampColumn: 'when' });
    expect(named).toMatchObject({ code: 'bad_entity_timestamp', details: { column: 'when', row: 0 } });
    const other = await failure([{ user_id: 1, event_timestamp: at, seen: new Date('x') }]);
    expect(other).toMatchObject({ code: 'bad_entity_value', message: "entity column 'seen' holds an invalid Date in row 0 (counting from 0)" });
  });
});

describe('row numbers', () => {
  it('count from 0 as a push refusal of the same rows does, and say so', async () => {
    const rows = [{ user_id: 1, event_timestamp: at }, { user_id: 1, event_timestamp: at }, { user_id: 1, event_timestamp: new Date('x') }];
    const pushed = invalidDates(rows).refusal('v', rows.length)!;
    const pushedRow = Number(/first: row (\d+) \(counting from 0\) at/.exec(pushed.message)![1]);
    expect(pushedRow).toBe(rows.findIndex((r) => r.event_timestamp instanceof Date));
    const e = await failure(rows);
    expect(e.details).toMatchObject({ row: pushedRow });
    expect(e.message).toContain(`at row ${pushedRow} (counting from 0)`);
    // Every entity error that names a row says how it counts, and its details carry the same number.
    const cases: [Parameters<typeof failure>[0], string][] = [
      [[{ user_id: 1, event_timestamp: at }, null as never], 'bad_entity_value'],
      [[{ user_id: 1, event_timestamp: at }, { user_id: 'x', event_timestamp: at }], 'wrong_join_key_type'],
      [[{ user_id: 1, event_timestamp: at }, { user_id: '99999999999999999999', event_timestamp: at }], 'bad_entity_value'],
      [[{ user_id: 1, event_timestamp: at, n: 1 }, { user_id: 1, event_timestamp: at, n: 2 ** 64 }], 'bad_entity_value'],
      [[{ user_id: 1, event_timestamp: at, n: 1 }, { user_id: 1, event_timestamp: at, n: [1] }], 'bad_entity_value'],
      [[{ user_id: 1, event_timestamp: at }, { user_id: 1, event_timestamp: null }], 'null_timestamp'],
      [[{ user_id: 1, event_timestamp: at }, { user_id: 1, event_timestamp: '2024-02-30' }], 'bad_entity_timestamp'],
    ];
    for (const [entities, code] of cases) {
      const err = await failure(entities);
      expect(err.code, err.message).toBe(code);
      expect(err.details, err.message).toMatchObject({ row: 1 });
      expect(err.message).toMatch(/row 1 \(counting from 0\)/);
    }
  });

  it('are said the same way by a push refusal as by the entity errors', async () => {
    // A push refusal counted from 0 without saying so ("first: row 1 at /1/…"), as online reads did.
    const rows = [{ user_id: 1, event_timestamp: at }, { user_id: 1, event_timestamp: new Date('x') }];
    const pushed = invalidDates(rows).refusal('v', rows.length)!;
    expect(pushed.message).toBe("1 problem in 1 of 2 pushed rows for view 'v'; first: row 1 (counting from 0) at /1/event_timestamp: an invalid Date");
    // (An online read's: test/server/int64-keys.test.ts and feast-*.test.ts, over an online view.)
    const dataset = await failure([{ user_id: 1, event_timestamp: at }, { user_id: 'x', event_timestamp: at }]);
    expect(dataset.message).toContain('row 1 (counting from 0)');
  });
});

describe('an SDK Date past 9999', () => {
  it("is named as its toISOString(), not as DuckDB writes the timestamp back", async () => {
    const late = new Date('+010000-01-01T00:00:00Z');
    const e = await failure([{ user_id: 1, event_timestamp: new Date(at) }, { user_id: 1, event_timestamp: late }]);
    expect(e).toMatchObject({ code: 'bad_entity_timestamp', details: { value: late.toISOString(), row: 1 } });
    expect(e.message).toContain(`'${late.toISOString()}'`);
    expect(e.message).not.toContain('10000-01-01 00:00:00');
  });
});
