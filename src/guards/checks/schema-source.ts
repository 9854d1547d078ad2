/**
 * Schema results about the view's source itself, for the runs that read it (materialize, `check`): a join key
 * whose own column type its declared type does not accept (retyped upstream after `apply`; the raw relation keeps
 * it uncast, so the table shows the source's type). A failure (`schema.type`) that blocks under the schema policy;
 * no key is cast into another entity's.
 */
import { viewJoinKeys } from '../../definitions/definition-set.js';
import { sourceColumnName } from '../../definitions/source-location.js';
import type { CheckResult } from '../../runs/types.js';
import { keyTypeProblem } from '../../offline/key-types.js';
import { result, type CheckContext } from '../check.js';

/** The key results of a view run (none for dataset builds and pushes, which read no source here). */
export async function sourceSchemaChecks(ctx: CheckContext): Promise<CheckResult[]> {
  if (!ctx.view || ctx.dataset || ctx.kind === 'push') return [];
  const set = ctx.project.registry.current();
  const source = set.sources.get(ctx.view.source);
  if (!source) return [];
  const types = new Map(ctx.columns.map((c) => [c.name, c.type]));
  const out: CheckResult[] = [];
  for (const k of viewJoinKeys(set, ctx.view)) {
    const actual = types.get(k.name);
    const problem = actual === undefined ? undefined : keyTypeProblem(source, k, actual);
    if (problem === undefined) continue;
    out.push(result(ctx, {
      check: 'schema', method: 'type', feature: k.name, status: 'fail', message: problem,
      details: { join_key: true, declared: k.type, actual, column: sourceColumnName(source, k.name) },
    }));
  }
  return out;
}
