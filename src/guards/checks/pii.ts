/**
 * The PII part of the leakage family (every run kind; sub-policy `pii`, block by
 * default): each string feature is sampled (up to `pii_sample` = 10,000 non-null
 * values: the profile's seeded sample when it holds enough, else a
 * deterministic hash-ordered row sample) and scanned for emails, credit cards (Luhn-valid),
 * US SSNs, IBANs, phone numbers and IP addresses. A column is PII when at least
 * `pii_min_share` (1%) of the sampled values match one kind (for the kinds
 * ordinary values can look like: SSN, IBAN, phone, IP address, at least 3 of
 * them), or any value holds a Luhn-valid card number; that fails unless the
 * feature declares `pii: true`. A lookalike share reached by fewer matches (a
 * version string in a 1-row push) is not judged: `skipped`, and the column is
 * not remembered as PII.
 */
import { ident } from '../../offline/engine.js';
import type { CheckResult } from '../../runs/types.js';
import { policyOf, queryRows, result, skipped, type Check, type CheckContext, type CheckedFeature } from '../check.js';
import { categoricalSample } from '../profile.js';
import { countedValues, PII_MIN_MATCHES, scanPii } from './pii-detectors.js';

const FAMILY = 'leakage' as const;

/**
 * Deterministic row sample of a column's non-null values: the `limit` rows with
 * the smallest hash of (row identity columns, value), grouped into distinct
 * values with their row counts so each distinct value is scanned once.
 */
export function piiSampleSql(table: string, column: string, limit: number, identity: readonly string[]): string {
  const c = ident(column);
  const key = [...identity.map(ident), c].join(', ');
  return `SELECT CAST(${c} AS VARCHAR) AS value, count(*) AS n FROM (SELECT ${c} FROM ${ident(table)} WHERE ${c} IS NOT NULL ORDER BY hash(${key}) LIMIT ${limit}) GROUP BY 1`;
}

function identityColumns(ctx: CheckContext): string[] {
  const cols = [...ctx.joinKeys, ...(ctx.eventTimestampColumn ? [ctx.eventTimestampColumn] : [])];
  return cols.filter((c) => ctx.columns.some((x) => x.name === c));
}

/**
 * The values to scan with their counts. The run's profile already holds a uniform
 * (seeded) sample of the column: reuse it when it has `limit` values or all of
 * them, which saves a pass over the rows; else sample with SQL.
 */
async function sampledValues(ctx: CheckContext, f: CheckedFeature, limit: number): Promise<{ value: string; count: number }[]> {
  const prof = ctx.profiles.get(f.column);
  // A masked profile (declared pii: true) holds hashes: sample the rows themselves.
  const sample = prof && !prof.masked ? categoricalSample(prof) : undefined;
  if (prof && sample && (!prof.sampled || sample.length >= limit)) return countedValues(sample.slice(0, limit));
  const rows = await queryRows(ctx, piiSampleSql(ctx.table, f.column, limit, identityColumns(ctx)));
  return rows.map((r) => ({ value: String(r.value), count: Number(r.n) }));
}

async function checkColumn(ctx: CheckContext, f: CheckedFeature): Promise<CheckResult> {
  const q = f.quality.leakage;
  const scan = scanPii(await sampledValues(ctx, f, Math.max(1, Math.floor(q.pii_sample))), q.pii_min_share);
  const declared = f.def.pii === true;
  const metrics: Record<string, number> = { sampled_values: scan.values, card_matches: scan.cardMatches };
  for (const [k, v] of Object.entries(scan.shares)) metrics[`${k}_share`] = v;
  const found = scan.kinds.map((k) => `${k} ${(100 * scan.shares[k]).toPrecision(3)}%`).join(', ');
  const maxShare = Math.max(0, ...Object.values(scan.shares));
  const base = { check: FAMILY, method: 'pii', sub: 'pii', feature: f.column, value: maxShare, thresholds: { min_share: q.pii_min_share, min_matches: PII_MIN_MATCHES }, metrics } as const;
  if (!scan.kinds.length && scan.tooFew.length) {
    const looks = scan.tooFew.map((k) => `${k} in ${scan.matches[k]}`).join(', ');
    return result(ctx, {
      ...base, status: 'skipped',
      message: `${f.column}: ${looks} of ${scan.values} sampled values, too few to judge (such a share needs ${PII_MIN_MATCHES} or more matching values); not remembered as PII`,
      details: { kinds: [], too_few: scan.tooFew, examples: scan.examples },
    });
  }
  if (!scan.kinds.length) {
    return result(ctx, { ...base, status: 'pass', message: `${f.column}: no PII found in ${scan.values} sampled values`, details: { kinds: [] } });
  }
  const details = { kinds: scan.kinds, examples: scan.examples, declared_pii: declared };
  if (declared) {
    return result(ctx, { ...base, status: 'pass', message: `${f.column}: holds PII (${found}), declared with pii: true`, details });
  }
  return result(ctx, {
    ...base,
    status: 'fail',
    message: `${f.column}: undeclared PII (${found} of ${scan.values} sampled values); declare the feature with pii: true or remove the values`,
    details,
  });
}

/** Scan every string feature for PII. */
export const piiCheck: Check = async (ctx) => {
  if (policyOf(ctx, FAMILY, 'pii') === 'off') return [];
  const strings = ctx.features.filter((f) => f.def.type === 'string' && ctx.columns.some((c) => c.name === f.column));
  if (!strings.length) return [skipped(ctx, FAMILY, 'no string features: PII not checked', { method: 'pii', sub: 'pii' })];
  const out: CheckResult[] = [];
  for (const f of strings) {
    if (policyOf(ctx, FAMILY, 'pii', f.column) === 'off') continue;
    out.push(await checkColumn(ctx, f));
  }
  return out;
};
