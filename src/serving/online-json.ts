/**
 * The JSON text of a Feast `get-online-features` response whose values are
 * already JSON texts (see `getOnlineFeaturesJson`): the texts are written as
 * they are, statuses and timestamps (plain ASCII) without escaping. Byte for
 * byte `JSON.stringify` of the same response with parsed values (property tests
 * in `online-features.test.ts`).
 */
import type { ResponseVector } from './online-features.js';
import type { OnlineReadPlan } from './online-plan.js';

/** `{"metadata":{"feature_names":[...]},"results":[` of each plan (plans are cached per registry generation). */
const heads = new WeakMap<OnlineReadPlan, string>();

export function feastJsonHead(plan: OnlineReadPlan): string {
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

/** The response text of a plan and its result vectors of JSON texts. */
export function feastJsonFromTexts(plan: OnlineReadPlan, results: readonly ResponseVector<string>[]): string {
  const parts = new Array<string>(results.length);
  for (let i = 0; i < results.length; i++) {
    const r = results[i];
    parts[i] = `{"values":[${r.values.join(',')}],"statuses":${plainStrings(r.statuses)},"event_timestamps":${plainStrings(r.event_timestamps)}}`;
  }
  return `${feastJsonHead(plan)}${parts.join(',')}]}`;
}
