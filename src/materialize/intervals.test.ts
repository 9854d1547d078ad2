import { describe, expect, it } from 'vitest';
import { tempStateDb } from '../../test/helpers/state-db.js';
import { ensureIntervalTable, firstUncovered, forgetStoredFeatures, lastMaterializedEnd, recordInterval } from './intervals.js';

const { db } = tempStateDb('intervals');

describe('lastMaterializedEnd', () => {
  it('is the latest window end, but a window recorded as ending in the future counts only up to when it was recorded', () => {
    expect(lastMaterializedEnd(db, 'v')).toBeNull();
    recordInterval(db, 'v', new Date('2001-01-01T00:00:00Z'), new Date('2001-01-02T00:00:00Z'), 'r1');
    expect(lastMaterializedEnd(db, 'v')).toEqual(new Date('2001-01-02T00:00:00Z'));
    // Written by an earlier version that accepted --end 2099 (and one beyond year 9999).
    const before = Date.now();
    recordInterval(db, 'v', new Date('2001-01-02T00:00:00Z'), new Date('2099-01-01T00:00:00Z'), 'r2');
    recordInterval(db, 'w', new Date('2001-01-02T00:00:00Z'), new Date('+010000-01-01T00:00:00Z'), 'r3');
    for (const view of ['v', 'w']) {
      const end = lastMaterializedEnd(db, view)!.getTime();
      expect(end).toBeGreaterThanOrEqual(before);
      expect(end).toBeLessThanOrEqual(Date.now());
    }
  });
});

describe('lastMaterializedEnd with the online store epoch', () => {
  it("counts the windows of the store's epoch, and those recorded before epochs were kept; not those of a store that lost them", () => {
    recordInterval(db, 'e', new Date('2001-01-01T00:00:00Z'), new Date('2001-01-02T00:00:00Z'), 'r1'); // before epochs
    recordInterval(db, 'e', new Date('2001-01-02T00:00:00Z'), new Date('2001-01-03T00:00:00Z'), 'r2', 'A');
    expect(lastMaterializedEnd(db, 'e', 'A')).toEqual(new Date('2001-01-03T00:00:00Z'));
    // The store lost its values and made epoch B: only the window nothing says was lost counts.
    expect(lastMaterializedEnd(db, 'e', 'B')).toEqual(new Date('2001-01-02T00:00:00Z'));
    recordInterval(db, 'f', new Date('2001-01-01T00:00:00Z'), new Date('2001-01-02T00:00:00Z'), 'r3', 'A');
    expect(lastMaterializedEnd(db, 'f', 'B')).toBeNull();
    // Without an epoch to compare (the store could not be asked), every window counts, as before.
    expect(lastMaterializedEnd(db, 'f')).toEqual(new Date('2001-01-02T00:00:00Z'));
  });
});

describe('windows and the features they stored', () => {
  const day = (d: number) => new Date(Date.UTC(2001, 0, d));
  it('count only when they stored every feature of the view as read now; windows of an earlier version count until an apply changes what is stored', async () => {
    const [a, b] = ['["a","int64","a"]', '["b","int64","b"]'];
    await recordInterval(db, 'sf', day(1), day(2), 'r0'); // before stored features were kept
    await recordInterval(db, 'sf', day(2), day(3), 'r1', null, [a]);
    expect(lastMaterializedEnd(db, 'sf', undefined, [a])).toEqual(day(3));
    // b added: no window stored it, except the one recorded before features were kept (nothing says it did not).
    expect(lastMaterializedEnd(db, 'sf', undefined, [a, b])).toEqual(day(2));
    expect(firstUncovered(db, 'sf', null, undefined, [a, b])).toEqual(day(2));
    // The apply that added b marks the window of the earlier version: it stored none of them as far as anyone knows.
    ensureIntervalTable(db);
    forgetStoredFeatures(db, ['sf']);
    expect(lastMaterializedEnd(db, 'sf', undefined, [a, b])).toBeNull();
    await recordInterval(db, 'sf', day(3), day(4), 'r2', null, [a, b]);
    expect(lastMaterializedEnd(db, 'sf', undefined, [a, b])).toEqual(day(4));
    expect(firstUncovered(db, 'sf', day(1), undefined, [a, b])).toEqual(day(1)); // a gap from day 1 to day 3
    // A feature removed asks for nothing: the windows stored it and more.
    expect(lastMaterializedEnd(db, 'sf', undefined, [b])).toEqual(day(4));
    // Without features (freshness, serve), every window counts, as before.
    expect(lastMaterializedEnd(db, 'sf')).toEqual(day(4));
  });
});
