import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InputError } from '../errors.js';
import { parseAgeOrInstant, parseInstant, parseInstantMicros } from './instant.js';

const iso = (text: string) => parseInstant(text, 'start').toISOString();

describe('parseInstant', () => {
  it('reads dates and times as UTC unless zoned', () => {
    expect(iso('2001-01-02')).toBe('2001-01-02T00:00:00.000Z');
    expect(iso('2001-01-02T03:00')).toBe('2001-01-02T03:00:00.000Z');
    expect(iso('2001-01-02T03:00:00')).toBe('2001-01-02T03:00:00.000Z');
    expect(iso('2001-01-02 03:00:00+02:00')).toBe('2001-01-02T01:00:00.000Z');
    expect(iso('2001-01-02T03:00:00-0130')).toBe('2001-01-02T04:30:00.000Z');
    expect(iso('2001-01-02t03:00:00.5z')).toBe('2001-01-02T03:00:00.500Z');
    expect(iso('2001-01-02T03:00:00.123000Z')).toBe('2001-01-02T03:00:00.123Z');
    expect(iso(' 2024-02-29 ')).toBe('2024-02-29T00:00:00.000Z');
    expect(iso('2000-02-29T23:59:59.999Z')).toBe('2000-02-29T23:59:59.999Z');
    expect(iso('0099-12-31')).toBe('0099-12-31T00:00:00.000Z');
    expect(iso('0000-02-29')).toBe('0000-02-29T00:00:00.000Z'); // year 0 is a leap year (Date.UTC would read it as 1900)
    expect(iso('2400-02-29T12:00:00Z')).toBe('2400-02-29T12:00:00.000Z');
    // Python's isoformat() writes microseconds: digits below the millisecond are dropped.
    expect(iso('2001-01-02T03:04:05.123456+00:00')).toBe('2001-01-02T03:04:05.123Z');
    expect(iso('2001-01-02T03:04:05.999999999Z')).toBe('2001-01-02T03:04:05.999Z');
  });

  it('refuses what Date.parse would bend into another instant, saying why', () => {
    const cases: [string, RegExp][] = [
      ['2001-02-30', /February 2001 has 28 days/],
      ['2001-02-29', /February 2001 has 28 days/],
      ['1900-02-29', /February 1900 has 28 days/],
      ['2001-04-31', /April 2001 has 30 days/],
      ['2001-13-01', /no month 13/],
      ['2001-00-10', /no month 0/],
      ['2001-01-00', /January 2001 has 31 days/],
      ['2001-01-01T24:00:00', /hours run to 23/],
      ['2001-01-01T10:60', /minutes and seconds to 59/],
      ['2001-01-01Z', /ISO 8601/],
      ['2100-02-29', /February 2100 has 28 days/],
      ['2001-01-01T10:00:00+25:00', /not a time zone offset/],
      ['Feb 3 2001', /ISO 8601/],
      ['1', /ISO 8601/],
      ['June 5', /ISO 8601/],
      ['2001-1-5', /ISO 8601/],
      ['yesterday', /ISO 8601/],
      ['', /ISO 8601/],
    ];
    for (const [text, why] of cases) {
      expect(() => parseInstant(text, 'start'), text).toThrow(why);
      expect(() => parseInstant(text, 'start'), text).toThrow(`invalid start '${text}'`);
    }
    expect(() => parseInstant(new Date(NaN), 'end')).toThrow(/invalid end/);
    expect(() => parseInstant('monday', "query parameter 'since'", 'since')).toThrow(expect.objectContaining({ details: { since: 'monday' } }));
  });

  it('agrees with the Date of every calendar instant, in every zone', () => {
    const pad = (n: number, w = 2) => String(n).padStart(w, '0');
    fc.assert(
      fc.property(
        fc.date({ min: new Date('0000-01-01T00:00:00Z'), max: new Date('9999-12-31T23:59:59.999Z'), noInvalidDate: true }),
        fc.integer({ min: -14 * 60, max: 14 * 60 }),
        fc.constantFrom('T', ' '),
        (d, offset, sep) => {
          // Write the instant as the local time of zone `offset` (minutes east of UTC), then read it back.
          const local = new Date(d.getTime() + offset * 60_000);
          if (local.getUTCFullYear() < 0 || local.getUTCFullYear() > 9999) return;
          const sign = offset < 0 ? '-' : '+';
          const zone = `${sign}${pad(Math.floor(Math.abs(offset) / 60))}:${pad(Math.abs(offset) % 60)}`;
          const text = `${pad(local.getUTCFullYear(), 4)}-${pad(local.getUTCMonth() + 1)}-${pad(local.getUTCDate())}${sep}${pad(local.getUTCHours())}:${pad(local.getUTCMinutes())}:${pad(local.getUTCSeconds())}.${pad(local.getUTCMilliseconds(), 3)}${zone}`;
          expect(parseInstant(text, 'start').getTime()).toBe(d.getTime());
        },
      ),
      { numRuns: 2000 },
    );
  });
});

