/**
 * What a compaction racing other work must never do (real DuckDB files and SQLite state): a push reading the
 * columns of a folder whose listed file vanished (merged meanwhile) still reads the folder's real columns.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openOfflineEngine } from '../offline/engine.js';
import { existingColumns } from './push-rows.js';
import { sourceUnreadable } from '../offline/source-sql.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** `conn`, but `before` runs once just before the first statement matching `when`. */
function hooked(conn: DuckDBConnection, when: RegExp, before: () => void): DuckDBConnection {
  let fired = false;
  return new Proxy(conn, {
    get(target, prop, receiver) {
      const v = Reflect.get(target, prop, receiver) as unknown;
      if (typeof v !== 'function') return v;
      return (sql: string, ...rest: unknown[]) => {
        if (!fired && typeof sql === 'string' && when.test(sql)) {
          fired = true;
          before();
        }
        return (v as (...a: unknown[]) => unknown).call(target, sql, ...rest);
      };
    },
  });
}

describe('existingColumns while a listed file vanishes', () => {
  it('lists the folder again and reads its real columns, never the canonical ones of an empty folder', async () => {
    const root = mkdtempSync(join(tmpdir(), 'fg-compact-race-'));
    dirs.push(root);
    mkdirSync(join(root, 'data', 's'), { recursive: true });
    const conn = await (await openOfflineEngine()).connect();
    try {
      for (const i of [0, 1]) {
        await conn.run(`COPY (SELECT 1::BIGINT AS user_id, TIMESTAMP '2026-01-01' AS ts, 2.5::FLOAT AS x) TO '${join(root, 'data', 's', `part-${i}.parquet`)}' (FORMAT parquet)`);
      }
      // The first file listed is removed between the listing (SET VARIABLE) and the DESCRIBE, as a compaction does.
      const racing = hooked(conn, /^DESCRIBE/, () => rmSync(join(root, 'data', 's', 'part-0.parquet')));
      const columns = await existingColumns(racing, {
        dir: join(root, 'data', 's'), file: join(root, 'data', 's', 'push-x.parquet'), format: 'parquet', source: 's',
        readPath: 'data/s/*.parquet', roots: { root, dataRoots: [] },
      });
      expect(columns).toEqual([{ name: 'user_id', type: 'BIGINT' }, { name: 'ts', type: 'TIMESTAMP' }, { name: 'x', type: 'FLOAT' }]);
    } finally {
      conn.closeSync();
    }
  });
});

describe('a read whose listed file vanished (a compaction merged it meanwhile)', () => {
  it('is a FeatureguardError source_changed (503) naming the file and saying to run it again, not a raw DuckDB error', async () => {
    const root = mkdtempSync(join(tmpdir(), 'fg-compact-vanish-'));
    dirs.push(root);
    const conn = await (await openOfflineEngine()).connect();
    let cause: unknown;
    try {
      await conn.run(`SELECT * FROM read_parquet(['${join(root, 'data', 's', 'push-gone.parquet')}'])`);
    } catch (e) {
      cause = e;
    } finally {
      conn.closeSync();
    }
    const source = { kind: 'source' as const, name: 's', path: 'data/s/*.parquet', timestamp_field: 'ts' };
    const e = sourceUnreadable('v', source, cause, root);
    expect(e).toMatchObject({ code: 'source_changed', status: 503 });
    expect(e.message).toContain("source 's'");
    expect(e.message).toContain('data/s/push-gone.parquet');
    expect(e.message).toContain('run it again');
    // Listed and bound, then gone before DuckDB opened it (a build racing a compaction, seen in the review's script).
    const opened = sourceUnreadable('v', source, new Error(`IO Error: Cannot open file "${root}/data/s/push-late.parquet": No such file or directory`), root);
    expect(opened).toMatchObject({ code: 'source_changed', status: 503 });
    expect(opened.message).toContain('data/s/push-late.parquet');
    // A glob matching nothing is not a vanished file.
    expect(sourceUnreadable('v', source, new Error(`IO Error: No files found that match the pattern "${root}/data/s/*.parquet"`), root).code).toBe('source_unreadable');
  });
});
