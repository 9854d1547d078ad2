import { describe, expect, it } from 'vitest';
import { tempStateDb } from '../../test/helpers/state-db.js';
import type { AlertConfig } from '../definitions/types.js';
import { openStateDb } from '../state/state-db.js';
import { claimHeldBack, releaseDeliverySlot, takeDeliverySlot } from './throttle.js';

const { db, file } = tempStateDb('throttle');

describe('takeDeliverySlot', () => {
  const alert: AlertConfig = { name: 'page', url: 'https://h', min_interval: '10m' };
  const T = Date.UTC(2026, 0, 1);
  const MIN = 60_000;

  it('sends the first match, holds back the ones within the interval, and counts them in the next delivery', () => {
    expect(takeDeliverySlot(db, alert, 'view:a', T)).toMatchObject({ send: true, suppressed: 0 });
    expect(takeDeliverySlot(db, alert, 'view:a', T + 1)).toEqual({ send: false, lastSentAt: new Date(T).toISOString() });
    expect(takeDeliverySlot(db, alert, 'view:a', T + 10 * MIN - 1)).toMatchObject({ send: false });
    // Each view or service has its own interval; each alert too.
    expect(takeDeliverySlot(db, alert, 'view:b', T + 1)).toMatchObject({ send: true, suppressed: 0 });
    expect(takeDeliverySlot(db, { ...alert, name: 'other' }, 'view:a', T + 1)).toMatchObject({ send: true, suppressed: 0 });
    expect(takeDeliverySlot(db, alert, 'view:a', T + 10 * MIN)).toMatchObject({ send: true, suppressed: 2 });
    expect(takeDeliverySlot(db, alert, 'view:a', T + 10 * MIN + 1)).toMatchObject({ send: false });
    // A clock set back does not silence the alert for the distance it jumped.
    expect(takeDeliverySlot(db, alert, 'view:a', T - 60 * MIN)).toMatchObject({ send: true, suppressed: 1 });
  });

  it('gives the slot back when the delivery reached no one: the next match is sent and counts the failed one', () => {
    const first = takeDeliverySlot(db, alert, 'view:f', T);
    expect(first).toMatchObject({ send: true, suppressed: 0 });
    releaseDeliverySlot(db, alert, 'view:f', first);
    const second = takeDeliverySlot(db, alert, 'view:f', T + 1);
    expect(second).toMatchObject({ send: true, suppressed: 1 });
    expect(takeDeliverySlot(db, alert, 'view:f', T + 2)).toMatchObject({ send: false });
    // Failed again, with one held back meanwhile: both counted; the earlier successful send is the interval's start.
    releaseDeliverySlot(db, alert, 'view:f', second);
    expect(takeDeliverySlot(db, alert, 'view:f', T + 3)).toEqual({ send: true, suppressed: 3, previous: { lastSentAt: 0, suppressed: 3, takenAt: T + 3 } });
  });

  it('a failed delivery does not take back a slot a later delivery took meanwhile', () => {
    const a = takeDeliverySlot(db, alert, 'view:g', T);
    const b = takeDeliverySlot(db, alert, 'view:g', T + 20 * 60_000); // sent (and delivered) while a still retried
    expect(b).toMatchObject({ send: true });
    releaseDeliverySlot(db, alert, 'view:g', a);
    expect(takeDeliverySlot(db, alert, 'view:g', T + 21 * 60_000)).toMatchObject({ send: false });
  });

  it('sends every match without min_interval (or with 0)', () => {
    for (const a of [{ ...alert, min_interval: undefined }, { ...alert, min_interval: '0' }]) {
      expect(takeDeliverySlot(db, a, 'view:c', T)).toMatchObject({ send: true, suppressed: 0 });
      expect(takeDeliverySlot(db, a, 'view:c', T + 1)).toMatchObject({ send: true, suppressed: 0 });
    }
  });
});

describe('claimHeldBack', () => {
  const alert: AlertConfig = { name: 'sum', url: 'https://h', min_interval: '10m' };
  const T = Date.UTC(2026, 1, 1);
  const MIN = 60_000;

  it('claims each target with held-back matches once its interval ended, once across connections', () => {
    const other = openStateDb(file);
    try {
      takeDeliverySlot(db, alert, 'view:x', T);
      takeDeliverySlot(db, alert, 'view:x', T + MIN);
      takeDeliverySlot(db, alert, 'view:y', T); // nothing held back for y
      expect(claimHeldBack(db, alert, T + 10 * MIN - 1)).toEqual([]);
      expect(claimHeldBack(db, alert, T + 10 * MIN)).toEqual([{ target: 'view:x', since: T, suppressed: 1, takenAt: T + 10 * MIN }]);
      expect(claimHeldBack(other, alert, T + 10 * MIN)).toEqual([]);
      // The claim is a delivery: a match right after it is held back.
      expect(takeDeliverySlot(other, alert, 'view:x', T + 11 * MIN)).toMatchObject({ send: false });
      expect(claimHeldBack(db, { ...alert, min_interval: undefined }, T + 99 * MIN)).toEqual([]);
    } finally {
      other.close();
    }
  });
});
