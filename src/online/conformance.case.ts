/**
 * The online store conformance suite: one set of tests every implementation
 * passes (sqlite, redis standalone, redis cluster).
 *
 * `newNamespace()` returns an opener for a fresh, empty store namespace (a new
 * SQLite file, a new Redis key prefix); calling the opener twice gives two
 * independent handles (connections) on the same data.
 */
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { decodeValues, decodeValueTexts, project } from './record-codec.js';
import type { OnlineKey, OnlineRow, OnlineStore } from './types.js';

export type StoreOpener = () => Promise<OnlineStore>;

const FEATURES = ['b', 'i32', 'i64', 'f32', 'f64', 's', 'ts', 'fl32', 'fl64'] as const;

function row(key: OnlineKey, values: readonly unknown[], eventTs: number, createdTs = 0): OnlineRow {
  return { key, values, eventTs, createdTs };
}

export function describeOnlineStoreConformance(name: string, newNamespace: () => StoreOpener): void {
  describe(`online store conformance: ${name}`, () => {
    const opened: OnlineStore[] = [];
    const open = async (opener: StoreOpener = newNamespace()) => {
      const s = await opener();
      opened.push(s);
      return s;
    };
    afterEach(async () => {
      await Promise.all(opened.splice(0).map((s) => s.close()));
    });

    it('round-trips every feature type, nulls and unicode', async () => {
      const store = await open();
      const a = [true, -7, 9_007_199_254_740_991, 1.5, Math.PI, 'Zürich ✈️ 東京 "q" \\ |', '2001-03-04T05:06:07.123456Z', [1, 2.5], [-1e300, 0]];
      const b = [false, 0, -1, Number.NaN, Number.POSITIVE_INFINITY, '', '1970-01-01T00:00:00Z', [], [Number.NaN, Number.NEGATIVE_INFINITY]];
      const c = [null, null, null, null, null, null, null, null, null];
      const res = await store.writeBatch('types', FEATURES, [row(['a'], a, 10, 1), row(['b'], b, 20), row(['c'], c, 30)]);
      expect(res).toEqual({ written: 3, skipped: 0 });
      const got = await store.readMany('types', FEATURES, [['a'], ['b'], ['c']]);
      expect(got).toEqual([
        { values: a, eventTs: 10, createdTs: 1 },
        { values: b, eventTs: 20, createdTs: 0 },
        { values: c, eventTs: 30, createdTs: 0 },
      ]);
      expect(Number.isNaN((got[1]!.values as number[])[3])).toBe(true);
    });

    it('reads the same values encoded (readManyEncoded)', async () => {
      const store = await open();
      const a = [true, -7, 9_007_199_254_740_991, 1.5, Math.PI, 'Zürich ✈️ 東京 "q" \\ |,]', '2001-03-04T05:06:07.123456Z', [1, 2.5], [-1e300, 0]];
      const b = [false, 0, -1, Number.NaN, Number.POSITIVE_INFINITY, '', '1970-01-01T00:00:00Z', [], [Number.NaN, Number.NEGATIVE_INFINITY]];
      const c = [null, null, null, null, null, null, null, null, null];
      await store.writeBatch('texts', FEATURES, [row(['a'], a, 10, 1), row(['b'], b, 20), row(['c'], c, 30)]);
      const keys = [['a'], ['nope'], ['b'], ['c'], ['a']];
      const wanted = ['s', 'f64', 'gone', ...FEATURES];
      // A non-finite number as its JavaScript literal, inside a list as that literal's string (protobuf's JSON mapping).
      const nonFinite = (_key: string, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v);
      const text = (v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : JSON.stringify(v, nonFinite));
      const values = await store.readMany('texts', wanted, keys);
      const encoded = await store.readManyEncoded('texts', wanted, keys);
      expect(encoded.map((e) => e && { values: project(decodeValues(e.encoded), e.projection), eventTs: e.eventTs, createdTs: e.createdTs })).toEqual(values);
      const texts = encoded.map((e) => e && decodeValueTexts(e.encoded, e.projection));
      expect(texts).toEqual(values.map((v) => v && v.values.map(text)));
      expect(texts[1]).toBeUndefined();
      expect(texts[2]?.slice(0, 3)).toEqual(['""', 'Infinity', undefined]);
      // The stored features asked for in order: no projection.
      expect((await store.readManyEncoded('texts', FEATURES, [['a']]))[0]?.projection).toBeNull();
      expect(await store.readManyEncoded('texts', ['s'], [])).toEqual([]);
    });

    it('reads several views in one call (readManyEncodedViews) as it reads each view alone', async () => {
      const store = await open();
      const old = 1_000; // an event time far outside any ttl: the store returns it, the caller judges ttl
      await store.writeBatch('mv_a', ['x', 'y'], [row(['SEA'], [1.5, 'a'], 10), row(['SFO'], [null, 'b'], 20), row([7], [3, 'int key'], 30)]);
      await store.writeBatch('mv_b', ['z'], [row(['SEA'], [[1, 2.5]], old, 4)]);
      // A stale vector: mv_c's SEA was written before the view gained 'w' and lost 'v'.
      await store.writeBatch('mv_c', ['u', 'v'], [row(['SEA'], ['old u', 'old v'], 40)]);
      await store.writeBatch('mv_c', ['u', 'w'], [row(['SFO'], ['new u', true], 50)]);
      await store.writeBatch('mv_pair', ['n'], [row(['SEA', 'SFO'], [Number.NaN], 60), row(['SFO', 'SEA'], [Number.NEGATIVE_INFINITY], 61)]);
      const requests = [
        { view: 'mv_a', features: ['y', 'x'], keys: [['SEA'], ['nope'], ['SFO'], [7], ['7']] },
        { view: 'mv_b', features: ['z'], keys: [['SEA'], ['SFO']] },
        { view: 'mv_c', features: ['u', 'w', 'gone'], keys: [['SEA'], ['SFO'], ['SEA']] },
        { view: 'mv_c', features: ['u', 'w'], keys: [['SFO']] },
        { view: 'mv_pair', features: ['n'], keys: [['SFO', 'SEA'], ['SEA', 'SFO'], ['SEA']] },
        { view: 'mv_none', features: ['x'], keys: [['SEA']] },
        { view: 'mv_a', features: ['x'], keys: [] },
        { view: 'mv_b', features: [], keys: [['SEA']] },
      ];
      const got = await store.readManyEncodedViews(requests);
      // The reference: one readManyEncoded per request.
      expect(got).toEqual(await Promise.all(requests.map((r) => store.readManyEncoded(r.view, r.features, r.keys))));
      // And what was written, decoded independently of either read.
      const values = got.map((rows) => rows.map((e) => e && { values: project(decodeValues(e.encoded), e.projection), eventTs: e.eventTs, createdTs: e.createdTs }));
      expect(values).toEqual([
        [{ values: ['a', 1.5], eventTs: 10, createdTs: 0 }, undefined, { values: ['b', null], eventTs: 20, createdTs: 0 }, { values: ['int key', 3], eventTs: 30, createdTs: 0 }, undefined],
        [{ values: [[1, 2.5]], eventTs: old, createdTs: 4 }, undefined],
        [{ values: ['old u', undefined, undefined], eventTs: 40, createdTs: 0 }, { values: ['new u', true, undefined], eventTs: 50, createdTs: 0 }, { values: ['old u', undefined, undefined], eventTs: 40, createdTs: 0 }],
        [{ values: ['new u', true], eventTs: 50, createdTs: 0 }],
        [{ values: [Number.NEGATIVE_INFINITY], eventTs: 61, createdTs: 0 }, { values: [Number.NaN], eventTs: 60, createdTs: 0 }, undefined],
        [undefined],
        [],
        [{ values: [], eventTs: old, createdTs: 4 }],
      ]);
      // The stored features asked for in order: no projection, as readManyEncoded.
      expect(got[3][0]?.projection).toBeNull();
      expect(await store.readManyEncodedViews([])).toEqual([]);
    });

    it('reads several views in one call, each as of a committed state: a session of one view invisible until commit', async () => {
      const opener = newNamespace();
      const store = await open(opener);
      const other = await open(opener);
      await store.writeBatch('sv_a', ['x'], [row(['k'], ['a old'], 1)]);
      await store.writeBatch('sv_b', ['x'], [row(['k'], ['b old'], 1)]);
      const w = await store.beginWrite('sv_b', ['x']);
      await w.write([row(['k'], ['b new'], 2), row(['j'], ['b new'], 2)]);
      const read = async (s: OnlineStore) =>
        (await s.readManyEncodedViews([{ view: 'sv_a', features: ['x'], keys: [['k'], ['j']] }, { view: 'sv_b', features: ['x'], keys: [['k'], ['j']] }]))
          .map((rows) => rows.map((e) => e && decodeValues(e.encoded)[0]));
      try {
        for (const s of [store, other]) expect(await read(s)).toEqual([['a old', undefined], ['b old', undefined]]);
        await w.commit();
        for (const s of [store, other]) expect(await read(s)).toEqual([['a old', undefined], ['b new', 'b new']]);
      } finally {
        await w.abort(); // nothing once committed; a failed expectation must not leave the session open
      }
    });

    it('reads several views in one call as each alone under random writes (property)', async () => {
      const store = await open();
      let round = 0;
      const write = fc.record({ view: fc.integer({ min: 0, max: 2 }), k: fc.integer({ min: 0, max: 3 }), ets: fc.integer({ min: 0, max: 3 }), v: fc.integer(), wide: fc.boolean() });
      const request = fc.record({ view: fc.integer({ min: 0, max: 3 }), features: fc.subarray(['a', 'b', 'c']), keys: fc.array(fc.integer({ min: 0, max: 4 }), { maxLength: 4 }) });
      await fc.assert(
        fc.asyncProperty(fc.array(write, { maxLength: 10 }), fc.array(request, { maxLength: 5 }), async (writes, requests) => {
          const prefix = `prop_views_${round++}_`;
          for (const w of writes) {
            // Two feature lists per view: vectors of either stay readable (projected).
            const features = w.wide ? ['a', 'b', 'c'] : ['b', 'a'];
            await store.writeBatch(`${prefix}${w.view}`, features, [row([w.k], features.map((f) => `${f}${w.v}`), w.ets)]);
          }
          const asked = requests.map((r) => ({ view: `${prefix}${r.view}`, features: r.features, keys: r.keys.map((k) => [k]) }));
          const got = await store.readManyEncodedViews(asked);
          expect(got).toEqual(await Promise.all(asked.map((r) => store.readManyEncoded(r.view, r.features, r.keys))));
        }),
        { numRuns: 25 },
      );
    });

    it('reads one entity of several views in one call as each view alone (property: one key per request, key lists shared or not)', async () => {
      const store = await open();
      let round = 0;
      const keys: OnlineKey[] = [['SEA'], [7], ['7'], ['SEA', 'SFO'], ['SFO', 'SEA'], ['Zürich "q" \\ |']];
      const write = fc.record({ view: fc.integer({ min: 0, max: 5 }), k: fc.integer({ min: 0, max: keys.length - 1 }), ets: fc.integer({ min: 0, max: 3 }), v: fc.nat({ max: 1000 }) });
      // One feature list per view (its stored vectors then project, or not), so a write wins by (event, created) time alone.
      const featuresOf = (view: number) => (view % 2 === 0 ? ['a', 'b', 'c'] : ['c', 'a']);
      // Several views of one entity, as the online read asks for them: one key list, shared by the views of the
      // same join keys (one array) or not (equal arrays), a view asked twice, a view never written.
      const request = fc.record({ view: fc.integer({ min: 0, max: 6 }), features: fc.subarray(['a', 'b', 'c']), shared: fc.boolean() });
      await fc.assert(
        fc.asyncProperty(fc.array(write, { maxLength: 12 }), fc.integer({ min: 0, max: keys.length - 1 }), fc.array(request, { minLength: 1, maxLength: 7 }), async (writes, k, requests) => {
          const prefix = `prop_entity_${round++}_`;
          for (const w of writes) {
            const features = featuresOf(w.view);
            await store.writeBatch(`${prefix}${w.view}`, features, [row(keys[w.k], features.map((f) => `${f}${w.v}`), w.ets, w.v)]);
          }
          const one = [keys[k]];
          const asked = requests.map((r) => ({ view: `${prefix}${r.view}`, features: r.features, keys: r.shared ? one : [[...keys[k]]] }));
          const got = await store.readManyEncodedViews(asked);
          expect(got).toEqual(await Promise.all(asked.map((r) => store.readManyEncoded(r.view, r.features, r.keys))));
          // And the last write of each (view, key) that won, decoded independently of either read.
          const won = new Map<number, { values: string[]; ets: number; v: number; features: string[] }>();
          for (const w of writes) {
            const prev = won.get(w.view);
            if (w.k === k && (prev === undefined || w.ets > prev.ets || (w.ets === prev.ets && w.v > prev.v))) {
              const features = featuresOf(w.view);
              won.set(w.view, { values: features.map((f) => `${f}${w.v}`), ets: w.ets, v: w.v, features });
            }
          }
          const expected = requests.map((r) => {
            const w = won.get(r.view);
            return [w && { values: r.features.map((f) => (w.features.includes(f) ? w.values[w.features.indexOf(f)] : undefined)), eventTs: w.ets, createdTs: w.v }];
          });
          expect(got.map((rows) => rows.map((e) => e && { values: project(decodeValues(e.encoded), e.projection), eventTs: e.eventTs, createdTs: e.createdTs }))).toEqual(expected);
        }),
        { numRuns: 40 },
      );
    });

    it('refuses a batch with a vector that is not one value per feature, writing none of it', async () => {
      const store = await open();
      for (const values of [[1], [1, 2, 3]]) {
        await expect(store.writeBatch('len', ['a', 'b'], [row(['ok'], [1, 2], 1), row(['bad'], values, 1)])).rejects.toMatchObject({
          code: 'bad_vector',
          message: expect.stringContaining(`has ${values.length} values for 2 features (a, b)`),
        });
      }
      expect(await store.readMany('len', ['a', 'b'], [['ok'], ['bad']])).toEqual([undefined, undefined]);
    });

    it('keeps microsecond timestamps exactly', async () => {
      const store = await open();
      const ets = Date.UTC(2026, 10, 25, 12, 0, 0) * 1000 + 123_457;
      await store.writeBatch('ts', ['x'], [row(['k'], [1], ets, ets + 1)]);
      expect(await store.readMany('ts', ['x'], [['k']])).toEqual([{ values: [1], eventTs: ets, createdTs: ets + 1 }]);
    });

    it('returns undefined for missing keys, in request order, with duplicates', async () => {
      const store = await open();
      await store.writeBatch('v', ['x'], [row(['SEA'], [1], 1), row(['SFO'], [2], 1)]);
      const got = await store.readMany('v', ['x'], [['SFO'], ['nope'], ['SEA'], ['SFO']]);
      expect(got.map((g) => g?.values[0])).toEqual([2, undefined, 1, 2]);
      expect(await store.readMany('other_view', ['x'], [['SEA']])).toEqual([undefined]);
      expect(await store.readMany('v', ['x'], [])).toEqual([]);
    });

    it('distinguishes multi-key entities and key types', async () => {
      const store = await open();
      await store.writeBatch('route', ['n'], [row(['SEA', 'SFO'], [1], 1), row(['SFO', 'SEA'], [2], 1), row([42], [3], 1), row(['42'], [4], 1)]);
      const got = await store.readMany('route', ['n'], [['SFO', 'SEA'], ['SEA', 'SFO'], ['42'], [42], ['SEA']]);
      expect(got.map((g) => g?.values[0])).toEqual([2, 1, 4, 3, undefined]);
    });

    it('writes monotonically: older never overwrites newer; equal event_ts with greater created_ts does', async () => {
      const store = await open();
      await store.writeBatch('m', ['x'], [row(['k'], ['v10'], 10, 5)]);
      expect(await store.writeBatch('m', ['x'], [row(['k'], ['v9'], 9, 99)])).toEqual({ written: 0, skipped: 1 });
      expect(await store.writeBatch('m', ['x'], [row(['k'], ['same'], 10, 5)])).toEqual({ written: 0, skipped: 1 });
      expect((await store.readMany('m', ['x'], [['k']]))[0]?.values).toEqual(['v10']);
      expect(await store.writeBatch('m', ['x'], [row(['k'], ['v10c6'], 10, 6)])).toEqual({ written: 1, skipped: 0 });
      expect((await store.readMany('m', ['x'], [['k']]))[0]).toEqual({ values: ['v10c6'], eventTs: 10, createdTs: 6 });
      await store.writeBatch('m', ['x'], [row(['k'], ['v11'], 11, 0)]);
      expect((await store.readMany('m', ['x'], [['k']]))[0]?.values).toEqual(['v11']);
    });

    it('writes a row of equal timestamps again only under other definitions or features (a feature added, one remapped)', async () => {
      const store = await open();
      await store.writeBatch('d', ['x'], [row(['k'], ['old'], 10, 5)], { definition: 'v1' });
      expect(await store.writeBatch('d', ['x'], [row(['k'], ['same defs'], 10, 5)], { definition: 'v1' })).toEqual({ written: 0, skipped: 1 });
      expect(await store.writeBatch('d', ['x'], [row(['k'], ['remapped'], 10, 5)], { definition: 'v2' })).toEqual({ written: 1, skipped: 0 });
      expect((await store.readMany('d', ['x'], [['k']]))[0]).toEqual({ values: ['remapped'], eventTs: 10, createdTs: 5 });
      expect(await store.writeBatch('d', ['x', 'y'], [row(['k'], ['remapped', 7], 10, 5)], { definition: 'v2' })).toEqual({ written: 1, skipped: 0 });
      expect((await store.readMany('d', ['x', 'y'], [['k']]))[0]?.values).toEqual(['remapped', 7]);
      // Older rows stay older whatever their definitions.
      expect(await store.writeBatch('d', ['x', 'y'], [row(['k'], ['older', 1], 9, 99)], { definition: 'v3' })).toEqual({ written: 0, skipped: 1 });
    });

    it('under other definitions, replaces a row of equal or older created time at the same event time (a created_timestamp_field changed)', async () => {
      const store = await open();
      // Written under definitions A: created time 5. Under B the source has no created time (0), or another column.
      await store.writeBatch('c', ['x'], [row(['k'], ['A c5'], 10, 5), row(['n'], ['A newer'], 20, 0)], { definition: 'A' });
      expect(await store.writeBatch('c', ['x'], [row(['k'], ['B c0'], 10, 0)], { definition: 'B' })).toEqual({ written: 1, skipped: 0 });
      expect((await store.readMany('c', ['x'], [['k']]))[0]).toEqual({ values: ['B c0'], eventTs: 10, createdTs: 0 });
      // Under unchanged definitions writes stay monotonic on (event_ts, created_ts) again.
      expect(await store.writeBatch('c', ['x'], [row(['k'], ['B again'], 10, 0)], { definition: 'B' })).toEqual({ written: 0, skipped: 1 });
      expect(await store.writeBatch('c', ['x'], [row(['k'], ['B c1'], 10, 1)], { definition: 'B' })).toEqual({ written: 1, skipped: 0 });
      expect(await store.writeBatch('c', ['x'], [row(['k'], ['B c0 late'], 10, 0)], { definition: 'B' })).toEqual({ written: 0, skipped: 1 });
      expect((await store.readMany('c', ['x'], [['k']]))[0]?.values).toEqual(['B c1']);
      // An older event time never replaces a newer one, whatever the definitions.
      expect(await store.writeBatch('c', ['x'], [row(['n'], ['B older'], 19, 99)], { definition: 'B' })).toEqual({ written: 0, skipped: 1 });
      expect((await store.readMany('c', ['x'], [['n']]))[0]?.values).toEqual(['A newer']);
    });

    it('matches a naive model under random writes under two definitions (property)', async () => {
      const store = await open();
      let round = 0;
      const write = fc.record({ k: fc.integer({ min: 0, max: 3 }), ets: fc.integer({ min: 0, max: 3 }), cts: fc.integer({ min: 0, max: 2 }), v: fc.integer() });
      const batch = fc.record({ def: fc.constantFrom('A', 'B'), rows: fc.uniqueArray(write, { maxLength: 4, selector: (w) => w.k }) });
      await fc.assert(
        fc.asyncProperty(fc.array(batch, { maxLength: 6 }), async (batches) => {
          const view = `prop_defs_${round++}`;
          const model = new Map<number, { def: string; ets: number; cts: number; v: number }>();
          for (const b of batches) {
            await store.writeBatch(view, ['v'], b.rows.map((w) => row([w.k], [w.v], w.ets, w.cts)), { definition: b.def });
            for (const w of b.rows) {
              const cur = model.get(w.k);
              const newer = !cur || (cur.def !== b.def ? w.ets >= cur.ets : w.ets > cur.ets || (w.ets === cur.ets && w.cts > cur.cts));
              if (newer) model.set(w.k, { def: b.def, ets: w.ets, cts: w.cts, v: w.v });
            }
          }
          const keys = [0, 1, 2, 3];
          const got = await store.readMany(view, ['v'], keys.map((k) => [k]));
          expect(got).toEqual(keys.map((k) => {
            const m = model.get(k);
            return m ? { values: [m.v], eventTs: m.ets, createdTs: m.cts } : undefined;
          }));
        }),
        { numRuns: 30 },
      );
    });

    it('projects, reorders and survives a schema change', async () => {
      const store = await open();
      await store.writeBatch('p', ['a', 'b', 'c'], [row(['k1'], [1, 2, 3], 1)]);
      expect((await store.readMany('p', ['c', 'a'], [['k1']]))[0]?.values).toEqual([3, 1]);
      // New view version: feature b dropped, d added. Old records stay readable.
      await store.writeBatch('p', ['a', 'c', 'd'], [row(['k2'], [10, 30, 40], 1)]);
      const got = await store.readMany('p', ['a', 'c', 'd'], [['k1'], ['k2']]);
      // d did not exist when k1 was written: undefined (nothing stored), not a stored null.
      expect(got.map((g) => g?.values)).toEqual([[1, 3, undefined], [10, 30, 40]]);
    });

    it('a session is invisible until commit, and an aborted session changes nothing', async () => {
      const opener = newNamespace();
      const store = await open(opener);
      const other = await open(opener);
      await store.writeBatch('s', ['x'], [row(['a'], ['old'], 1)]);
      const w = await store.beginWrite('s', ['x']);
      await w.write([row(['a'], ['new'], 2), row(['b'], ['new'], 2)]);
      for (const s of [store, other]) expect((await s.readMany('s', ['x'], [['a'], ['b']])).map((g) => g?.values[0])).toEqual(['old', undefined]);
      expect(await w.commit()).toEqual({ written: 2, skipped: 0 });
      for (const s of [store, other]) expect((await s.readMany('s', ['x'], [['a'], ['b']])).map((g) => g?.values[0])).toEqual(['new', 'new']);

      const w2 = await store.beginWrite('s', ['x']);
      await w2.write([row(['a'], ['aborted'], 3), row(['c'], ['aborted'], 3)]);
      await w2.abort();
      expect((await other.readMany('s', ['x'], [['a'], ['c']])).map((g) => g?.values[0])).toEqual(['new', undefined]);
      // Re-running the same rows after an abort makes them visible.
      expect(await store.writeBatch('s', ['x'], [row(['a'], ['rerun'], 3), row(['c'], ['rerun'], 3)])).toEqual({ written: 2, skipped: 0 });
      expect((await other.readMany('s', ['x'], [['a'], ['c']])).map((g) => g?.values[0])).toEqual(['rerun', 'rerun']);
      expect((await other.stats()).views.s).toEqual({ entities: 3 });
    });

    it('a concurrent reader sees all of a large session or none of it', async () => {
      const opener = newNamespace();
      const store = await open(opener);
      const reader = await open(opener);
      const n = 4_000;
      const keys: OnlineKey[] = Array.from({ length: n }, (_, i) => [`e${i}`]);
      await store.writeBatch('big', ['gen'], keys.map((k) => row(k, [0], 1)));
      const w = await store.beginWrite('big', ['gen']);
      let done = false;
      const seen = new Set<string>();
      const readLoop = (async () => {
        while (!done) {
          const got = await reader.readMany('big', ['gen'], keys);
          const gens = new Set(got.map((g) => g?.values[0]));
          seen.add([...gens].sort().join(','));
          await new Promise((r) => setImmediate(r));
        }
      })();
      for (let i = 0; i < n; i += 500) {
        await w.write(keys.slice(i, i + 500).map((k) => row(k, [1], 2)));
        await new Promise((r) => setTimeout(r, 5));
      }
      await w.commit();
      const final = await reader.readMany('big', ['gen'], keys);
      done = true;
      await readLoop;
      expect(new Set(final.map((g) => g?.values[0]))).toEqual(new Set([1]));
      for (const s of seen) expect(['0', '1']).toContain(s);
      expect(seen.has('0')).toBe(true);
    });

    it('reads many keys in one call', async () => {
      const store = await open();
      const rows = Array.from({ length: 1_000 }, (_, i) => row([i], [i * 2, `s${i}`], 1));
      await store.writeBatch('many', ['x', 'y'], rows);
      const keys = Array.from({ length: 1_000 }, (_, i) => [999 - i]);
      const got = await store.readMany('many', ['y', 'x'], keys);
      expect(got.map((g) => g?.values)).toEqual(keys.map(([k]) => [`s${k}`, (k as number) * 2]));
    });

    it('keeps one epoch for its contents: the same on every call and every handle, another in another namespace', async () => {
      const opener = newNamespace();
      const a = await open(opener);
      const b = await open(opener);
      const [e1, e2] = await Promise.all([a.epoch(), b.epoch()]);
      expect(e1).toMatch(/^[0-9a-f-]{16,}$/);
      expect(e2).toBe(e1);
      await a.writeBatch('v', ['x'], [row(['k'], [1], 1)]);
      expect(await a.epoch()).toBe(e1);
      expect(await (await open()).epoch()).not.toBe(e1);
    });

    it('drops one view and reports stats', async () => {
      const store = await open();
      await store.writeBatch('keep', ['x'], [row(['a'], [1], 1), row(['b'], [1], 1)]);
      await store.writeBatch('drop', ['x'], [row(['a'], [1], 1), row(['b'], [1], 1), row(['c'], [1], 1)]);
      await store.writeBatch('drop', ['x'], [row(['a'], [2], 2)]);
      expect((await store.stats()).views).toEqual({ keep: { entities: 2 }, drop: { entities: 3 } });
      await store.dropView('drop');
      expect(await store.readMany('drop', ['x'], [['a'], ['c']])).toEqual([undefined, undefined]);
      expect((await store.readMany('keep', ['x'], [['a']]))[0]?.values).toEqual([1]);
      expect((await store.stats()).views).toEqual({ keep: { entities: 2 } });
      await store.writeBatch('drop', ['x'], [row(['a'], [3], 1)]);
      expect((await store.readMany('drop', ['x'], [['a']]))[0]?.values).toEqual([3]);
    });

    it('matches a naive model under random monotonic writes (property)', async () => {
      const store = await open();
      let round = 0;
      const write = fc.record({ k: fc.integer({ min: 0, max: 5 }), ets: fc.integer({ min: 0, max: 4 }), cts: fc.integer({ min: 0, max: 2 }), v: fc.integer() });
      await fc.assert(
        fc.asyncProperty(fc.array(fc.array(write, { maxLength: 8 }), { maxLength: 6 }), async (batches) => {
          const view = `prop_${round++}`;
          const model = new Map<number, { ets: number; cts: number; v: number }>();
          for (const batch of batches) {
            await store.writeBatch(view, ['v'], batch.map((w) => row([w.k], [w.v], w.ets, w.cts)));
            for (const w of batch) {
              const cur = model.get(w.k);
              if (!cur || w.ets > cur.ets || (w.ets === cur.ets && w.cts > cur.cts)) model.set(w.k, { ets: w.ets, cts: w.cts, v: w.v });
            }
          }
          const keys = [0, 1, 2, 3, 4, 5];
          const got = await store.readMany(view, ['v'], keys.map((k) => [k]));
          const want = keys.map((k) => {
            const m = model.get(k);
            return m ? { values: [m.v], eventTs: m.ets, createdTs: m.cts } : undefined;
          });
          expect(got).toEqual(want);
        }),
        { numRuns: 40 },
      );
    });
  });
}
