import { tableFromIPC } from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { arrowIpcChunks, arrowTableFromResult } from './arrow.js';
import { openOfflineEngine } from './engine.js';

/** One row of every timestamp type DuckDB has, and a row of nulls. */
const SQL = `SELECT * FROM (VALUES
  (TIMESTAMP '2024-01-01 05:00:00.123456', TIMESTAMPTZ '2024-01-01 07:00:00.123456+02:00', '2024-01-01 05:00:01'::TIMESTAMP_S,
   '2024-01-01 05:00:00.5'::TIMESTAMP_MS, '2024-01-01 05:00:00.123456789'::TIMESTAMP_NS),
  (NULL, NULL, NULL, NULL, NULL)) t(us, tz, s, ms, ns)`;

describe('Arrow from DuckDB results', () => {
  it('keeps every timestamp type a timestamp, exactly, in memory and over IPC (TIMESTAMPTZ was text)', async () => {
    const conn = await (await openOfflineEngine()).connect();
    try {
      const chunks: Uint8Array[] = [];
      for await (const c of arrowIpcChunks(await conn.stream(SQL))) chunks.push(c);
      for (const table of [await arrowTableFromResult(await conn.stream(SQL)), tableFromIPC(Buffer.concat(chunks))]) {
        expect(table.schema.fields.map((f) => String(f.type))).toEqual([
          'Timestamp<MICROSECOND>', 'Timestamp<MICROSECOND, UTC>', 'Timestamp<SECOND>', 'Timestamp<MILLISECOND>', 'Timestamp<NANOSECOND>',
        ]);
        const raw = table.schema.fields.map((f) => {
          const d = table.getChild(f.name)!.data[0];
          return [(d.values as BigInt64Array)[0], d.getValid(1)];
        });
        expect(raw).toEqual([[1704085200123456n, false], [1704085200123456n, false], [1704085201n, false], [1704085200500n, false], [1704085200123456789n, false]]);
      }
    } finally {
      conn.closeSync();
    }
  });
});
