/**
 * A definition as the registry compares it: without the settings written as their defaults, its durations by their
 * length. Deciding whether an object changed (`computePlan`) and which of its fields did (`diffFields`) both go by it.
 */
import type { Definition } from '../definitions/types.js';
import { ttlLength } from '../definitions/row-shape.js';

const isEmpty = (v: unknown): boolean => (Array.isArray(v) ? v.length === 0 : v !== null && typeof v === 'object' && Object.keys(v).length === 0);

/**
 * A definition without the settings written as their defaults (`online: false`, `role: feature`, `ttl: 0`,
 * `allowed_lateness: 0`, empty `tags`, `slices` or `quality`), and its durations by their length: writing a default
 * out, or dropping it, or the same ttl in another unit (`1d` as `24h`), is no change (no new version).
 */
export function withoutDefaults(def: Definition): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(def)) {
    if ((k === 'tags' || k === 'slices' || k === 'quality') && isEmpty(v)) continue;
    if (def.kind === 'feature_view' && ((k === 'online' && v === false) || (k === 'role' && v === 'feature'))) continue;
    if (def.kind === 'feature_view' && (k === 'ttl' || k === 'allowed_lateness')) {
      // A ttl of zero in any unit (`0s`, `0d`) is `0`, unlimited: the default (an allowed_lateness's, none).
      const length = ttlLength(v as string | number);
      if (length !== 0) out[k] = length;
      continue;
    }
    out[k] = v;
  }
  return out;
}
