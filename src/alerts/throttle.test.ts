import { describe, expect, it } from 'vitest';
import { tempStateDb } from '../../test/helpers/state-db.js';
import type { AlertConfig } from '../definitions/types.js';
import { openStateDb, type StateDb } from '../state/state-db.js';
import { claimHeldBack, releaseDeliverySlot, releaseHeldBack, settleDeliverySlot, settleHeldBack, takeDeliverySlot, throttles } from './throttle.js';

const { db, file } = tempStateDb('throttle');
const earlier = tempStateDb('throttle-old');

/** A match at `now`: sent (and, if so, arrived: its slot settled) or held back. */
function matched(d: StateDb, alert: AlertConfig, target: string, now: number) {
  const slot = takeDeliverySlot(d, alert, target, now);
  settleDeliverySlot(d, alert, target, slot);
  return slot;
}

describe('throttles', () => {
  it('is true for a min_interval longer than 0 only (the loader keeps an unquoted 0 as the text 0, which is truthy)', () => {
    const a = (min_interval?: string): AlertConfig => ({ name: 'a', url: 'https://h', ...(min_interval === undefined ? {} : { min_interval }) });
    expect([throttles(a()), throttles(a('0')), throttles(a('0s')), throttles(a('1m'))]).toEqual([false, false, false, true]);
    // A min_interval of 0 sends every match, and keeps no slot.
    const zero = a('0');
    expect([matched(db, zero, 'view:z', 1), matched(db, zero, 'view:z', 2)]).toEqual([{ send: true, suppressed: 0, claim: null }, { send: true, suppressed: 0, claim: null }]);
  });
});

