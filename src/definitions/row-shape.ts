/**
 * The parts of a definition that decide which rows a dataset build or a
 * materialization reads and what they hold — not its description, owner, tags,
 * quality policy, constraints, schedule or `online` flag. Two definitions with the
 * same row shape give the same rows from the same data.
 *
 * @example
 * contentHash(rowShape(before)) === contentHash(rowShape(after)); // only the description changed
 */
import { storedDuration } from './ttl.js';
import type { Definition, FeatureViewDef, SourceDef } from './types.js';

export function rowShape(def: Definition): unknown {
  switch (def.kind) {
    case 'entity':
      return { join_keys: def.join_keys.map((k) => ({ name: k.name, type: k.type })) };
    case 'source':
      return sourceShape(def);
    case 'feature_view':
      return { entities: def.entities, source: def.source, ttl: ttlLength(def.ttl), role: def.role ?? 'feature', features: viewFeatureShape(def) };
    case 'feature_service':
      return { features: def.features, label: def.label ?? null };
  }
}

/**
 * A view's ttl by its length in milliseconds, as reads go by it: `1d` and `24h` are one ttl, and `0s`, `0` or none
 * are 0 (unlimited). A value that is no duration (never valid, so never applied) stays as written.
 */
export function ttlLength(ttl: string | number | undefined): number | string {
  if (ttl === 0) return 0;
  try {
    return storedDuration(ttl as string | undefined);
  } catch {
    return String(ttl);
  }
}

/** Where a source reads and how its columns become a view's (the tamper check's checksums are keyed by it). */
export function sourceShape(s: SourceDef): unknown {
  const mapping = Object.entries(s.field_mapping ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return {
    path: s.path ?? null, format: s.format ?? null, database: s.database ?? null, table: s.table ?? null, query: s.query ?? null,
    timestamp_field: s.timestamp_field, created_timestamp_field: s.created_timestamp_field ?? null, field_mapping: mapping,
  };
}

/** A view's features by name and type, in order (the point-in-time tie-break hashes all of them, in this order). */
export function viewFeatureShape(v: FeatureViewDef): unknown {
  return v.features.map((f) => [f.name, f.type]);
}
