import { describe, expect, it } from 'vitest';
import type { FeatureViewDef, JoinKey } from '../definitions/types.js';
import { pushProblems, rowProblems } from './push-problems.js';
import { pushRowValidator } from './push-schema.js';

const keys: JoinKey[] = [{ name: 'user_id', type: 'int64' }];
const view = {
  kind: 'feature_view', name: 'v', entities: ['user'], source: 's',
  features: [
    { name: 'n', type: 'int64' },
    { name: 'm', type: 'int64', nullable: false },
    { name: 'small', type: 'int32' },
    { name: 'emb', type: 'float32[]' },
    { name: 'at', type: 'timestamp' },
  ],
} as unknown as FeatureViewDef;
const types = new Map<string, string>([['user_id', 'int64'], ...view.features.map((f): [string, string] => [f.name, f.type])]);

/** The problems of `row` as the compiled schema of the view refuses it. */
function problems(row: Record<string, unknown>) {
  const validate = pushRowValidator(view, keys);
  expect(validate(row)).toBe(false);
  return rowProblems(validate.errors, row, types);
}

const ok = { user_id: 1, event_timestamp: '2026-01-01T00:00:00Z', m: 2 };

describe('rowProblems', () => {
  it('says a bad int64 once, in words, nullable or not', () => {
    expect(problems({ ...ok, user_id: 'abc', n: 'x', m: true })).toEqual([
      { path: '/user_id', message: 'must be an integer or a string of digits (int64)' },
      { path: '/n', message: 'must be an integer or a string of digits (int64)' },
      { path: '/m', message: 'must be an integer or a string of digits (int64)' },
    ]);
    expect(problems({ ...ok, n: 1.5 })).toEqual([{ path: '/n', message: 'must be an integer or a string of digits (int64)' }]);
  });

  it('says why digits or a number are out of the int64 range', () => {
    expect(problems({ ...ok, n: '9223372036854775808', m: 2 ** 60 })).toEqual([
      { path: '/n', message: 'must be a string of digits within the int64 range (-9223372036854775808 to 9223372036854775807)' },
      { path: '/m', message: expect.stringMatching(/^must be within ±9007199254740991 as a number .*string of its digits$/) },
    ]);
  });

  it('keeps one problem for other values, without the null branch (also of a list element)', () => {
    expect(problems({ ...ok, small: 3e9, emb: [1, 'x'], at: 'yesterday' })).toEqual([
      { path: '/small', message: 'must be <= 2147483647' },
      { path: '/emb/1', message: 'must be number' },
      { path: '/at', message: "must be an ISO 8601 time, e.g. 2026-11-12T10:00:00Z, got 'yesterday'" },
    ]);
  });

  it('lists each missing and unknown property of the row', () => {
    expect(problems({ user_id: 1, event_timestamp: '2026-01-01T00:00:00Z', extra: 1, other: 2 })).toEqual([
      { path: '/', message: "must have required property 'm'" },
      { path: '/', message: "unknown property 'extra'" },
      { path: '/', message: "unknown property 'other'" },
    ]);
  });
});

describe('pushProblems', () => {
  it('words the refusal from the totals: every problem and invalid row counted, the first 20 listed', () => {
    expect(pushProblems().refusal('v', 3)).toBeNull();
    const one = pushProblems();
    one.found(1, '/1/at', 'an invalid Date');
    expect(one.refusal('v', 2)).toMatchObject({ code: 'invalid_rows', status: 400, message: "1 problem in 1 of 2 pushed rows for view 'v'; first: row 1 (counting from 0) at /1/at: an invalid Date", details: { problems: [{ row: 1, path: '/1/at', message: 'an invalid Date' }], invalid_rows: 1, problem_count: 1 } });
    const many = pushProblems();
    // 30 rows with two problems each, out of 31: 60 problems in 30 rows, the first 20 (of rows 0-9) listed.
    for (let row = 0; row < 30; row++) for (const c of ['n', 'm']) many.found(row, `/${row}/${c}`, 'bad');
    const e = many.refusal('v', 31)!;
    expect(e.message).toBe("60 problems in 30 of 31 pushed rows for view 'v' (first 20 listed); first: row 0 (counting from 0) at /0/n: bad");
    expect(e.details).toMatchObject({ invalid_rows: 30, problem_count: 60 });
    expect((e.details as { problems: { row: number }[] }).problems.map((p) => p.row)).toEqual(Array.from({ length: 20 }, (_, i) => Math.floor(i / 2)));
  });
});
