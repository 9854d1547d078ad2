import Database from 'better-sqlite3';
import { describe, expect, it, vi } from 'vitest';
import { tempStateDb } from '../../test/helpers/state-db.js';
import { HEARTBEAT_MS, openRunStore } from './run-store.js';

// In a file of its own: the heartbeat's timer is per process (module), started by the first running run.
const { db, file } = tempStateDb('run-heartbeat');

describe('run heartbeat', () => {
  it('a running run says its owner is alive every 15 s, without waiting for a locked database', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval', 'Date'] });
    try {
      const runs = openRunStore(db);
      const run = runs.create({ kind: 'dataset', service: 's' });
      const beatAt = () => (db.prepare('SELECT beat_at FROM run_owners WHERE run_id = ?').get(run.id) as { beat_at: number }).beat_at;
      const first = beatAt();
      vi.advanceTimersByTime(HEARTBEAT_MS);
      expect(beatAt()).toBe(first + HEARTBEAT_MS);
      // Another connection holds the write lock: the beat is skipped at once (not a 10 s wait), and comes later.
      const other = new Database(file);
      other.exec('BEGIN IMMEDIATE');
      const t = performance.now();
      vi.advanceTimersByTime(HEARTBEAT_MS);
      expect(performance.now() - t).toBeLessThan(1_000);
      other.exec('COMMIT');
      other.close();
      expect(beatAt()).toBe(first + HEARTBEAT_MS);
      vi.advanceTimersByTime(HEARTBEAT_MS);
      expect(beatAt()).toBe(first + 3 * HEARTBEAT_MS);
      expect(db.pragma('busy_timeout', { simple: true })).toBe(10_000);
      runs.update(run.id, { status: 'success', finished_at: new Date().toISOString() });
    } finally {
      vi.useRealTimers();
    }
  });
});
