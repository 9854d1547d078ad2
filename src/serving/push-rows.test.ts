import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { SourceDef } from '../definitions/types.js';
import { microsToDuckTimestamp, offlineTarget, rfc3339ToMicros, rowsFromColumns } from './push-rows.js';

const root = mkdtempSync(join(tmpdir(), 'fg-push-rows-'));
mkdirSync(join(root, 'data', 'dir'), { recursive: true });
afterAll(() => rmSync(root, { recursive: true, force: true }));
const src = (path: string, extra: Partial<SourceDef> = {}): SourceDef => ({ kind: 'source', name: 's', path, timestamp_field: 'ts', ...extra });
const now = new Date('2026-01-02T03:04:05.678Z');

describe('timestamps', () => {
  it('keeps microseconds', () => {
    expect(rfc3339ToMicros('2001-01-01T00:00:00Z')).toBe(Date.UTC(2001, 0, 1) * 1000);
    expect(rfc3339ToMicros('2001-01-01T00:00:00.123456Z')).toBe(Date.UTC(2001, 0, 1) * 1000 + 123456);
    expect(rfc3339ToMicros('2001-01-01T02:00:00.5+02:00')).toBe(Date.UTC(2001, 0, 1) * 1000 + 500000);
    expect(microsToDuckTimestamp(Date.UTC(2001, 0, 1) * 1000 + 123456)).toBe('2001-01-01 00:00:00.123456');
    expect(() => rfc3339ToMicros('soon')).toThrow(/invalid timestamp/);
  });
});

describe('offlineTarget', () => {
  it('names a file the glob matches, with time and run id', () => {
    const t = offlineTarget(root, src('data/hourly/part-*.parquet'), 'run1', now);
    expect(t).toMatchObject({ dir: join(root, 'data/hourly'), file: 'part-push-20260102T030405678Z-run1.parquet', format: 'parquet' });
    expect(offlineTarget(root, src('data/**/*.csv'), 'r', now)).toMatchObject({ dir: join(root, 'data'), file: 'push-20260102T030405678Z-r.csv', format: 'csv' });
  });

  it('writes into a folder source', () => {
    expect(offlineTarget(root, src('data/dir'), 'r', now)).toMatchObject({ dir: join(root, 'data/dir'), file: 'push-20260102T030405678Z-r.parquet' });
  });

  it('refuses single files, tables, queries and odd globs', () => {
    expect(() => offlineTarget(root, src('data/one.parquet'), 'r')).toThrow(/single file/);
    expect(() => offlineTarget(root, { kind: 'source', name: 's', query: 'SELECT 1', timestamp_field: 'ts' }, 'r')).toThrow(/only `path` sources/);
    expect(() => offlineTarget(root, src('data/*/x.parquet'), 'r')).toThrow(/folder name/);
    expect(() => offlineTarget(root, src('data/x?.parquet'), 'r')).toThrow(/other than '\*'/);
  });
});

describe('rowsFromColumns', () => {
  it('turns Feast columns into rows and rejects ragged columns', () => {
    expect(rowsFromColumns({ a: [1, 2], b: ['x', 'y'] })).toEqual([{ a: 1, b: 'x' }, { a: 2, b: 'y' }]);
    expect(() => rowsFromColumns({ a: [1, 2], b: ['x'] })).toThrow(/same length/);
  });
});
