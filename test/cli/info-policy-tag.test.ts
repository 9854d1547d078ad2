/**
 * `runs show`'s result lines: an info record (an undeclared column, `details.info`) can neither fail nor block, so it
 * carries no policy tag, where any other passing record keeps its family's (`[pass] (block) drift.ks …`).
 */
import { describe, expect, it } from 'vitest';
import { formatCheckResult } from '../../src/cli/commands/quality-format.js';
import type { CheckResult } from '../../src/runs/types.js';

const base: CheckResult = {
  run_id: 'r1', check: 'schema', method: 'extra_column', feature: 'extra_1', slice: null, status: 'pass', policy: 'block',
  value: null, thresholds: null, metrics: null, message: 'undeclared source column extra_1 (BIGINT) is not read (info)', details: { info: true, type: 'BIGINT' },
};

describe('policy tag of a result line', () => {
  it('an info record has none', () => {
    expect(formatCheckResult(base)).toBe('[pass] schema.extra_column extra_1: undeclared source column extra_1 (BIGINT) is not read (info)');
    // The one record summing up the columns past the 20th names no feature.
    const summary = { ...base, feature: null, message: '2 more undeclared columns: extra_21, extra_22', details: { info: true, more: 2, columns: ['extra_21', 'extra_22'] } };
    expect(formatCheckResult(summary)).toBe('[pass] schema.extra_column: 2 more undeclared columns: extra_21, extra_22');
  });

  it('a passing record of a block family keeps (block); a failing one too', () => {
    const type = { ...base, method: 'type', feature: 'delay', details: { declared: 'float64', actual: 'DOUBLE' }, message: 'delay is DOUBLE (declared float64)' };
    expect(formatCheckResult(type)).toBe('[pass] (block) schema.type delay: delay is DOUBLE (declared float64)');
    expect(formatCheckResult({ ...type, status: 'fail', message: 'x' })).toBe('[fail] (block) schema.type delay: x');
  });
});