describe('takeDeliverySlot', () => {
  const alert: AlertConfig = { name: 'page', url: 'https://h', min_interval: '10m' };
  const T = Date.UTC(2026, 0, 1);
  const MIN = 60_000;

  it('sends the first match, holds back the ones within the interval, and counts them in the next delivery', () => {
    expect(matched(db, alert, 'view:a', T)).toMatchObject({ send: true, suppressed: 0 });
    expect(matched(db, alert, 'view:a', T + 1)).toEqual({ send: false, lastSentAt: new Date(T).toISOString() });
    expect(matched(db, alert, 'view:a', T + 10 * MIN - 1)).toMatchObject({ send: false });
    // Each view or service has its own interval; each alert too.
    expect(matched(db, alert, 'view:b', T + 1)).toMatchObject({ send: true, suppressed: 0 });
    expect(matched(db, { ...alert, name: 'other' }, 'view:a', T + 1)).toMatchObject({ send: true, suppressed: 0 });
    expect(matched(db, alert, 'view:a', T + 10 * MIN)).toMatchObject({ send: true, suppressed: 2 });
    expect(matched(db, alert, 'view:a', T + 10 * MIN + 1)).toMatchObject({ send: false });
    // A clock set back does not silence the alert for the distance it jumped.
    expect(matched(db, alert, 'view:a', T - 60 * MIN)).toMatchObject({ send: true, suppressed: 1 });
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
    const third = takeDeliverySlot(db, alert, 'view:f', T + 3);
    expect(third).toEqual({ send: true, suppressed: 3, claim: { token: expect.any(String), takenAt: T + 3, lastSentAt: 0 } });
    // It arrives: the three it reported and its own are no longer held back.
    settleDeliverySlot(db, alert, 'view:f', third);
    expect(db.prepare("SELECT suppressed, claim FROM alert_throttle WHERE alert = 'page' AND target = 'view:f'").get()).toEqual({ suppressed: 0, claim: null });
  });

  it('a delivery whose process was killed before a try arrived keeps its match counted; once its claim ran out the slot is free', () => {
    const count = () => db.prepare("SELECT suppressed FROM alert_throttle WHERE alert = 'page' AND target = 'view:d'").pluck().get();
    matched(db, alert, 'view:d', T - 20 * MIN);
    // Taken for 2 minutes (its tries' time), then killed with the delivery on the wire: nothing settles or gives it back.
    expect(takeDeliverySlot(db, alert, 'view:d', T, 2 * MIN)).toMatchObject({ send: true, suppressed: 0 });
    expect(count()).toBe(1);
    // While the claim holds, a match is held back (the delivery may still arrive)...
    expect(takeDeliverySlot(db, alert, 'view:d', T + MIN)).toMatchObject({ send: false });
    // ...after, the killed delivery holds no interval: the next match is sent and reports both.
    expect(takeDeliverySlot(db, alert, 'view:d', T + 2 * MIN)).toMatchObject({ send: true, suppressed: 2 });
  });

  it('a failed delivery does not take back a slot a later delivery took meanwhile', () => {
    const a = takeDeliverySlot(db, alert, 'view:g', T, 30 * MIN);
    const b = matched(db, alert, 'view:g', T + 20 * 60_000); // sent (and delivered) while a still retried
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
      matched(db, alert, 'view:x', T);
      matched(db, alert, 'view:x', T + MIN);
      matched(db, alert, 'view:y', T); // nothing held back for y
      expect(claimHeldBack(db, alert, T + 10 * MIN - 1)).toEqual([]);
      const claimed = claimHeldBack(db, alert, T + 10 * MIN, 2 * MIN);
      expect(claimed).toEqual([{ target: 'view:x', since: T, suppressed: 1, takenAt: T + 10 * MIN, token: expect.any(String), failingSince: null }]);
      expect(claimHeldBack(other, alert, T + 10 * MIN)).toEqual([]);
      // The claim is a delivery: a match right after it is held back.
      expect(takeDeliverySlot(other, alert, 'view:x', T + 11 * MIN)).toMatchObject({ send: false });
      settleHeldBack(db, alert, claimed[0]);
    } finally {
      other.close();
    }
  });

  it('claims at once what an alert held back once its min_interval is removed or set to 0 (no interval left to wait for)', () => {
    const removed: AlertConfig = { ...alert, name: 'removed' };
    matched(db, removed, 'view:r', T);
    matched(db, removed, 'view:r', T + MIN);
    for (const min_interval of [undefined, '0']) {
      const [claim] = claimHeldBack(db, { ...removed, min_interval }, T + 2 * MIN);
      expect(claim).toMatchObject({ target: 'view:r', suppressed: 1 });
      releaseHeldBack(db, removed, claim);
    }
  });

  it('takes the count only once the summary arrived; a claim left by a killed process is taken over with it', () => {
    const other = openStateDb(file);
    const count = () => db.prepare("SELECT suppressed FROM alert_throttle WHERE alert = 'sum' AND target = 'view:k'").pluck().get();
    try {
      matched(db, alert, 'view:k', T);
      matched(db, alert, 'view:k', T + MIN);
      matched(db, alert, 'view:k', T + 2 * MIN);
      // Claimed at T+10m for 2 minutes; its process is killed with the summary on the wire: the count stays.
      const [killed] = claimHeldBack(db, alert, T + 10 * MIN, 2 * MIN);
      expect(killed).toMatchObject({ target: 'view:k', suppressed: 2 });
      expect(count()).toBe(2);
      // Not taken over while the claim holds; a match held back meanwhile joins the count.
      expect(claimHeldBack(other, alert, T + 11 * MIN)).toEqual([]);
      expect(takeDeliverySlot(other, alert, 'view:k', T + 11 * MIN)).toMatchObject({ send: false });
      // Once it ran out, at once: nothing arrived, so no interval holds.
      const [taken] = claimHeldBack(other, alert, T + 12 * MIN, 2 * MIN);
      expect(taken).toMatchObject({ target: 'view:k', suppressed: 3, since: 0 });
      // The killed claim's holder can no longer settle it; the new one can, and leaves later matches counted.
      settleHeldBack(db, alert, killed);
      expect(count()).toBe(3);
      expect(takeDeliverySlot(other, alert, 'view:k', T + 13 * MIN)).toMatchObject({ send: false });
      settleHeldBack(other, alert, taken);
      expect(count()).toBe(1);
    } finally {
      other.close();
    }
  });

  it('a summary that reached no one keeps its count, tried again an interval after its claim', () => {
    matched(db, alert, 'view:r', T);
    matched(db, alert, 'view:r', T + MIN);
    const [failed] = claimHeldBack(db, alert, T + 10 * MIN, 2 * MIN);
    releaseHeldBack(db, alert, failed);
    expect(claimHeldBack(db, alert, T + 19 * MIN)).toEqual([]);
    expect(claimHeldBack(db, alert, T + 20 * MIN).filter((c) => c.target === 'view:r')).toMatchObject([{ target: 'view:r', suppressed: 1 }]);
  });

  it('a run delivery whose process was killed is summed up once its claim ran out, before its interval ended', () => {
    matched(db, alert, 'view:z', T);
    takeDeliverySlot(db, alert, 'view:z', T + 10 * MIN, 2 * MIN); // killed on the wire
    expect(claimHeldBack(db, alert, T + 11 * MIN)).toEqual([]);
    expect(claimHeldBack(db, alert, T + 12 * MIN)).toMatchObject([{ target: 'view:z', suppressed: 1, since: 0 }]);
  });

  it('adds the claim columns to a state database made by an earlier version', () => {
    const old = earlier.db;
    old.exec('CREATE TABLE alert_throttle (alert TEXT NOT NULL, target TEXT NOT NULL, last_sent_at INTEGER NOT NULL, suppressed INTEGER NOT NULL, PRIMARY KEY (alert, target))');
    old.prepare("INSERT INTO alert_throttle VALUES ('sum', 'view:o', ?, 2)").run(T);
    const [claim] = claimHeldBack(old, alert, T + 10 * MIN);
    expect(claim).toMatchObject({ target: 'view:o', suppressed: 2 });
    settleHeldBack(old, alert, claim);
    expect(old.prepare('SELECT suppressed, claim, claimed_until FROM alert_throttle').get()).toEqual({ suppressed: 0, claim: null, claimed_until: 0 });
  });
});
