/**
 * Provenance checks: input fingerprints (from the run's lineage, else a content
 * checksum of the rows), tamper detection (see tamper.ts), event timestamps in
 * the future beyond `max_clock_skew` (fail, sub-policy `future_timestamps`),
 * created_ts < event_ts (warn) and duplicate (keys, event_ts) rows (warn).
 */
import { ident, literal } from '../../offline/engine.js';
import type { CheckResult } from '../../runs/types.js';
import { queryRows, result, type Check, type CheckContext } from '../check.js';
import { durationMs } from '../config.js';
import { countMatching, rowPass, type RowPass, type RowPassOptions } from '../row-pass.js';
import { checksumColumns, tamperCheck } from './tamper.js';
import { duplicateKeys } from './duplicate-keys.js';

function sqlTs(d: Date): string {
  return `TIMESTAMP ${literal(d.toISOString().replace('T', ' ').replace('Z', ''))}`;
}

export const provenanceCheck: Check = async (ctx) => {
  const out: CheckResult[] = [];
  if (!ctx.eventTimestampColumn) {
    out.push(await fingerprintRecord(ctx, null));
    out.push(result(ctx, { check: 'provenance', method: 'timestamps', status: 'skipped', message: 'no event timestamp column' }));
    return out;
  }
  // The stage's row pass gives the window's fingerprint, its per-day partition checksums and the row counts below
  // (for a dataset, its fingerprint and counts); without it (it failed) the same pass runs here for views, and
  // separate queries for datasets.
  const byDay = ctx.eventTimestampColumn === 'event_timestamp' && !ctx.dataset;
  const pass = !byDay ? (ctx.dataset ? ctx.rowPass : undefined) : ctx.rowPass?.days ? ctx.rowPass : await rowPass(ctx.conn, ctx.table, { columns: [], byDay: true, ...provenancePassRequest(ctx) });
  out.push(await fingerprintRecord(ctx, pass?.fingerprint ? { ...pass.fingerprint, columns: [...pass.checksumColumns] } : null));
  out.push(...(await rowChecks(ctx, pass)));
  out.push(...(await tamperCheck(ctx, pass)));
  return out;
};

/** What the row pass computes for provenance: checksum columns and the row counts of `rowChecks`. */
export function provenancePassRequest(ctx: CheckContext): Pick<RowPassOptions, 'checksumColumns' | 'counts'> {
  // A dataset: the fingerprint covers every column (no days, no tamper check, no duplicates).
  if (ctx.dataset) return { checksumColumns: ctx.columns.map((c) => c.name), counts: rowCountConditions(ctx) };
  return { checksumColumns: checksumColumns(ctx), counts: rowCountConditions(ctx) };
}

/** Rows to count: event timestamps beyond now + max_clock_skew, and created before their event. */
function rowCountConditions(ctx: CheckContext): Record<string, string> {
  const ts = ident(ctx.eventTimestampColumn!);
  const skewMs = durationMs(ctx.quality.provenance.max_clock_skew) ?? 0;
  const created = ctx.createdTimestampColumn ? ident(ctx.createdTimestampColumn) : null;
  return { future: `${ts} > ${sqlTs(new Date(ctx.now.getTime() + skewMs))}`, created_before: created ? `${created} < ${ts}` : 'false' };
}

/**
 * Rows of a materialized view's source dated after now + skew. A window ends at or before now, so they are
 * never in the rows under check: without this count a clock or time-zone bug upstream would pass, and its rows
 * be materialized silently once their time comes. Null when not a materialization, or the source cannot be read
 * (the tamper check reports that).
 */
async function sourceRowsAhead(ctx: CheckContext, skewMs: number): Promise<{ rows: number; max: string | null } | null> {
  if (ctx.kind !== 'materialize' || !ctx.sourceRelation || !ctx.window) return null;
  try {
    const [row] = await queryRows(
      ctx,
      `SELECT count(*) AS n, strftime(max(event_timestamp), '%Y-%m-%d %H:%M:%S.%f') AS mx FROM (${ctx.sourceRelation}) WHERE event_timestamp > ${sqlTs(new Date(ctx.now.getTime() + skewMs))}`,
    );
    return { rows: Number(row?.n ?? 0), max: (row?.mx as string | null) ?? null };
  } catch {
    return null;
  }
}

