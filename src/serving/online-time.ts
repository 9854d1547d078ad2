/** Event timestamps of online responses: RFC 3339 UTC text from microseconds since the epoch. */

/** The event timestamp of join key values and of features not found. */
export const EPOCH = '1970-01-01T00:00:00Z';

/** 10000-01-01T00:00:00Z in microseconds (exact as a number). */
const MAX_US = 253_402_300_800_000_000;
/** 0001-01-01T00:00:00Z in microseconds: RFC 3339 has no earlier year (DuckDB timestamps reach 290309 BC). */
const MIN_US = -62_135_596_800_000_000;

/**
 * RFC 3339 UTC with `Z` from microseconds since epoch: no fraction for whole seconds, else milliseconds (3
 * digits) when they hold it, else microseconds (6) — the widths Feast writes, and the only ones Python 3.10's
 * `datetime.fromisoformat` (which Feast's remote client parses with) reads.
 */
export function formatMicros(us: number): string {
  // Beyond 2^53 µs (after 2255) a number holds microseconds only to within ±16 µs, and 9999-12-31T23:59:59.999999
  // (a common "never" sentinel) becomes year 10000, which RFC 3339 cannot write: the last instant it can.
  if (us >= MAX_US) return '9999-12-31T23:59:59.999999Z';
  if (us < MIN_US) return '0001-01-01T00:00:00Z';
  const frac = ((us % 1_000_000) + 1_000_000) % 1_000_000;
  const iso = new Date(((us - frac) / 1000)).toISOString().slice(0, 19);
  if (frac === 0) return `${iso}Z`;
  return frac % 1000 === 0 ? `${iso}.${String(frac / 1000).padStart(3, '0')}Z` : `${iso}.${String(frac).padStart(6, '0')}Z`;
}

const formatted = new Map<number, string>();

/** `formatMicros` with a small cache: entities of one window share few distinct timestamps. */
export function formatCached(us: number): string {
  let text = formatted.get(us);
  if (text === undefined) {
    if (formatted.size >= 10_000) formatted.clear();
    formatted.set(us, (text = formatMicros(us)));
  }
  return text;
}
