import { describe, expect, it } from 'vitest';
import { tempStateDb } from '../../test/helpers/state-db.js';
import type { AlertConfig } from '../definitions/types.js';
import { openStateDb } from '../state/state-db.js';
import { claimHeldBack, releaseDeliverySlot, releaseHeldBack, settleHeldBack, takeDeliverySlot } from './throttle.js';

const { db, file } = tempStateDb('throttle');
const earlier = tempStateDb('throttle-old');

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
      expect(claimHeldBack(db, alert, T + 10 * MIN)).toEqual([{ target: 'view:x', since: T, suppressed: 1, takenAt: T + 10 * MIN, token: expect.any(String) }]);
      expect(claimHeldBack(other, alert, T + 10 * MIN)).toEqual([]);
      // The claim is a delivery: a match right after it is held back.
      expect(takeDeliverySlot(other, alert, 'view:x', T + 11 * MIN)).toMatchObject({ send: false });
      expect(claimHeldBack(db, { ...alert, min_interval: undefined }, T + 99 * MIN)).toEqual([]);
    } finally {
      other.close();
    }
  });

  it('takes the count only once the summary arrived; a claim left by a killed process is taken over with it', () => {
    const other = openStateDb(file);
    const count = () => db.prepare("SELECT suppressed FROM alert_throttle WHERE alert = 'sum' AND target = 'view:k'").pluck().get();
    try {
      takeDeliverySlot(db, alert, 'view:k', T);
      takeDeliverySlot(db, alert, 'view:k', T + MIN);
      takeDeliverySlot(db, alert, 'view:k', T + 2 * MIN);
      // Claimed at T+10m for 2 minutes; its process is killed with the summary on the wire: the count stays.
      const [killed] = claimHeldBack(db, alert, T + 10 * MIN, 2 * MIN);
      expect(killed).toMatchObject({ target: 'view:k', suppressed: 2 });
      expect(count()).toBe(2);
      // Not taken over while the claim holds, nor before the interval from the claim has ended (one try per interval).
      expect(claimHeldBack(other, alert, T + 11 * MIN)).toEqual([]);
      expect(claimHeldBack(other, alert, T + 19 * MIN)).toEqual([]);
      // A match held back meanwhile joins the count.
      expect(takeDeliverySlot(other, alert, 'view:k', T + 15 * MIN)).toMatchObject({ send: false });
      const [taken] = claimHeldBack(other, alert, T + 20 * MIN, 2 * MIN);
      expect(taken).toMatchObject({ target: 'view:k', suppressed: 3 });
      // The killed claim's holder can no longer settle it; the new one can, and leaves later matches counted.
      settleHeldBack(db, alert, killed);
      expect(count()).toBe(3);
      expect(takeDeliverySlot(other, alert, 'view:k', T + 21 * MIN)).toMatchObject({ send: false });
      settleHeldBack(other, alert, taken);
      expect(count()).toBe(1);
    } finally {
      other.close();
    }
  });

  it('a summary that reached no one keeps its count, tried again an interval after its claim', () => {
    takeDeliverySlot(db, alert, 'view:r', T);
    takeDeliverySlot(db, alert, 'view:r', T + MIN);
    const [failed] = claimHeldBack(db, alert, T + 10 * MIN, 2 * MIN);
    releaseHeldBack(db, alert, failed);
    expect(claimHeldBack(db, alert, T + 19 * MIN)).toEqual([]);
    expect(claimHeldBack(db, alert, T + 20 * MIN)).toMatchObject([{ target: 'view:r', suppressed: 1 }]);
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