async function rowChecks(ctx: CheckContext, pass: Pick<RowPass, 'totals'> | undefined): Promise<CheckResult[]> {
  const skewMs = durationMs(ctx.quality.provenance.max_clock_skew) ?? 0;
  const keys = ctx.joinKeys.filter((k) => ctx.columns.some((c) => c.name === k));
  const conds = rowCountConditions(ctx);
  const totals = await countMatching(ctx.conn, ctx.table, conds, pass?.totals);
  const ahead = await sourceRowsAhead(ctx, skewMs);
  const maxTs = ctx.profiles.get(ctx.eventTimestampColumn!)?.max ?? null;
  const future = Number(totals.future);
  const createdBefore = Number(totals.created_before);
  const out: CheckResult[] = [
    result(ctx, {
      check: 'provenance', method: 'future_timestamps', sub: 'future_timestamps', status: future > 0 ? 'fail' : 'pass', value: future,
      thresholds: { max_clock_skew_ms: skewMs },
      message: future > 0 ? `${future} row(s) with ${ctx.eventTimestampColumn} later than now + ${ctx.quality.provenance.max_clock_skew} (max ${String(maxTs)})` : 'no event timestamps in the future',
      details: { now: ctx.now.toISOString(), max_event_timestamp: maxTs },
    }),
  ];
  if (ahead) {
    // Warn, not block: a source may rightly hold rows dated ahead (scheduled flights, forecasts), and they
    // reach no window until their time; a clock or time-zone bug upstream shows here first.
    out.push(result(ctx, {
      check: 'provenance', method: 'future_source_rows', status: ahead.rows > 0 ? 'warn' : 'pass', value: ahead.rows,
      thresholds: { max_clock_skew_ms: skewMs },
      message: ahead.rows > 0
        ? `${ahead.rows} row(s) of the source dated later than now + ${ctx.quality.provenance.max_clock_skew} (max ${String(ahead.max)}): no window holds them until then (a text timestamp without an offset is read as UTC: times written in a zone ahead of UTC look like the future)`
        : 'no source rows dated in the future',
      details: { now: ctx.now.toISOString(), max_event_timestamp: ahead.max },
    }));
  }
  if (ctx.createdTimestampColumn) {
    out.push(result(ctx, {
      check: 'provenance', method: 'created_before_event', status: createdBefore > 0 ? 'warn' : 'pass', value: createdBefore,
      message: createdBefore > 0 ? `${createdBefore} row(s) with created_timestamp before event_timestamp` : 'created_timestamp never precedes event_timestamp',
    }));
  }
  if (!ctx.dataset && keys.length > 0) out.push(await duplicatesRecord(ctx, keys));
  return out;
}

/**
 * The duplicates warning: how many rows repeat a (keys, event_timestamp) (with a created time: and created time;
 * other created times are corrections, counted in a pass), on how many keys, how many of those with
 * conflicting feature values, and example keys, all from one query. Counted over every row up to
 * `exact_duplicates_max_rows` rows; above, exactly on 1/16 of the key space (duplicates share their hash) and scaled
 * up. `exact` (kept; `counted_exactly` says the same) means counted over every row rather than estimated from 1/16 of
 * the keys, not that the rows are exact copies.
 */
