import { rmSync, statSync, utimesSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../../test/helpers/temp-dir.js';
import { literal, openOfflineEngine } from './engine.js';

describe('offline engine', () => {
  it('reads a source file deleted and recreated at the same path, size and mtime with its new contents', async () => {
    const engine = await openOfflineEngine();
    const file = join(tempDir('fg-engine-cache-'), 'part-0.parquet');
    const write = (v: number) =>
      engine.run(`COPY (SELECT TIMESTAMP '2024-01-01 00:00' + INTERVAL (${v}) HOUR AS ets, ${v}::BIGINT AS v)
        TO ${literal(file)} (FORMAT parquet)`);
    const read = async () =>
      (await engine.all(`SELECT min(ets)::VARCHAR AS ets, max(v)::BIGINT AS v FROM read_parquet(${literal(file)})`))[0];

    const mtime = new Date('2026-01-01T00:00:00Z'); // both files get this same last-modified time
    await write(1);
    utimesSync(file, mtime, mtime);
    const before = statSync(file);
    expect(await read()).toEqual({ ets: '2024-01-01 01:00:00', v: '1' });

    rmSync(file);
    await write(2);
    utimesSync(file, mtime, mtime);
    const after = statSync(file);
    expect(after.size).toBe(before.size);
    expect(after.mtimeMs).toBe(before.mtimeMs);
    expect(await read()).toEqual({ ets: '2024-01-01 02:00:00', v: '2' });
  });
});
