import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openStateDb, type StateDb } from '../state/state-db.js';
import { isDropPending, pendingDrops, requestDrops, viewsWithPendingDrops } from './online-drops.js';

let dir: string;
let db: StateDb;
afterEach(() => {
  db?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('online_drops_pending', () => {
  it('adds the token column to a table from an earlier version and keeps its rows; each request gets a new token', () => {
    dir = mkdtempSync(join(tmpdir(), 'fg-drops-'));
    db = openStateDb(join(dir, 'state.db'));
    db.exec("CREATE TABLE online_drops_pending (view TEXT PRIMARY KEY, requested_at TEXT NOT NULL, last_error TEXT); INSERT INTO online_drops_pending VALUES ('old', '2026-01-01T00:00:00Z', NULL)");
    expect(pendingDrops(db)).toEqual(['old']);
    const token = () => db.prepare("SELECT token FROM online_drops_pending WHERE view = 'old'").pluck().get();
    expect(token()).toBeNull();
    requestDrops(db, ['old', 'new']);
    const first = token();
    expect(first).toMatch(/^[0-9a-f-]{36}$/);
    requestDrops(db, ['old']);
    expect(token()).not.toBe(first);
    expect(isDropPending(db, 'new')).toBe(true);
  });

  it('answers reads from a cache at most maxAgeMs old, and a request in this process at once', async () => {
    dir = mkdtempSync(join(tmpdir(), 'fg-drops-'));
    db = openStateDb(join(dir, 'state.db'));
    expect([...viewsWithPendingDrops(db, 60_000)]).toEqual([]);
    const other = openStateDb(join(dir, 'state.db'));
    try {
      requestDrops(other, ['v']); // another process
    } finally {
      other.close();
    }
    expect([...viewsWithPendingDrops(db, 60_000)]).toEqual([]);
    await new Promise((r) => setTimeout(r, 15));
    expect([...viewsWithPendingDrops(db, 10)]).toEqual(['v']);
    requestDrops(db, ['w']);
    expect([...viewsWithPendingDrops(db, 60_000)].sort()).toEqual(['v', 'w']);
  });
});
