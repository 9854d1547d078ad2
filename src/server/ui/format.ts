/** Formatting helpers shared by the pages (times in UTC, numbers, durations, query strings). */
import { formatNumber } from '../../charts/scale.js';

export { formatNumber };

/** `2026-11-25 18:04:05Z` (UTC, seconds). */
export function formatTime(iso: string | null | undefined): string {
  if (!iso) return '—';
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return iso;
  return `${new Date(t).toISOString().slice(0, 19).replace('T', ' ')}Z`;
}

/** A window `[start, end)` compactly: the one formatter the run page, the runs list and `runs show`'s NEXT line share. */
export { formatWindow } from '../../runs/run-facts.js';

/** `1.2 s`, `3 min 4 s`. */
export function formatDuration(startIso: string, endIso: string | null): string {
  if (!endIso) return '—';
  const ms = Date.parse(endIso) - Date.parse(startIso);
  if (!Number.isFinite(ms) || ms < 0) return '—';
  if (ms < 1000) return `${ms} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  return `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
}

/** Thresholds as `warn ≥ 0.1, fail ≥ 0.25`. */
export function formatThresholds(t: Record<string, number> | null | undefined): string {
  if (!t) return '—';
  const parts = Object.entries(t).map(([k, v]) => `${k} ${typeof v === 'number' ? formatNumber(v) : String(v)}`);
  return parts.length ? parts.join(', ') : '—';
}

/** A query string from defined, non-empty values (`?a=1&b=x`), or '' when empty. */
export function query(params: Record<string, string | number | undefined | null>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : '';
}

/** Thousands separators: `10,000`. */
export function formatCount(n: number | null | undefined): string {
  return n === null || n === undefined ? '—' : n.toLocaleString('en-US');
}

/** A compact JSON value for tables (strings unquoted, long values cut). */
export function formatValue(v: unknown, max = 120): string {
  if (v === null || v === undefined) return '—';
  if (typeof v === 'number') return formatNumber(v);
  const s = typeof v === 'string' ? v : JSON.stringify(v);
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}

/**
 * Nested JSON (a fingerprint) as `key: value` lines with dotted paths:
 * `{files: [{path, sha256}]}` → `files[0].path: data/x.parquet`, `files[0].sha256: …`.
 */
export function flattenJson(v: unknown, maxLines = 24): [string, string][] {
  const out: [string, string][] = [];
  const walk = (path: string, x: unknown) => {
    if (out.length >= maxLines) return;
    if (x !== null && typeof x === 'object') {
      const entries = Array.isArray(x) ? x.map((y, i) => [`${path}[${i}]`, y] as const) : Object.entries(x).map(([k, y]) => [path ? `${path}.${k}` : k, y] as const);
      if (entries.length === 0) out.push([path, Array.isArray(x) ? '[]' : '{}']);
      for (const [p, y] of entries) walk(p, y);
      return;
    }
    out.push([path, formatValue(x, 100)]);
  };
  walk('', v);
  return out;
}
