/**
 * Ordering DuckDB's text of TIMESTAMP, TIMESTAMPTZ and DATE values (how
 * profiles keep their min and max). Plain string order is right only for years
 * 1 to 9999: DuckDB writes `10000-01-01 00:00:00` (which sorts before `2001`),
 * `0044-03-15 (BC) 10:00:00` (after `0001-…`), `infinity` and `-infinity`.
 *
 * @example
 * ['2001-01-01 00:00:00', '10000-01-01 00:00:00', '0001-12-31 (BC)'].sort(compareTimestampText);
 * // ['0001-12-31 (BC)', '2001-01-01 00:00:00', '10000-01-01 00:00:00']
 */

const DATED = /^(\d+)-(\d\d-\d\d)( \(BC\))?(.*)$/;

/** [astronomical year, rest of the text], or ±Infinity for DuckDB's infinities. */
function key(text: string): [number, string] {
  if (text === 'infinity') return [Infinity, ''];
  if (text === '-infinity') return [-Infinity, ''];
  const m = DATED.exec(text);
  if (!m) return [NaN, text];
  const year = Number(m[1]);
  return [m[3] ? 1 - year : year, `${m[2]}${m[4]}`];
}

/** Negative, zero or positive as `a` is before, at or after `b` (unparseable text sorts as plain text, after dates). */
export function compareTimestampText(a: string, b: string): number {
  const [ya, ra] = key(a);
  const [yb, rb] = key(b);
  if (Number.isNaN(ya) || Number.isNaN(yb)) return Number.isNaN(ya) === Number.isNaN(yb) ? (a < b ? -1 : a > b ? 1 : 0) : Number.isNaN(ya) ? 1 : -1;
  if (ya !== yb) return ya < yb ? -1 : 1;
  return ra < rb ? -1 : ra > rb ? 1 : 0;
}

const PARTS = /^(\d+)-(\d\d)-(\d\d)(?:[ T](\d\d):(\d\d)(?::(\d\d)(?:\.(\d+))?)?)?\s*(?:Z|([+-])(\d\d)(?::?(\d\d))?)?$/;

/**
 * Milliseconds since the epoch of DuckDB's text of a TIMESTAMP (UTC), TIMESTAMPTZ (`… 06:40:00+00`, with
 * its offset) or DATE; ±Infinity for DuckDB's infinities; NaN for text that is none of these (a BC date).
 *
 * @example
 * timestampTextMs('2024-01-01 06:40:00+00'); // Date.UTC(2024, 0, 1, 6, 40)
 */
export function timestampTextMs(text: string): number {
  if (text === 'infinity') return Infinity;
  if (text === '-infinity') return -Infinity;
  const m = PARTS.exec(text.trim());
  if (!m) return NaN;
  const [, y, mo, d, h, mi, s, frac, sign, oh, om] = m;
  // Date.UTC reads years 0-99 as 1900-1999: the year is set on its own.
  const at = new Date(Date.UTC(2000, 0, 1, Number(h ?? 0), Number(mi ?? 0), Number(s ?? 0), Number((frac ?? '0').padEnd(3, '0').slice(0, 3))));
  at.setUTCFullYear(Number(y), Number(mo) - 1, Number(d));
  const local = at.getTime();
  const offset = sign ? (sign === '-' ? -1 : 1) * (Number(oh) * 60 + Number(om ?? 0)) * 60_000 : 0;
  return local - offset;
}
