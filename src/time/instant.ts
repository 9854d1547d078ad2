/**
 * Reading the instants people type: `--start`, `--end`, `--split-at`, `--since`,
 * `since`/`until` query parameters and the SDK's `splitAt`. Strict ISO 8601 /
 * RFC 3339, because `Date.parse` is not: it turns `2001-02-30` into March 2,
 * reads `Feb 3 2001` in the machine's time zone and `1` as the year 2001. A
 * window that silently starts on another day is a wrong training set.
 *
 * Accepted: `YYYY-MM-DD` (midnight UTC), or `YYYY-MM-DD` then `T` or a space
 * then `HH:MM`, optionally `:SS` and a fraction, optionally a zone `Z`, `±HH:MM`
 * or `±HHMM` (a date alone takes no zone). Without a zone the time is UTC (as
 * naive timestamps are, DESIGN.md §3). Fractions may have up to 9 digits (Python's
 * `isoformat()` writes 6); `parseInstant` drops digits below the millisecond, since
 * its instants are JavaScript dates; `parseInstantMicros` keeps microseconds.
 *
 * @example
 * parseInstant('2001-06-01', 'start').toISOString(); // '2001-06-01T00:00:00.000Z'
 * parseInstant('2001-06-01 12:30+02:00', 'end').toISOString(); // '2001-06-01T10:30:00.000Z'
 * parseInstant('2001-02-30', 'start'); // InputError: invalid start '2001-02-30': February 2001 has 28 days
 */
import { InputError } from '../errors.js';

const INSTANT = /^(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(?:([Zz])|([+-])(\d{2}):?(\d{2}))?)?$/;
const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];

/** The first and last millisecond of the four-digit years, in UTC. */
const MIN_MS = Date.parse('0000-01-01T00:00:00.000Z');
const MAX_MS = Date.parse('9999-12-31T23:59:59.999Z');

function daysIn(year: number, month: number): number {
  if (month !== 2) return [4, 6, 9, 11].includes(month) ? 30 : 31;
  return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28;
}

/** What an instant looks like, for a refusal of text that is not one. */
const INSTANT_FORMS = 'an ISO 8601 date or time, e.g. 2001-01-31, 2001-01-31T12:00:00Z or 2001-01-31 12:00:00+02:00';

/** The instant `text` names, or why it names none. */
function check(text: string): { date: Date } | { reason: string } {
  const m = INSTANT.exec(text);
  if (!m) return { reason: `use ${INSTANT_FORMS}` };
  const [year, month, day, hour, minute, second] = [m[1], m[2], m[3], m[4] ?? '0', m[5] ?? '0', m[6] ?? '0'].map(Number);
  const frac = m[7] ?? '';
  if (month < 1 || month > 12) return { reason: `there is no month ${month}` };
  const days = daysIn(year, month);
  if (day < 1 || day > days) return { reason: `${MONTHS[month - 1]} ${year} has ${days} days` };
  if (hour > 23 || minute > 59 || second > 59) return { reason: 'hours run to 23, minutes and seconds to 59' };
  let offsetMinutes = 0;
  if (m[9] !== undefined) {
    const [oh, om] = [Number(m[10]), Number(m[11])];
    if (oh > 23 || om > 59) return { reason: `'${m[9]}${m[10]}:${m[11]}' is not a time zone offset` };
    offsetMinutes = (m[9] === '-' ? -1 : 1) * (oh * 60 + om);
  }
  const ms = Number(frac.slice(0, 3).padEnd(3, '0'));
  // Date.UTC maps years 0-99 to 1900-1999; setUTCFullYear does not.
  const d = new Date(Date.UTC(2000, month - 1, day, hour, minute, second, ms));
  d.setUTCFullYear(year);
  const date = new Date(d.getTime() - offsetMinutes * 60_000);
  // An offset can carry a time past the four-digit years (9999-12-31T23:00-02:00), and so can digits below the
  // microsecond, which round up: such an instant's UTC text (+010000-…) is nothing DuckDB or RFC 3339 reads.
  const beyond = date.getTime() === MAX_MS && /[1-9]/.test(frac.slice(6)) && frac.slice(3, 6) === '999';
  if (date.getTime() > MAX_MS || beyond) return { reason: 'it lies after 9999-12-31T23:59:59.999999Z (UTC), the last instant a timestamp holds here' };
  if (date.getTime() < MIN_MS) return { reason: 'it lies before 0000-01-01T00:00:00Z (UTC), the first instant a timestamp holds here' };
  return { date };
}

