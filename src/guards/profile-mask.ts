/**
 * Profiles of personal data keep no values: the top list, the sample and the
 * min/max of a string column that holds PII (declared `pii: true`, found by the
 * PII check, or a join key) are replaced by hashes (`sha256:` and 16 hex digits). Equal
 * values still hash equal, so category drift between two masked profiles means
 * what it meant before; a masked and an unmasked profile are compared with both
 * masked (`comparable`). A hash is not encryption: whoever guesses a value can
 * confirm it, but the quality log no longer lists the values.
 *
 * @example
 * maskProfile(profile).top; // [{ value: 'sha256:5e884898da280471', count: 12 }, ...]
 */
import { createHash } from 'node:crypto';
import type { ColumnProfile } from './profile-types.js';

/** The hash a masked profile keeps of a value. */
export function maskValue(value: string): string {
  return `sha256:${createHash('sha256').update(value, 'utf8').digest('hex').slice(0, 16)}`;
}

/**
 * A profile that keeps no values: strings become hashes; numbers and timestamps
 * (a phone number stored as int64, a birth date) lose their sample, range,
 * quantiles and histogram, so their drift is not computed (itself when masked already).
 * A timestamp's age is masked with it: the row's event time minus a birth date is
 * the person's age to the second, the value itself once the event time is known.
 */
export function maskProfile(p: ColumnProfile): ColumnProfile {
  if (p.masked && (p.age === undefined || p.age.masked)) return p;
  const top = p.top?.map((t) => ({ value: maskValue(t.value), count: t.count })) ?? null;
  if (p.kind !== 'categorical') {
    return { ...p, masked: true, min: null, max: null, quantiles: null, histogram: null, deciles: null, sample: [], mad: null, top, ...(p.age ? { age: maskProfile(p.age) } : {}) };
  }
  const text = <T>(v: T): T | string => (typeof v === 'string' ? maskValue(v) : v);
  return { ...p, masked: true, min: text(p.min), max: text(p.max), sample: p.sample.map(text), top };
}

/** `profiles` with the columns in `columns` masked. */
export function maskColumns(profiles: ReadonlyMap<string, ColumnProfile>, columns: ReadonlySet<string>): Map<string, ColumnProfile> {
  return new Map([...profiles].map(([c, p]) => [c, columns.has(c) ? maskProfile(p) : p]));
}

/** Two profiles to compare: both masked when either is. */
export function comparable(ref: ColumnProfile, cur: ColumnProfile): [ColumnProfile, ColumnProfile] {
  return ref.masked || cur.masked ? [maskProfile(ref), maskProfile(cur)] : [ref, cur];
}
