/**
 * The names of the files pushes append to a source's folder, `push-<time>-<run id>.<ext>`: the name a push builds
 * (`pushFileName`, `pushFileStem`) and the patterns that recognise one (`PUSH_FILE`, `COMPACTED_FILE`), all from
 * one definition (`nameOf`). The time is the push's UTC instant in ISO 8601 basic form to the millisecond
 * (`20260102T030405678Z`), so that a folder's pushed files sort by time (DuckDB reads a glob's files in name
 * order). A compaction's merged file is named as a push of the run `compacted-<uuid>` (`compactedRunId`). The patterns
 * take only names whose time is a real instant (not `push-19708101T…`): no push writes another.
 *
 * A glob source's push puts the stem where the glob's file name has its `*` (`part-*.parquet`: `part-push-….parquet`,
 * see `offlineTarget` in serving/push-rows.ts): `pushFileNames` builds and recognises those names from the same
 * template; `PUSH_FILE` and `COMPACTED_FILE` recognise the plain names (`*.parquet`, `*.csv`) only. A merged file's
 * parts (`parseCompactedFileName`, `PushFileNames.parseCompacted`) are read only from a name a compaction writes: a
 * real instant and `compacted-` with a UUID as `randomUUID` writes it (compaction takes such a file whose runs were
 * pruned for its own, serving/push-compact-plan.ts).
 *
 * @example
 * pushFileName(new Date('2026-01-02T03:04:05.678Z'), runId, 'parquet'); // 'push-20260102T030405678Z-<run id>.parquet'
 * parsePushFileName(name); // { at: '2026-01-02T03:04:05.678Z', runId, format: 'parquet' }, or null
 */
import { FeatureguardError } from '../errors.js';

/**
 * The one definition of a pushed file's name, from its parts: their text builds a name, their patterns match one.
 * `before` and `after`: a glob source's text around its `*` (`part-` and `.parquet` for `part-*.parquet`); a folder
 * source's name is the stem and its extension.
 */
const nameOf = (time: string, runId: string, after: string, before = ''): string => `${before}push-${time}-${runId}${after}`;

/** `nameOf`'s time: ISO 8601 basic form, to the millisecond (one capture group a field). */
const TIME = String.raw`(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})(\d{3})Z`;
/** The file formats a push writes, as the extension after `nameOf`'s run id (one capture group). */
const EXTENSION = String.raw`\.(parquet|csv)`;
/** A push run's id: a UUID as `randomUUID` writes it. */
const RUN_ID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';
const COMPACTED_RUN = 'compacted-';
/** The run id of a merged file's name as `compactedRunId` of a `randomUUID` writes it (one capture group). */
const COMPACTED_RUN_ID = `(${COMPACTED_RUN}${RUN_ID})`;

/** The instant `TIME`'s seven captures (from `m[1]`) name, as `Date#toISOString` writes it; null when they name none (month 81). */
function instantOf(m: RegExpExecArray): string | null {
  const iso = `${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}.${m[7]}Z`;
  const at = new Date(iso);
  return !Number.isNaN(at.getTime()) && at.toISOString() === iso ? iso : null;
}

/**
 * A pattern of `nameOf` whose time must be a real instant: the regular expression alone takes any digits
 * (`push-19708101T…`, month 81), so `exec` (which `test`, `match` and the other `RegExp` uses call) answers null
 * for a name whose time is none. A name no push could have written is not taken for one, nor for a merged file.
 */
class PushNamePattern extends RegExp {
  override exec(name: string): RegExpExecArray | null {
    const m = super.exec(name);
    return m !== null && instantOf(m) !== null ? m : null;
  }
}

const namePattern = (runId: string): RegExp => new PushNamePattern(`^${nameOf(TIME, runId, EXTENSION)}$`);

/** A push's file: `push-<time>-<run id>.<ext>`, the run id a UUID (a compaction's merged file is not one). */
export const PUSH_FILE = namePattern(`(${RUN_ID})`);

/**
 * A file `featureguard compact` merged pushed files into (`serving/push-compact-plan.ts`): named as a push names its
 * file, with `compacted-<uuid>` for the run id.
 */
export const COMPACTED_FILE = namePattern(`${COMPACTED_RUN}[0-9a-f-]{36}`);

