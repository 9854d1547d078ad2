/**
 * The HTTP API's online response as JSON text, written from the vectors as the
 * stores keep them (JSON arrays, `readManyEncoded`): each value's text is sliced
 * out and written as it is, never parsed and printed again. Column by column,
 * as Feast's shape wants: one `values` array per feature over the entity rows;
 * a view's `event_timestamps` (and, without nulls, its `statuses`) are the same
 * for all its features and written once. The common case of one entity row of
 * numbers and booleans takes one `replaceAll` per view (`plainRowJson`).
 *
 * The text is byte for byte `JSON.stringify(await getOnlineFeatures(...))`, except
 * that a float feature's whole numbers keep the `.0` they were stored with (`30.0`,
 * see `encodeValues`) and a non-finite value is a string (`"NaN"`, see `shown`; also
 * inside a list, see `decodeValueTexts`), bare on Feast's route (below): property tests in
 * `online-features.test.ts` compare the two.
 *
 * Feast's route (`python`) is answered as Feast's Python feature server writes its answer (Python's `json`), for
 * Feast's Python client, which parses it with Python's `json` and merges the keys with its request: an int64 join
 * key or feature is bare digits, also beyond ±2^53 (`"9007199254740993"` would be a `str` to it), and a non-finite
 * number is Python's bare `NaN`, `Infinity`, `-Infinity`, also inside a list (where Feast's client refuses a
 * `"NaN"` string beside numbers, failing the whole read). The answer is then no strict JSON. Chosen per join key
 * and feature type (and per tagged vector), so only int64 values pay, and featureguard's route nothing new.
 */
import type { FeatureType, JoinKey } from '../definitions/types.js';
import { decodeValueTexts } from '../online/record-codec.js';
import type { StoredEncoded } from '../online/types.js';
import type { StoredRead } from './online-features.js';
import { EPOCH, formatCached } from './online-time.js';
import { rowStatus, type OnlineReadPlan } from './online-plan.js';

/** `{"metadata":{"feature_names":[...]},"results":[` of each plan (plans are cached per registry generation). */
const heads = new WeakMap<OnlineReadPlan, string>();

function head(plan: OnlineReadPlan): string {
  let text = heads.get(plan);
  if (text === undefined) {
    text = `{"metadata":{"feature_names":${JSON.stringify([...plan.joinKeys.map((k) => k.name), ...plan.featureNames])}},"results":[`;
    heads.set(plan, text);
  }
  return text;
}

/** JSON text of one-element arrays (`["PRESENT"]`, `["2024-05-01T00:00:00Z"]`): few distinct values repeat in every response. */
const singles = new Map<string, string>();

/** `["a","b"]` of strings that need no escaping (statuses, RFC 3339 timestamps). */
function plainStrings(items: readonly string[]): string {
  if (items.length === 1) {
    let text = singles.get(items[0]);
    if (text === undefined) {
      if (singles.size >= 10_000) singles.clear();
      singles.set(items[0], (text = `["${items[0]}"]`));
    }
    return text;
  }
  return items.length === 0 ? '[]' : `["${items.join('","')}"]`;
}

/**
 * A value's text as shown: a non-finite number, which JSON lacks, as protobuf's JSON mapping writes it (`"NaN"`,
 * `"Infinity"`, `"-Infinity"`), as Feast's Go feature server serves it (protojson), on featureguard's route:
 * a PRESENT value, not the null `JSON.stringify` would write, which reads as a missing one.
 */
function shown(text: string): string {
  return text === 'NaN' || text === 'Infinity' || text === '-Infinity' ? `"${text}"` : text;
}

/** An int64 stored beyond ±2^53 as its decimal text (`onlineInt64`), as bare digits; other texts as they are. */
function bareInt64(text: string): string {
  return text.charCodeAt(0) === 34 /* " */ && QUOTED_DIGITS.test(text) ? text.slice(1, -1) : text;
}
const QUOTED_DIGITS = /^"-?[0-9]+"$/;

/** A value's text as stored (Feast's route: a non-finite number is its bare literal, as Python's `json` writes it). */
function asStored(text: string): string {
  return text;
}

/** How a feature's value texts are written: featureguard's route `shown`; Feast's (`python`) as stored, an int64's bare. */
function valueWriter(type: FeatureType, python: boolean): (text: string) => string {
  if (!python) return shown;
  return type === 'int64' ? bareInt64 : asStored;
}

/** A join key's value (a number, or the text of a string key or of an int64 beyond ±2^53) as JSON: bare digits for an int64 on Feast's route. */
function keyWriter(key: JoinKey, python: boolean): (value: string | number) => string {
  return python && key.type === 'int64' ? String : JSON.stringify;
}

