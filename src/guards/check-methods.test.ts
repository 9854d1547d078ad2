import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CHECK_METHODS } from './check-methods.js';

/**
 * Every method a check can record, read from the checks' source: `method: '<m>'` literals, the constraint names
 * schema constraints record as methods, and the drift methods `driftOf` picks (`['<m>', value, …]`). Leakage's
 * score methods (auc, spearman, …) are recorded as `details.score_method`, not as the method: left out.
 */
function methodsInSource(): Set<string> {
  const dir = join(import.meta.dirname, 'checks');
  const found = new Set<string>();
  for (const f of readdirSync(dir)) {
    if (!f.endsWith('.ts') || f.endsWith('.test.ts') || f === 'leakage-scores.ts') continue;
    const text = readFileSync(join(dir, f), 'utf8');
    for (const m of text.matchAll(/\bmethod: '([a-z_]+)'/g)) found.add(m[1]);
    for (const m of text.matchAll(/\bconstraint: '([a-z_]+)'/g)) found.add(m[1]);
    for (const m of text.matchAll(/\[method, value, threshold, drifted\] = \['([a-z_]+)'/g)) found.add(m[1]);
    for (const m of text.matchAll(/\? '(null_timestamp)' : '(null_key)'/g)) found.add(m[1]).add(m[2]);
  }
  // Results recorded outside the checks (a push's refused rows: `check: 'schema', …, method: 'rows'`).
  const src = join(import.meta.dirname, '..');
  for (const f of readdirSync(src, { recursive: true }) as string[]) {
    if (!f.endsWith('.ts') || f.endsWith('.test.ts') || f.startsWith('guards/')) continue;
    for (const m of readFileSync(join(src, f), 'utf8').matchAll(/\bcheck: '([a-z_]+)'[^\n]*?\bmethod: '([a-z_]+)'/g)) found.add(m[2]);
  }
  return found;
}

describe('CHECK_METHODS', () => {
  it('holds every method the checks can record, and no other', () => {
    const all = new Set(Object.values(CHECK_METHODS).flat());
    const inSource = methodsInSource();
    expect(inSource.size).toBeGreaterThan(25);
    expect([...inSource].filter((m) => !all.has(m))).toEqual([]);
    expect([...all].filter((m) => !inSource.has(m))).toEqual([]);
  });
});
