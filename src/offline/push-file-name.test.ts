/**
 * The names of pushed files: every name the builder makes is recognised and parsed back to its parts (the
 * instant against `Date#toISOString`), and the patterns accept exactly what the two hand-written patterns they
 * replace accepted (`PUSH_FILE` as push-compact-plan.ts had it, `COMPACTED_FILE` as source-sql.ts had it) whose time
 * is a real instant by the calendar (`realTime`: no month 81, no February 30), on built names, on names one edit
 * away from them, on names with any digits for a time and on random text.
 */
import fc from 'fast-check';
import { basename, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { COMPACTED_FILE, compactedRunId, parseCompactedFileName, parsePushFileName, PUSH_FILE, pushFileName, pushFileStem } from './push-file-name.js';
import { COMPACTED_FILE as COMPACTED_FILE_OF_SOURCE_SQL, isWritingName, writingName } from './source-sql.js';

/** The patterns as they were written by hand before both came from one definition: the reference. */
const WRITTEN_PUSH_FILE = /^push-(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})(\d{3})Z-([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\.(parquet|csv)$/;
const WRITTEN_COMPACTED_FILE = /^push-\d{8}T\d{9}Z-compacted-[0-9a-f-]{36}\.(parquet|csv)$/;

/**
 * Whether a hand-written pattern's time (its first seven captures) is a real instant, by the calendar: the
 * reference, which parses no `Date`. A push's clock never names a leap second.
 */
function realTime(m: RegExpExecArray | null): boolean {
  if (m === null) return false;
  const [y, mo, d, h, mi, s] = m.slice(1, 7).map(Number);
  const leap = (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
  const days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
  return mo >= 1 && mo <= 12 && d >= 1 && d <= days[mo - 1] && h <= 23 && mi <= 59 && s <= 59;
}
const isPushName = (name: string) => realTime(WRITTEN_PUSH_FILE.exec(name));
const isCompactedName = (name: string) => realTime(/^push-(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})(\d{3})Z-/.exec(name)) && WRITTEN_COMPACTED_FILE.test(name);
/** A merged file's name as a compaction writes it: `compacted-` and a UUID (the reference of `parseCompactedFileName`). */
const isWrittenCompactedName = (name: string) => isCompactedName(name) && /-compacted-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\.(parquet|csv)$/.test(name);

/** A time field of `width` digits: often in its range (`low`..`high`), else any digits. */
const field = (width: number, low: number, high: number) =>
  fc.oneof(fc.integer({ min: low, max: high }), fc.integer({ min: 0, max: 10 ** width - 1 })).map((n) => String(n).padStart(width, '0'));
/** The time part of a name with any digits: real instants (leap days among them) and impossible ones alike. */
const anyTime = fc
  .tuple(fc.oneof(field(4, 0, 9999), fc.constantFrom('1900', '2000', '2024', '2100', '0000')), field(2, 1, 12), fc.oneof(field(2, 1, 28), field(2, 28, 31)), field(2, 0, 23), field(2, 0, 59), field(2, 0, 59), field(3, 0, 999))
  .map(([y, mo, d, h, mi, s, ms]) => ({ text: `${y}${mo}${d}T${h}${mi}${s}${ms}Z`, iso: `${y}-${mo}-${d}T${h}:${mi}:${s}.${ms}Z` }));

/** Instants whose ISO 8601 form has a four-digit year (a push's clock is never outside them). */
const instant = fc.date({ min: new Date('0000-01-01T00:00:00.000Z'), max: new Date('9999-12-31T23:59:59.999Z'), noInvalidDate: true });
const format = fc.constantFrom('parquet' as const, 'csv' as const);
const pushName = fc.tuple(instant, fc.uuid(), format).map(([at, id, f]) => pushFileName(at, id, f));
const compactedName = fc.tuple(instant, fc.uuid(), format).map(([at, id, f]) => pushFileName(at, compactedRunId(id), f));
/** A name with one character deleted, replaced or inserted, from the characters such names are made of and a few others. */
const edited = (names: fc.Arbitrary<string>) =>
  fc.tuple(names, fc.nat(), fc.constantFrom(...'0123456789abcdefxABCDEF-._TZ/ '), fc.constantFrom('delete', 'replace', 'insert')).map(([name, at, c, how]) => {
    const i = at % (name.length + 1);
    if (how === 'delete') return name.slice(0, i) + name.slice(i + 1);
    if (how === 'replace') return name.slice(0, i) + c + name.slice(i + 1);
    return name.slice(0, i) + c + name.slice(i);
  });

describe('push file names', () => {
  it('a pushed file is recognised and parsed back to the instant, run id and format it was named with (property)', () => {
    fc.assert(
      fc.property(instant, fc.uuid(), format, (at, runId, f) => {
        const name = pushFileName(at, runId, f);
        expect(name).toBe(`${pushFileStem(at, runId)}.${f}`);
        expect(PUSH_FILE.test(name)).toBe(true);
        expect(parsePushFileName(name)).toEqual({ at: at.toISOString(), runId, format: f });
        expect(COMPACTED_FILE.test(name)).toBe(false);
      }),
      { numRuns: 2000 },
    );
    // Names sort by time: DuckDB reads a glob's files in name order, and compaction names its file to come first.
    const [a, b] = [new Date('2026-01-02T03:04:05.678Z'), new Date('2026-01-02T03:04:05.679Z')];
    expect(pushFileName(a, 'ffffffff-ffff-4fff-bfff-ffffffffffff', 'csv') < pushFileName(b, '00000000-0000-4000-8000-000000000000', 'csv')).toBe(true);
    expect(pushFileName(a, 'r', 'parquet')).toBe('push-20260102T030405678Z-r.parquet');
  });

  it("a compaction's merged file is a compacted file, never a push's, and source-sql.ts's COMPACTED_FILE is the same pattern (property)", () => {
    expect(COMPACTED_FILE_OF_SOURCE_SQL).toBe(COMPACTED_FILE);
    fc.assert(
      fc.property(compactedName, (name) => {
        expect(COMPACTED_FILE.test(name)).toBe(true);
        expect(PUSH_FILE.test(name)).toBe(false);
        expect(parsePushFileName(name)).toBeNull();
      }),
      { numRuns: 1000 },
    );
  });

  it("a compaction's merged file is parsed back to the instant, `compacted-<uuid>` and format it was named with; a push's file is not one (property)", () => {
    fc.assert(
      fc.property(instant, fc.uuid(), format, (at, uuid, f) => {
        expect(parseCompactedFileName(pushFileName(at, compactedRunId(uuid), f))).toEqual({ at: at.toISOString(), runId: compactedRunId(uuid), format: f });
        expect(parseCompactedFileName(pushFileName(at, uuid, f))).toBeNull();
      }),
      { numRuns: 1000 },
    );
  });

  it('a file still being written (hidden, `.featureguard-writing`) is neither (property)', () => {
    fc.assert(
      fc.property(fc.oneof(pushName, compactedName), (name) => {
        const writing = basename(writingName(join('/data', name)));
        expect(isWritingName(writing)).toBe(true);
        expect(PUSH_FILE.test(writing)).toBe(false);
        expect(COMPACTED_FILE.test(writing)).toBe(false);
        expect(parsePushFileName(writing)).toBeNull();
      }),
      { numRuns: 500 },
    );
  });

  it('a name whose time is no real instant (month 81, February 30, hour 24) is neither a push\'s nor a compaction\'s file; one whose time is, is (property)', () => {
    fc.assert(
      fc.property(anyTime, fc.uuid(), format, (time, runId, f) => {
        const name = `push-${time.text}-${runId}.${f}`;
        const compacted = `push-${time.text}-${compactedRunId(runId)}.${f}`;
        const real = realTime(/^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})\.(\d{3})Z$/.exec(time.iso));
        expect(PUSH_FILE.test(name)).toBe(real);
        expect(PUSH_FILE.exec(name) !== null).toBe(real);
        expect(parsePushFileName(name)).toEqual(real ? { at: time.iso, runId, format: f } : null);
        expect(COMPACTED_FILE.test(compacted)).toBe(real);
        expect(parsePushFileName(compacted)).toBeNull();
      }),
      { numRuns: 3000 },
    );
    expect(parsePushFileName('push-20240229T235959999Z-00000000-0000-4000-8000-000000000000.parquet')?.at).toBe('2024-02-29T23:59:59.999Z');
    expect(parsePushFileName('push-00000101T000000000Z-00000000-0000-4000-8000-000000000000.csv')?.at).toBe('0000-01-01T00:00:00.000Z');
  });

  it('names one edit away and random text are recognised exactly as the hand-written patterns recognised them (property)', () => {
    fc.assert(
      fc.property(fc.oneof(edited(pushName), edited(compactedName), fc.string({ maxLength: 80 }), fc.string().map((s) => `push-${s}.parquet`)), (name) => {
        expect(PUSH_FILE.test(name)).toBe(isPushName(name));
        expect(COMPACTED_FILE.test(name)).toBe(isCompactedName(name));
        const parts = parsePushFileName(name);
        expect(parts !== null).toBe(isPushName(name));
        // What is recognised is a name the builder makes.
        if (parts !== null) expect(pushFileName(new Date(parts.at), parts.runId, parts.format)).toBe(name);
        // A merged file's parts only from a name a compaction writes (`compacted-` and a UUID, not any 36 characters).
        const merged = parseCompactedFileName(name);
        expect(merged !== null).toBe(isWrittenCompactedName(name));
        if (merged !== null) expect(pushFileName(new Date(merged.at), merged.runId, merged.format)).toBe(name);
      }),
      { numRuns: 5000 },
    );
    for (const other of ['push-20260102T030405678Z-r.json', 'push-19708101T000000000Z-00000000-0000-4000-8000-000000000000.parquet', 'push-20250229T000000000Z-00000000-0000-4000-8000-000000000000.csv', 'Push-20260102T030405678Z-00000000-0000-4000-8000-000000000000.csv', 'data.parquet']) {
      expect(PUSH_FILE.test(other), other).toBe(false);
    }
    expect(COMPACTED_FILE.test(`push-20260102T030405678Z-compacted-${'0'.repeat(36)}.parquet`)).toBe(true);
    expect(parseCompactedFileName(`push-20260102T030405678Z-compacted-${'0'.repeat(36)}.parquet`)).toBeNull();
  });
});