describe('parseInstantMicros', () => {
  it('keeps the microseconds a Date would drop, offsets applied', () => {
    expect(parseInstantMicros('2001-06-01T12:30:00.123456+02:00', 'split')).toBe('2001-06-01T10:30:00.123456Z');
    expect(parseInstantMicros('2001-06-01 12:30:00.0005', 'split')).toBe('2001-06-01T12:30:00.000500Z');
    expect(parseInstantMicros('2001-06-01', 'split')).toBe('2001-06-01T00:00:00.000000Z');
    // Below the microsecond: up to the next one (a row at .000000 is before the instant .0000005).
    expect(parseInstantMicros('2024-01-01T03:00:00.0000005Z', 'split')).toBe('2024-01-01T03:00:00.000001Z');
    expect(parseInstantMicros('2024-01-01T03:00:00.9999999Z', 'split')).toBe('2024-01-01T03:00:01.000000Z');
    expect(parseInstantMicros('2024-01-01T03:00:00.1234560Z', 'split')).toBe('2024-01-01T03:00:00.123456Z');
    expect(parseInstantMicros('1969-12-31T23:59:59.9995001Z', 'split')).toBe('1969-12-31T23:59:59.999501Z');
    expect(parseInstantMicros(new Date('2001-06-01T00:00:00.250Z'), 'split')).toBe('2001-06-01T00:00:00.250000Z');
    expect(() => parseInstantMicros('2001-06-31', 'split')).toThrow("invalid split '2001-06-31': June 2001 has 30 days");
  });

  it('refuses an instant past 9999-12-31T23:59:59.999999Z or before year 0 in UTC, whose text DuckDB cannot read (+010000-…)', () => {
    for (const text of ['9999-12-31T23:59:59.9999999Z', '9999-12-31T23:00:00-02:00', '0000-01-01T00:30:00+01:00']) {
      expect(() => parseInstantMicros(text, '--split-at'), text).toThrow(new RegExp(`^invalid --split-at '${text.replace(/[.+]/g, '\\$&')}': it lies (after 9999-12-31T23:59:59.999999Z|before 0000-01-01T00:00:00Z) \\(UTC\\)`));
      expect(() => parseInstant(text, 'end'), text).toThrow(/^invalid end/);
    }
    expect(parseInstantMicros('9999-12-31T23:59:59.999999Z', 'split')).toBe('9999-12-31T23:59:59.999999Z');
    expect(parseInstantMicros('9999-12-31T23:59:59.9999990Z', 'split')).toBe('9999-12-31T23:59:59.999999Z');
    expect(parseInstantMicros('0000-01-01T00:00:00Z', 'split')).toBe('0000-01-01T00:00:00.000000Z');
    expect(() => parseInstant(new Date(Date.UTC(10000, 0, 1)), 'splitAt')).toThrow('invalid splitAt +010000-01-01T00:00:00.000Z: it lies outside the years 0000 to 9999 (UTC)');
  });
});

describe('parseAgeOrInstant (the quality log\'s since/until, pruneRuns\' before)', () => {
  const now = new Date('2026-12-03T12:00:00Z');
  it('says in its refusal that an age is accepted too, as the README and pruneRuns say (a review\'s finding)', () => {
    expect(() => parseAgeOrInstant('yesterday', 'since', now)).toThrow(
      "invalid since 'yesterday': use an age (a whole number with unit s, m, h, d or w, e.g. 7d) or an ISO 8601 date or time, e.g. 2001-01-31, 2001-01-31T12:00:00Z or 2001-01-31 12:00:00+02:00",
    );
    expect(() => parseAgeOrInstant('yesterday', 'since', now)).toThrow(InputError);
    expect(() => parseAgeOrInstant('last week', 'before', now)).toThrow(/^invalid before 'last week': use an age \(.*e\.g\. 7d\) or an ISO 8601/);
  });
  it('keeps the reason of a date that looks like one, and accepts both forms', () => {
    expect(() => parseAgeOrInstant('2001-02-30', 'since', now)).toThrow("invalid since '2001-02-30': February 2001 has 28 days");
    expect(parseAgeOrInstant('7d', 'since', now)).toBe('2026-11-26T12:00:00.000Z');
    expect(parseAgeOrInstant('2026-12-01T23:00:00+02:00', 'since', now)).toBe('2026-12-01T21:00:00.000Z');
    // An instant alone (start, end, split points) says nothing of ages, which it does not take.
    expect(() => parseInstant('yesterday', 'start')).toThrow("invalid start 'yesterday': use an ISO 8601 date or time, e.g. 2001-01-31, 2001-01-31T12:00:00Z or 2001-01-31 12:00:00+02:00");
  });
});
