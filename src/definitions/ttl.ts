/** Durations in definitions: `0` or an integer with unit `s`, `m`, `h`, `d` (e.g. `6h`). */
const UNIT_MS = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

export const DURATION_PATTERN = '^(0|[0-9]+[smhd])$';

/** The longest duration accepted (100 years): beyond it, times overflow DuckDB's and JavaScript's ranges. */
export const MAX_DURATION_MS = 36_500 * 86_400_000;

/** Milliseconds for a duration string; 0 means unlimited. Throws on a malformed value. */
export function parseDuration(text: string | undefined): number {
  if (text === undefined || text === '0') return 0;
  const m = /^([0-9]+)([smhd])$/.exec(text);
  if (!m) throw new Error(`invalid duration '${text}': use 0 or a whole number with unit s, m, h or d, e.g. 6h`);
  const ms = Number(m[1]) * UNIT_MS[m[2] as keyof typeof UNIT_MS];
  if (!(ms <= MAX_DURATION_MS)) throw new Error(`duration '${text}' is longer than 100 years (36500d); use 0 for unlimited`);
  return ms;
}
