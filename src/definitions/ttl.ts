/** Durations in definitions: `0` or an integer with unit `s`, `m`, `h`, `d` (e.g. `6h`). */
const UNIT_MS = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

export const DURATION_PATTERN = '^(0|[0-9]+[smhd])$';

/** The longest duration accepted (100 years): beyond it, times overflow DuckDB's and JavaScript's ranges. */
export const MAX_DURATION_MS = 36_500 * 86_400_000;

/** The JSON Schema `format` of durations: within MAX_DURATION_MS. */
export const DURATION_FORMAT = 'featureguard-duration';

/** What `0` means for each duration setting (by its property name), for messages; a ttl's when unnamed. */
const ZERO_MEANS: Readonly<Record<string, string>> = {
  ttl: 'unlimited',
  allowed_lateness: 'none: an incremental run starts where the last one ended',
  min_interval: 'every match is sent',
  redeliver_for: 'never redeliver',
  max_clock_skew: 'no skew allowed',
  max_staleness: 'no freshness check',
  landing_delay: 'no late landing: a row that lands after its day was read is an edit',
};

/** `0 (unlimited)`, or what 0 means for the setting at a JSON pointer such as `/alerts/0/min_interval`. */
export function zeroDuration(path = ''): string {
  const name = path.slice(path.lastIndexOf('/') + 1);
  return `0 (${ZERO_MEANS[name] ?? ZERO_MEANS.ttl})`;
}

export const tooLongMessage = (text: string, path = '') => `duration '${text}' is longer than 100 years (36500d); use ${zeroDuration(path)} or a shorter one`;

/** Whether a well-formed duration is at most MAX_DURATION_MS. */
export function durationWithinLimit(text: string): boolean {
  const m = /^([0-9]+)([smhd])$/.exec(text);
  return m !== null && Number(m[1]) * UNIT_MS[m[2] as keyof typeof UNIT_MS] <= MAX_DURATION_MS;
}

/** Milliseconds for a duration string; 0 means unlimited. Throws on a malformed value. */
export function parseDuration(text: string | undefined): number {
  if (text === undefined || text === '0') return 0;
  const m = /^([0-9]+)([smhd])$/.exec(text);
  if (!m) throw new Error(`invalid duration '${text}': use 0 or a whole number with unit s, m, h or d, e.g. 6h`);
  const ms = Number(m[1]) * UNIT_MS[m[2] as keyof typeof UNIT_MS];
  if (!(ms <= MAX_DURATION_MS)) throw new Error(tooLongMessage(text));
  return ms;
}

/**
 * Milliseconds for a duration of a definition already applied: validated then, but one
 * applied before the 100-year limit existed is held to the limit rather than failing
 * every read, build and materialization of its view.
 */
export function storedDuration(text: string | undefined): number {
  const m = text === undefined ? null : /^([0-9]+)([smhd])$/.exec(text);
  if (m && !durationWithinLimit(text!)) return MAX_DURATION_MS;
  return parseDuration(text);
}
