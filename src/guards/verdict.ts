/**
 * Running a family safely and turning its records into a verdict under the
 * policies: a check that throws becomes an `error` record (never a silent pass);
 * `block` + fail/error blocks, `warn` + fail/error warns, `off` records are dropped.
 */
import type { CheckResult } from '../runs/types.js';
import { result, type CheckContext, type CheckFamily } from './check.js';
import { subPolicy } from './config.js';

/** Run one family; a throw becomes one `error` record for the family. */
export async function runFamily(ctx: CheckContext, family: CheckFamily): Promise<CheckResult[]> {
  if (subPolicy(ctx.quality, family.family) === 'off' && !ctx.features.some((f) => subPolicy(f.quality, family.family) !== 'off')) return [];
  try {
    return await family.run(ctx);
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    return [
      result(ctx, {
        check: family.family,
        status: 'error',
        message: `${family.family} check broke: ${message.split('\n')[0]}`,
        method: family.name ?? null,
        details: { error: message },
        // The strictest policy of the family decides: an erroring check must not slip through as a warning. (Leakage's
        // target, temporal and overlap parts record their own errors under their own policies, leakage.ts.)
        policy: strictest(ctx, family.family),
      }),
    ];
  }
}

function strictest(ctx: CheckContext, family: CheckFamily['family']): 'block' | 'warn' | 'off' {
  const q = ctx.quality[family] as unknown as Record<string, unknown>;
  const all = [q.policy, ...Object.values(q)].filter((v) => v === 'block' || v === 'warn');
  if (q.policy === 'off') return 'off';
  return all.includes('block') ? 'block' : 'warn';
}

export interface Verdict {
  results: CheckResult[];
  verdict: 'pass' | 'warn' | 'block';
  blockedReason: string | null;
  counts: { pass: number; warn: number; fail: number; error: number; skipped: number };
}

/** Apply policies to raw records: drop `off`, compute the verdict and the first blocking reason. */
export function applyPolicies(raw: readonly CheckResult[]): Verdict {
  const results = raw.filter((r) => r.policy !== 'off');
  const counts = { pass: 0, warn: 0, fail: 0, error: 0, skipped: 0 };
  let verdict: Verdict['verdict'] = 'pass';
  let blockedReason: string | null = null;
  // Blocking reasons: errors and fails under block, worst first, in record order.
  const blocking = results.filter((r) => r.policy === 'block' && (r.status === 'fail' || r.status === 'error'));
  for (const r of results) {
    counts[r.status]++;
    if (r.status === 'warn' || ((r.status === 'fail' || r.status === 'error') && r.policy !== 'block')) if (verdict === 'pass') verdict = 'warn';
  }
  if (blocking.length > 0) {
    verdict = 'block';
    // A failed check explains a block better than a broken one; both are listed in the results.
    const firstFail = blocking.find((r) => r.status === 'fail') ?? blocking[0];
    const extra = blocking.length > 1 ? ` (+${blocking.length - 1} more blocking)` : '';
    blockedReason = `${firstFail.check}${firstFail.method ? `.${firstFail.method}` : ''}: ${firstFail.message.split('\n')[0]}${extra}`;
  }
  return { results, verdict, blockedReason, counts };
}
