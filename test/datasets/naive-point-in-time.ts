/**
 * A naive point-in-time join written as plain loops, straight from DESIGN.md §3:
 * the reference the DuckDB join is compared against. No SQL here, no cleverness.
 */

export interface RefFeatureRow {
  readonly keys: readonly (string | number | null)[];
  readonly event: bigint;
  readonly created: bigint | null;
  readonly values: readonly unknown[];
  /** Tie-break value for rows equal on event and created (hash of all values, given by the test). */
  readonly tiebreak: bigint;
}

export interface RefView {
  readonly rows: readonly RefFeatureRow[];
  readonly ttlMicros: bigint;
  /** Which entity key positions this view joins on (indexes into the entity row keys). */
  readonly keyIndexes: readonly number[];
}

export interface RefEntityRow {
  readonly keys: readonly (string | number | null)[];
  readonly ts: bigint;
}

export interface RefChoice {
  readonly values: readonly unknown[] | null;
  readonly event: bigint | null;
  readonly created: bigint | null;
}

/** For every entity row (in order) and every view: the chosen feature row, or nulls. */
export function naivePointInTime(entities: readonly RefEntityRow[], views: readonly RefView[], availability: 'event' | 'created'): RefChoice[][] {
  const out: RefChoice[][] = [];
  for (const e of entities) {
    const perView: RefChoice[] = [];
    for (const v of views) {
      let best: RefFeatureRow | null = null;
      for (const r of v.rows) {
        let sameKeys = true;
        for (let i = 0; i < v.keyIndexes.length; i++) {
          const ek = e.keys[v.keyIndexes[i]];
          if (ek === null || r.keys[i] === null || ek !== r.keys[i]) sameKeys = false;
        }
        if (!sameKeys) continue;
        if (r.event > e.ts) continue;
        if (v.ttlMicros > 0n && r.event < e.ts - v.ttlMicros) continue;
        if (availability === 'created' && r.created !== null && r.created > e.ts) continue;
        if (best === null || better(r, best)) best = r;
      }
      perView.push(best ? { values: best.values, event: best.event, created: best.created } : { values: null, event: null, created: null });
    }
    out.push(perView);
  }
  return out;
}

function better(a: RefFeatureRow, b: RefFeatureRow): boolean {
  if (a.event !== b.event) return a.event > b.event;
  const ac = a.created;
  const bc = b.created;
  if (ac !== bc) {
    if (ac === null) return false;
    if (bc === null) return true;
    return ac > bc;
  }
  return a.tiebreak > b.tiebreak;
}
