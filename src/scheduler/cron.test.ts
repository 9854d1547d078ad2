/** `cronProblem`: a malformed expression and one no date matches are told apart. */
import { describe, expect, it } from 'vitest';
import { cronProblem } from './cron.js';

describe('cronProblem', () => {
  it('says a day of month past the end of its month never fires, not that the expression is invalid (a review finding)', () => {
    for (const c of ['0 0 31 2 *', '0 0 30 2 *', '0 0 31 4 *', '0 0 31 2,4 *', '0 0 0 31 feb *']) {
      expect(cronProblem(c), c).toContain(`'${c}' never fires: no date matches it (its day of month is past the end of its month`);
    }
    expect(cronProblem('0 0 1 * 1#2')).toMatch(/never fires/);
  });

  it('calls a malformed field invalid, and names the optional seconds field', () => {
    for (const c of ['61 * * * *', '0 0 31 13 *', '0 0 32 2 *', '* * * * * * *', 'not a cron']) {
      expect(cronProblem(c), c).toBe(`'${c}' is not a valid cron expression (5 fields, or 6 with seconds first: [second] minute hour day-of-month month day-of-week, e.g. '0 * * * *')`);
    }
  });

  it('accepts what fires', () => {
    for (const c of ['0 * * * *', '0 0 29 2 *', '0 0 31 1-2 *', '*/5 * * * * *', '@hourly']) expect(cronProblem(c), c).toBeNull();
  });
});