async function duplicatesRecord(ctx: CheckContext, keys: readonly string[]): Promise<CheckResult> {
  const exact = ctx.rowCount <= ctx.quality.provenance.exact_duplicates_max_rows;
  const counted = { exact, counted_exactly: exact };
  let found;
  try {
    found = await duplicateKeys(ctx, keys, !exact);
  } catch (e) {
    // An error record under the provenance policy, beside the family's other records (which do not depend on it).
    const error = e instanceof Error ? e.message : String(e);
    return result(ctx, { check: 'provenance', method: 'duplicates', status: 'error', message: `duplicate (keys, event_timestamp) rows not counted: ${error.split('\n')[0]}`, details: { ...counted, error } });
  }
  const scale = exact ? 1 : 16;
  const dups = found.rows * scale;
  const about = exact ? '' : 'about ';
  const estimated = exact ? '' : ' (estimated from 1/16 of the keys)';
  // With a created time, a later row of a key and time is a correction (the newest created is served and trained
  // on): counted, never a warning; duplicates are rows that tie on the created time too.
  const created = ctx.createdTimestampColumn;
  const [fixes, fixedKeys] = [found.corrections * scale, found.correctedKeys * scale];
  const corrections = created ? { corrections: fixes, corrected_keys: fixedKeys } : {};
  const fixed = fixes === 0 ? ''
    : `; ${about}${fixes} correction${fixes === 1 ? '' : 's'} on ${about}${fixedKeys} key${fixedKeys === 1 ? '' : 's'} (a row with a later ${created} for the same key and time: the newest is served and trained on)`;
  const base = { check: 'provenance' as const, method: 'duplicates', value: dups };
  const key = `(${[...keys, 'event_timestamp', ...(created ? [created] : [])].join(', ')})`;
  if (dups === 0) {
    const examples = fixes > 0 ? { examples: found.examples } : {};
    return result(ctx, {
      ...base, status: 'pass', ...(created ? { metrics: { rows: 0, corrections: fixes } } : {}),
      message: `no duplicate ${key} rows${exact ? '' : ' in 1/16 of the keys'}${fixed}${fixes > 0 ? estimated : ''}`,
      details: { ...counted, ...corrections, ...examples },
    });
  }
  const rows = `${about}${dups} duplicate ${key} row${dups === 1 ? '' : 's'}`;
  const [nKeys, conflicting] = [found.keys * scale, found.conflictingKeys * scale];
  const which = conflicting === 0
    ? 'all exact copies (the same feature values)'
    : conflicting === nKeys ? 'all with conflicting feature values' : `${about}${conflicting} of those keys with conflicting feature values`;
  return result(ctx, {
    ...base, status: 'warn',
    metrics: { rows: dups, keys: nKeys, conflicting_keys: conflicting, ...(created ? { corrections: fixes } : {}) },
    message: `${rows} on ${about}${nKeys} key${nKeys === 1 ? '' : 's'}, ${which}${fixed}${estimated}`,
    details: { ...counted, keys: nKeys, conflicting_keys: conflicting, ...corrections, examples: found.examples },
  });
}

/** Row count and order-independent content checksum of the checked rows (sum of hash(row)), plus the lineage inputs. */
async function fingerprintRecord(ctx: CheckContext, known: { rows: number; checksum: string; columns: string[] } | null): Promise<CheckResult> {
  const inputs = ctx.run.lineage?.inputs ?? [];
  let fp = known;
  if (!fp) {
    // The same checksum as the row pass computes for a dataset (every column).
    const columns = ctx.columns.map((c) => c.name);
    const [r] = await queryRows(ctx, `SELECT count(*) AS n, coalesce(sum(hash(${columns.map(ident).join(', ')})), 0)::VARCHAR AS s FROM ${ident(ctx.table)}`);
    fp = { rows: Number(r.n), checksum: String(r.s), columns };
  }
  return result(ctx, {
    check: 'provenance', method: 'fingerprint', status: 'pass', value: fp.rows,
    metrics: { rows: fp.rows },
    message: `rows fingerprinted (${fp.rows} rows, checksum ${fp.checksum})${inputs.length ? `; ${inputs.length} input(s) in lineage` : ''}`,
    details: { rows: fp.rows, checksum: fp.checksum, checksum_columns: fp.columns, inputs },
  });
}
