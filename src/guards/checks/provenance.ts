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
import { tamperCheck } from './tamper.js';

function sqlTs(d: Date): string {
  return `TIMESTAMP ${literal(d.toISOString().replace('T', ' ').replace('Z', ''))}`;
}

export const provenanceCheck: Check = async (ctx) => {
  const out: CheckResult[] = [];
  out.push(await fingerprintRecord(ctx));
  if (!ctx.eventTimestampColumn) {
    out.push(result(ctx, { check: 'provenance', method: 'timestamps', status: 'skipped', message: 'no event timestamp column' }));
    return out;
  }
  out.push(...(await rowChecks(ctx)));
  out.push(...(await tamperCheck(ctx)));
  return out;
};

async function rowChecks(ctx: CheckContext): Promise<CheckResult[]> {
  const ts = ident(ctx.eventTimestampColumn!);
  const skewMs = durationMs(ctx.quality.provenance.max_clock_skew) ?? 0;
  const limit = new Date(ctx.now.getTime() + skewMs);
  const created = ctx.createdTimestampColumn ? ident(ctx.createdTimestampColumn) : null;
  const keys = ctx.joinKeys.filter((k) => ctx.columns.some((c) => c.name === k));
  const dupKey = [...keys.map(ident), ts].join(', ');
  const [r] = await queryRows(
    ctx,
    `SELECT count(*) FILTER (WHERE ${ts} > ${sqlTs(limit)}) AS future, max(${ts})::VARCHAR AS max_ts,
       ${created ? `count(*) FILTER (WHERE ${created} < ${ts})` : '0'} AS created_before,
       ${ctx.dataset ? '0' : `count(*) - count(DISTINCT (${dupKey}))`} AS dups
     FROM ${ident(ctx.table)}`,
  );
  const future = Number(r.future);
  const createdBefore = Number(r.created_before);
  const dups = Number(r.dups);
  const out: CheckResult[] = [
    result(ctx, {
      check: 'provenance', method: 'future_timestamps', sub: 'future_timestamps', status: future > 0 ? 'fail' : 'pass', value: future,
      thresholds: { max_clock_skew_ms: skewMs },
      message: future > 0 ? `${future} row(s) with ${ctx.eventTimestampColumn} later than now + ${ctx.quality.provenance.max_clock_skew} (max ${String(r.max_ts)})` : 'no event timestamps in the future',
      details: { now: ctx.now.toISOString(), max_event_timestamp: r.max_ts ?? null },
    }),
  ];
  if (created) {
    out.push(result(ctx, {
      check: 'provenance', method: 'created_before_event', status: createdBefore > 0 ? 'warn' : 'pass', value: createdBefore,
      message: createdBefore > 0 ? `${createdBefore} row(s) with created_timestamp before event_timestamp` : 'created_timestamp never precedes event_timestamp',
    }));
  }
  if (!ctx.dataset && keys.length > 0) {
    out.push(result(ctx, {
      check: 'provenance', method: 'duplicates', status: dups > 0 ? 'warn' : 'pass', value: dups,
      message: dups > 0 ? `${dups} duplicate (${keys.join(', ')}, event_timestamp) row(s)` : 'no duplicate (keys, event_timestamp) rows',
    }));
  }
  return out;
}

async function fingerprintRecord(ctx: CheckContext): Promise<CheckResult> {
  const inputs = ctx.run.lineage?.inputs ?? [];
  const [r] = await queryRows(ctx, `SELECT count(*) AS n, coalesce(sum(hash(__fg_t)), 0)::VARCHAR AS s FROM ${ident(ctx.table)} AS __fg_t`);
  return result(ctx, {
    check: 'provenance', method: 'fingerprint', status: 'pass', value: Number(r.n),
    metrics: { rows: Number(r.n) },
    message: `rows fingerprinted (${Number(r.n)} rows, checksum ${String(r.s)})${inputs.length ? `; ${inputs.length} input(s) in lineage` : ''}`,
    details: { rows: Number(r.n), checksum: String(r.s), inputs },
  });
}
