/** Turning DuckDB rows (as produced by `latestPerEntitySql`) into online store rows. */
import type { OnlineRow } from '../online/types.js';

function jsNumber(v: unknown): unknown {
  if (typeof v === 'bigint') return Number.isSafeInteger(Number(v)) ? Number(v) : v.toString();
  return v;
}

function jsValue(v: unknown): unknown {
  if (typeof v === 'bigint') return jsNumber(v);
  if (Array.isArray(v)) return v.map(jsNumber);
  return v ?? null;
}

/** Rows of `[...keys, ets, cts, ...features]` (JS values from DuckDB) to `OnlineRow`s. */
export function toOnlineRows(rows: readonly (readonly unknown[])[], keyCount: number): OnlineRow[] {
  return rows.map((r) => {
    const key = new Array<string | number>(keyCount);
    for (let i = 0; i < keyCount; i++) key[i] = jsNumber(r[i]) as string | number;
    const values = new Array<unknown>(r.length - keyCount - 2);
    for (let i = 0; i < values.length; i++) values[i] = jsValue(r[keyCount + 2 + i]);
    return { key, eventTs: Number(r[keyCount]), createdTs: Number(r[keyCount + 1]), values };
  });
}