/** `text` as a regular expression matching exactly it. */
const literalPattern = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** The names a push writes into a source's folder, and the merged files a compaction writes there (`pushFileNames`). */
export interface PushFileNames {
  /** The name of the file a push of run `runId` writes at `at`. */
  name(at: Date, runId: string): string;
  /** What a pushed file's name says (its time a real instant, its run id a UUID); null for any other name. */
  parse(name: string): { readonly at: string; readonly runId: string } | null;
  /** A compaction's merged file among them: named as a push of the run `compacted-<uuid>`. */
  readonly compacted: RegExp;
  /** What a merged file's name says (its time a real instant, its run id `compacted-` and a UUID); null for any other name. */
  parseCompacted(name: string): { readonly at: string; readonly runId: string } | null;
}

/**
 * The pushed files' names of a source whose glob's file name is `fileGlob` (`part-*.parquet`: `part-push-….parquet`;
 * a folder source's is `*.parquet`), builder and matchers from `nameOf`: the stem where its first `*` is, any other
 * `*` dropped, as `offlineTarget` (serving/push-rows.ts) names a push's file. The matchers take only the names the
 * builder makes: the glob's own text around a stem whose time is a real instant and whose run id is a UUID.
 *
 * @example
 * const names = pushFileNames('part-*.parquet');
 * names.name(new Date('2026-01-02T03:04:05.678Z'), runId); // 'part-push-20260102T030405678Z-<run id>.parquet'
 * names.parse('part-0.parquet'); // null
 */
export function pushFileNames(fileGlob: string): PushFileNames {
  const star = fileGlob.indexOf('*');
  if (star < 0) throw new FeatureguardError('push_glob_without_star', `no pushed file is named after '${fileGlob}': it has no '*'`, { status: 500, exitCode: 3, details: { glob: fileGlob } });
  const [before, after] = [fileGlob.slice(0, star), fileGlob.slice(star + 1).replaceAll('*', '')];
  const matcher = (runId: string) => new PushNamePattern(`^${nameOf(TIME, runId, literalPattern(after), literalPattern(before))}$`);
  const push = matcher(`(${RUN_ID})`);
  const merged = matcher(COMPACTED_RUN_ID);
  const partsOf = (m: RegExpExecArray | null) => (m === null ? null : { at: instantOf(m)!, runId: m[8] });
  return {
    name: (at, runId) => nameOf(nameTime(at), runId, after, before),
    parse: (name) => partsOf(push.exec(name)),
    compacted: matcher(`${COMPACTED_RUN}[0-9a-f-]{36}`),
    parseCompacted: (name) => partsOf(merged.exec(name)),
  };
}

/** The run id in the name of a compaction's merged file. */
export function compactedRunId(uuid: string): string {
  return `${COMPACTED_RUN}${uuid}`;
}

/** The time in a pushed file's name: `at` in ISO 8601 basic form, to the millisecond. */
function nameTime(at: Date): string {
  return at.toISOString().replace(/[-:]/g, '').replace('.', '');
}

/** The name of a push's file without its extension: `push-<time>-<run id>`. */
export function pushFileStem(at: Date, runId: string): string {
  return nameOf(nameTime(at), runId, '');
}

/** The name of the file a push of run `runId` writes at `at` into a source's folder. */
export function pushFileName(at: Date, runId: string, format: 'parquet' | 'csv'): string {
  return nameOf(nameTime(at), runId, `.${format}`);
}

/** What a pushed file's name says: when it was written (ISO 8601, UTC, milliseconds), by which run, in which format. */
export interface PushFileNameParts {
  readonly at: string;
  readonly runId: string;
  readonly format: 'parquet' | 'csv';
}

/** The parts of a push's file name (`PUSH_FILE`); null for any other name, and for one whose time is no instant. */
export function parsePushFileName(name: string): PushFileNameParts | null {
  return partsOfName(PUSH_FILE.exec(name));
}

const COMPACTED_NAME = namePattern(COMPACTED_RUN_ID);

/**
 * The parts of a compaction's merged file's plain name (`push-<time>-compacted-<uuid>.<ext>`, the run id
 * `compacted-<uuid>`); null for any other name: a time that is no instant, an id that is no UUID.
 */
export function parseCompactedFileName(name: string): PushFileNameParts | null {
  return partsOfName(COMPACTED_NAME.exec(name));
}

function partsOfName(m: RegExpExecArray | null): PushFileNameParts | null {
  return m === null ? null : { at: instantOf(m)!, runId: m[8], format: m[9] as 'parquet' | 'csv' };
}
