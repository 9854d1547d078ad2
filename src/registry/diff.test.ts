import { describe, expect, it } from 'vitest';
import { canonicalJson, contentHash } from './canonical.js';
import { diffFields } from './diff.js';

describe('canonical JSON and content hash', () => {
  it('ignores key order and undefined members, not array order', () => {
    expect(canonicalJson({ b: 1, a: { d: [2, 1], c: undefined } })).toBe('{"a":{"d":[2,1]},"b":1}');
    expect(contentHash({ b: 1, a: 2 })).toBe(contentHash({ a: 2, b: 1 }));
    expect(contentHash({ a: [1, 2] })).not.toBe(contentHash({ a: [2, 1] }));
    expect(contentHash({ a: 1 })).toMatch(/^[0-9a-f]{64}$/);
  });

  it('keeps a member named __proto__ (a tag or a mapped column may be named so) in the text and the hash', () => {
    const mapping = (column: string) => JSON.parse(`{"field_mapping": {"__proto__": "${column}"}}`) as unknown;
    expect(canonicalJson(mapping('dep_time'))).toBe('{"field_mapping":{"__proto__":"dep_time"}}');
    expect(contentHash(mapping('dep_time'))).not.toBe(contentHash(mapping('arr_time')));
    expect(diffFields(mapping('dep_time') as object, mapping('arr_time') as object)).toEqual([{ path: '/field_mapping/__proto__', before: 'dep_time', after: 'arr_time' }]);
  });
});

describe('diffFields', () => {
  it('reports scalar changes, additions and removals with JSON paths', () => {
    expect(diffFields({ ttl: '6h', online: true }, { ttl: '12h', schedule: '0 * * * *' })).toEqual([
      { path: '/ttl', before: '6h', after: '12h' },
      { path: '/online', before: true, after: null },
      { path: '/schedule', before: null, after: '0 * * * *' },
    ]);
    expect(diffFields({ a: 1 }, { a: 1 })).toEqual([]);
  });

  it('matches features by name, not by position', () => {
    const before = { features: [{ name: 'a', type: 'int64' }, { name: 'b', type: 'float64' }] };
    const after = { features: [{ name: 'new', type: 'bool' }, { name: 'a', type: 'int64' }, { name: 'b', type: 'float32', min: 0 }] };
    expect(diffFields(before, after)).toEqual([
      { path: '/features/b/type', before: 'float64', after: 'float32' },
      { path: '/features/b/min', before: null, after: 0 },
      { path: '/features/new', before: null, after: { name: 'new', type: 'bool' } },
    ]);
  });

  it('reports a removed named element and a pure reordering', () => {
    const f = (n: string) => ({ name: n, type: 'int64' });
    expect(diffFields({ features: [f('a'), f('b'), f('c')] }, { features: [f('c'), f('a')] })).toEqual([
      { path: '/features/b', before: f('b'), after: null },
      { path: '/features#order', before: ['a', 'b', 'c'], after: ['c', 'a'] },
    ]);
  });

  it('compares plain arrays as a whole and escapes path segments', () => {
    expect(diffFields({ entities: ['airport'] }, { entities: ['airport', 'route'] })).toEqual([
      { path: '/entities', before: ['airport'], after: ['airport', 'route'] },
    ]);
    expect(diffFields({ field_mapping: { 'a/b': 'x' } }, { field_mapping: { 'a/b': 'y' } })).toEqual([
      { path: '/field_mapping/a~1b', before: 'x', after: 'y' },
    ]);
  });

  it('diffs against nothing for additions', () => {
    expect(diffFields(null, { a: 1 })).toEqual([{ path: '/', before: null, after: { a: 1 } }]);
  });
});