/** The response text (see the module comment); `python`: Feast's route. */
export function feastJson(read: StoredRead<StoredEncoded>, python = false): string {
  if (read.n === 1) {
    const plain = plainRowJson(read, python);
    if (plain !== null) return plain;
  }
  const { plan, columns, n, stored, nowUs } = read;
  const parts: string[] = [];
  const keyTimestamps = plainStrings(new Array<string>(n).fill(EPOCH));
  const keyStatuses = plainStrings(new Array<string>(n).fill('PRESENT'));
  for (const key of plan.joinKeys) {
    const write = keyWriter(key, python);
    parts.push(`{"values":[${columns.get(key.name)!.map((v) => write(v)).join(',')}],"statuses":${keyStatuses},"event_timestamps":${keyTimestamps}}`);
  }
  for (let v = 0; v < plan.views.length; v++) {
    const vp = plan.views[v];
    const rows = stored[v];
    const statuses = new Array<string>(n);
    const timestamps = new Array<string>(n);
    const texts = new Array<(string | undefined)[] | undefined>(n);
    for (let i = 0; i < n; i++) {
      const s = rows[i];
      statuses[i] = rowStatus(vp, s, nowUs);
      timestamps[i] = s === undefined ? EPOCH : formatCached(s.eventTs);
      texts[i] = statuses[i] === 'PRESENT' ? decodeValueTexts(s!.encoded, s!.projection, python) : undefined;
    }
    const timestampsJson = plainStrings(timestamps);
    const statusesJson = plainStrings(statuses);
    const values = new Array<string>(n);
    for (let j = 0; j < vp.features.length; j++) {
      const write = valueWriter(vp.types[j], python);
      let nulls: string[] | null = null;
      for (let i = 0; i < n; i++) {
        const row = texts[i];
        // No row: NOT_FOUND or OUTSIDE_MAX_AGE. A stored null: NULL_VALUE. Nothing stored for the feature (added
        // to the view after the row was written, or a vector shorter than its feature list): NOT_FOUND.
        const t = row === undefined ? undefined : row[j];
        if (row === undefined || t === undefined || t === 'null') {
          values[i] = 'null';
          if (row !== undefined) (nulls ??= statuses.slice())[i] = t === undefined ? 'NOT_FOUND' : 'NULL_VALUE';
        } else values[i] = write(t);
      }
      parts.push(`{"values":[${values.join(',')}],"statuses":${nulls ? plainStrings(nulls) : statusesJson},"event_timestamps":${timestampsJson}}`);
    }
  }
  return `${head(plan)}${parts.join(',')}]}`;
}

/**
 * Whether a stored vector's text holds numbers and booleans only: no string, list or object (which may hold a comma)
 * and no null. Four `indexOf` scans, not one regex test for the four characters: on the ~1 KB text of 50 doubles
 * the regex costs several times more (0.6 against 0.1 µs).
 */
function numbersAndBooleans(inner: string): boolean {
  return inner.indexOf('"') === -1 && inner.indexOf('[') === -1 && inner.indexOf('{') === -1 && inner.indexOf('n') === -1;
}

/**
 * One entity row, written with one `replaceAll` per view instead of one string
 * per feature, when every view's row is found, within its ttl, stored with
 * exactly the features asked for in that order (one value each), and holds only numbers and
 * booleans (all `PRESENT`; no comma inside a value). `null` when any of that
 * does not hold (the general path then writes the response).
 */
function plainRowJson(read: StoredRead<StoredEncoded>, python: boolean): string | null {
  const { plan, columns, stored, nowUs } = read;
  let body = '';
  for (let v = 0; v < plan.views.length; v++) {
    const vp = plan.views[v];
    const s = stored[v][0];
    if (s === undefined || s.projection !== null || vp.features.length === 0) return null;
    if (rowStatus(vp, s, nowUs) !== 'PRESENT' || s.encoded.charCodeAt(0) !== 91 /* [ (not a tagged vector) */) return null;
    const inner = s.encoded.slice(1, -1);
    if (inner.length === 0 || !numbersAndBooleans(inner)) return null;
    const tail = `],"statuses":["PRESENT"],"event_timestamps":["${formatCached(s.eventTs)}"]}`;
    const between = `${tail},{"values":[`;
    const values = inner.replaceAll(',', between);
    // One element per comma and one more (what the replacement added, counted from the lengths): a vector written
    // shorter or longer than its feature list goes the general way.
    if ((values.length - inner.length) / (between.length - 1) + 1 !== vp.features.length) return null;
    body += `,{"values":[${values}${tail}`;
  }
  let keys = '';
  for (let k = 0; k < plan.joinKeys.length; k++) {
    const key = plan.joinKeys[k];
    keys += `${k === 0 ? '' : ','}{"values":[${keyWriter(key, python)(columns.get(key.name)![0])}],"statuses":["PRESENT"],"event_timestamps":["${EPOCH}"]}`;
  }
  return head(plan) + keys + body + ']}';
}