/**
 * A Date from a Date or an ISO 8601 text (see the module comment); throws an
 * `InputError` naming `what` (e.g. `start`, `--split-at`) and the reason, with
 * the text under `detailsKey` (default `what`) in its details.
 */
export function parseInstant(value: Date | string, what: string, detailsKey = what): Date {
  if (value instanceof Date) {
    if (Number.isNaN(value.getTime())) throw new InputError(`invalid ${what}: not a valid date`);
    if (value.getTime() > MAX_MS || value.getTime() < MIN_MS) throw new InputError(`invalid ${what} ${value.toISOString()}: it lies outside the years 0000 to 9999 (UTC)`);
    return value;
  }
  const r = check(String(value).trim());
  if ('reason' in r) throw new InputError(`invalid ${what} '${value}': ${r.reason}`, { [detailsKey]: String(value) });
  return r.date;
}

/**
 * `parseInstant` as RFC 3339 UTC text with microseconds (`2001-06-01T10:30:00.000500Z`): a dataset's split
 * point, which is compared with microsecond timestamps (a `Date` would drop the digits below the millisecond).
 * Digits below the microsecond round up, to the first microsecond at or after the instant: a row is before
 * `…00.0000005` exactly when it is before `…00.000001` (cutting them would put a row at `…00.000000`, which is
 * before the instant, on the instant's side).
 */
export function parseInstantMicros(value: Date | string, what: string): string {
  const ms = parseInstant(value, what).getTime();
  const frac = value instanceof Date ? '' : (INSTANT.exec(String(value).trim())?.[7] ?? '');
  const micros = BigInt(ms) * 1000n + BigInt(frac.slice(3, 6).padEnd(3, '0')) + (/[1-9]/.test(frac.slice(6)) ? 1n : 0n);
  const floorMs = micros >= 0n ? micros / 1000n : -((-micros + 999n) / 1000n);
  const iso = new Date(Number(floorMs)).toISOString();
  return `${iso.slice(0, -1)}${String(micros - floorMs * 1000n).padStart(3, '0')}Z`;
}

/**
 * An age before `now` (`7d`: a whole number with unit s, m, h, d or w) or an instant, as ISO 8601 UTC text: how
 * the quality log's `since` and `until` are given (CLI `--since`, SDK `runs.list`). An `InputError` naming
 * `what` for anything else.
 *
 * @example
 * parseAgeOrInstant('7d', 'since'); // seven days ago
 * parseAgeOrInstant('2026-12-01T23:00:00+02:00', 'since'); // '2026-12-01T21:00:00.000Z'
 */
export function parseAgeOrInstant(value: string | Date, what: string, now = new Date()): string {
  if (value instanceof Date) return parseInstant(value, what).toISOString();
  const m = /^(\d+)([smhdw])$/.exec(value);
  if (m) {
    const unit = { s: 1e3, m: 6e4, h: 3.6e6, d: 8.64e7, w: 6.048e8 }[m[2] as 's']!;
    const at = new Date(now.getTime() - Number(m[1]) * unit);
    if (Number.isNaN(at.getTime()) || at.getUTCFullYear() < 1) throw new InputError(`invalid ${what} '${value}': that reaches back before the year 1`);
    return at.toISOString();
  }
  if (/^\d+[a-z]+$/i.test(value)) throw new InputError(`invalid ${what} '${value}': a duration is a whole number with unit s, m, h, d or w, e.g. 7d`);
  // Text that is neither form is told of both: `parseInstant`'s refusal alone hid that `7d` is taken here.
  if (!INSTANT.test(value.trim())) {
    throw new InputError(`invalid ${what} '${value}': use an age (a whole number with unit s, m, h, d or w, e.g. 7d) or ${INSTANT_FORMS}`, { [what]: value });
  }
  return parseInstant(value, what).toISOString();
}
