/**
 * Field-by-field differences between two versions of a definition, as JSON
 * paths with the value before and after. Arrays of named objects (features,
 * join keys) are matched by `name`, not by position, so inserting a feature
 * reports one added feature instead of shifting every later one; their paths
 * use the name as the segment (`/features/mean_delay/type`). A pure reordering
 * of named elements is reported once at `<array path>#order` with the name lists.
 * Other arrays (entity lists, feature references) are compared as a whole.
 * Absent values are reported as `null`. Between two versions of a definition (objects of the same `kind`), a
 * field whose values differ only as written (a default written out or left out, `tags: {}`, `1h` as `3600s`: see
 * `withoutDefaults`) is no change, and is left out beside the real ones; the values are shown as written.
 */
import type { FieldChange } from './types.js';
import { canonicalJson } from './canonical.js';
import { pointerKey, pointerToken } from '../json-pointer.js';
import type { Definition } from '../definitions/types.js';
import { withoutDefaults } from './without-defaults.js';

/**
 * The differences between `before` and `after` (empty when equal).
 *
 * @example
 * diffFields({ ttl: '6h' }, { ttl: '12h' }); // [{ path: '/ttl', before: '6h', after: '12h' }]
 */
export function diffFields(before: unknown, after: unknown): FieldChange[] {
  const out: FieldChange[] = [];
  diffInto('', before, after, out);
  if (!isDefinition(before) || !isDefinition(after) || before.kind !== after.kind) return out;
  // `withoutDefaults` rewrites top-level fields only: a change under a field counts when that field's normal form changed.
  const [a, b] = [withoutDefaults(before), withoutDefaults(after)];
  return out.filter((c) => {
    const key = pointerKey(c.path.slice(1).split(/[/#]/)[0]);
    return canonicalJson(a[key] ?? null) !== canonicalJson(b[key] ?? null);
  });
}

function isDefinition(v: unknown): v is Definition {
  return isPlainObject(v) && typeof v.kind === 'string';
}

function diffInto(path: string, a: unknown, b: unknown, out: FieldChange[]): void {
  if (a === b || canonicalJson(a ?? null) === canonicalJson(b ?? null)) return;
  if (isPlainObject(a) && isPlainObject(b)) {
    const keys = [...Object.keys(a), ...Object.keys(b).filter((k) => !(k in a))];
    for (const k of keys) diffInto(`${path}/${pointerToken(k)}`, a[k], b[k], out);
    return;
  }
  if (Array.isArray(a) && Array.isArray(b) && isNamedList(a) && isNamedList(b)) {
    diffNamedLists(path, a, b, out);
    return;
  }
  out.push({ path: path || '/', before: a ?? null, after: b ?? null });
}

type Named = { name: string } & Record<string, unknown>;

function diffNamedLists(path: string, a: Named[], b: Named[], out: FieldChange[]): void {
  const byNameB = new Map(b.map((x) => [x.name, x]));
  const byNameA = new Map(a.map((x) => [x.name, x]));
  for (const x of a) {
    const y = byNameB.get(x.name);
    if (y) diffInto(`${path}/${pointerToken(x.name)}`, x, y, out);
    else out.push({ path: `${path}/${pointerToken(x.name)}`, before: x, after: null });
  }
  for (const y of b) {
    if (!byNameA.has(y.name)) out.push({ path: `${path}/${pointerToken(y.name)}`, before: null, after: y });
  }
  const commonA = a.map((x) => x.name).filter((n) => byNameB.has(n));
  const commonB = b.map((x) => x.name).filter((n) => byNameA.has(n));
  if (commonA.join('\u0000') !== commonB.join('\u0000')) {
    out.push({ path: `${path}#order`, before: a.map((x) => x.name), after: b.map((x) => x.name) });
  }
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** An array whose elements are objects with distinct string names. */
function isNamedList(v: unknown[]): v is Named[] {
  const names = new Set<string>();
  for (const x of v) {
    if (!isPlainObject(x) || typeof x.name !== 'string' || names.has(x.name)) return false;
    names.add(x.name);
  }
  return true;
}
