/**
 * Scales and ticks. Ticks are "nice" numbers (1, 2 or 5 times a power of ten)
 * covering the data range, as people would draw them by hand; time ticks fall
 * on whole minutes, hours or days.
 */

export interface Ticks {
  /** Domain extended to the outer ticks. */
  readonly min: number;
  readonly max: number;
  readonly step: number;
  readonly values: readonly number[];
}

/**
 * Nice ticks covering `[min, max]` with about `count` intervals.
 *
 * @example
 * niceTicks(0.03, 0.91, 5); // { min: 0, max: 1, step: 0.2, values: [0, 0.2, 0.4, 0.6, 0.8, 1] }
 */
export function niceTicks(min: number, max: number, count = 5): Ticks {
  if (!Number.isFinite(min) || !Number.isFinite(max)) return niceTicks(0, 1, count);
  if (min > max) [min, max] = [max, min];
  if (min === max) {
    const pad = min === 0 ? 1 : Math.abs(min) * 0.1;
    return niceTicks(min - pad, max + pad, count);
  }
  const step = niceStep((max - min) / Math.max(1, count));
  const lo = Math.floor(min / step + 1e-9) * step;
  const hi = Math.ceil(max / step - 1e-9) * step;
  const values: number[] = [];
  const decimals = stepDecimals(step);
  for (let i = 0, v = lo; v <= hi + step * 1e-9 && i < 1000; i++, v = lo + i * step) {
    values.push(Number(v.toFixed(decimals)));
  }
  // The ends must really cover the data: `min / step` loses precision far from zero, and the 1e-9 tolerance
  // above may round a value just below a tick up to it (-1e-9 on a step of 2 gave a first tick of 0).
  while (values[0] > min) values.unshift(Number((values[0] - step).toFixed(decimals)));
  while (values[values.length - 1] < max) values.push(Number((values[values.length - 1] + step).toFixed(decimals)));
  return { min: values[0], max: values[values.length - 1], step, values };
}

/** The nice number (1, 2, 5 × 10^k) nearest above `raw`. */
export function niceStep(raw: number): number {
  const exp = Math.floor(Math.log10(raw));
  const base = 10 ** exp;
  const f = raw / base;
  const nice = f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10;
  return Number((nice * base).toPrecision(12));
}

/** Decimals needed to print multiples of `step` exactly. */
export function stepDecimals(step: number): number {
  return Math.max(0, Math.min(12, -Math.floor(Math.log10(step) + 1e-9)));
}

/** Tick label for a multiple of `step`. */
export function formatTick(v: number, step: number): string {
  const abs = Math.abs(v);
  if (abs !== 0 && (abs >= 1e6 || abs < 1e-4)) return v.toExponential(1);
  return v.toFixed(stepDecimals(step));
}

/** A linear map from a domain to a pixel range (range may be reversed, as for y). */
export function linearScale(d0: number, d1: number, r0: number, r1: number): (v: number) => number {
  const span = d1 - d0 || 1;
  return (v) => r0 + ((v - d0) / span) * (r1 - r0);
}

const SECOND = 1000;
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const TIME_STEPS = [SECOND, 5 * SECOND, 15 * SECOND, 30 * SECOND, MINUTE, 5 * MINUTE, 15 * MINUTE, 30 * MINUTE, HOUR, 3 * HOUR, 6 * HOUR, 12 * HOUR, DAY, 2 * DAY, 7 * DAY, 14 * DAY, 30 * DAY, 91 * DAY, 365 * DAY];

export interface TimeTicks {
  readonly values: readonly number[];
  readonly step: number;
  /** Formats a tick (UTC): dates for day steps, `MM-DD HH:mm` below, `HH:mm:ss` for second steps. */
  readonly format: (ms: number) => string;
}

/** Ticks for epoch-millisecond values at whole seconds, minutes, hours or days (UTC), about `count` of them. */
export function timeTicks(min: number, max: number, count = 5): TimeTicks {
  const span = Math.max(max - min, SECOND);
  const step = TIME_STEPS.find((s) => span / s <= count) ?? TIME_STEPS[TIME_STEPS.length - 1];
  const values: number[] = [];
  for (let v = Math.ceil(min / step) * step; v <= max; v += step) values.push(v);
  if (values.length === 0) values.push(min);
  const format = (ms: number): string => {
    const iso = new Date(ms).toISOString();
    if (step >= DAY) return iso.slice(0, 10);
    if (step < MINUTE) return iso.slice(11, 19);
    return `${iso.slice(5, 10)} ${iso.slice(11, 16)}`;
  };
  return { values, step, format };
}

/**
 * Short human number: integers in full, else 3 significant digits without
 * trailing zeros, and an exponent for very large or small magnitudes.
 *
 * @example
 * formatNumber(0.132456); // '0.132'
 */
export function formatNumber(v: number | null | undefined, digits = 3): string {
  if (v === null || v === undefined) return '—';
  if (Number.isNaN(v)) return 'NaN';
  if (!Number.isFinite(v)) return v > 0 ? '∞' : '−∞';
  const abs = Math.abs(v);
  if (abs === 0) return '0';
  if (Number.isInteger(v) && abs < 1e15) return String(v);
  if (abs >= 1e6 || abs < 1e-4) return v.toExponential(digits - 1);
  return String(Number(v.toPrecision(digits)));
}
