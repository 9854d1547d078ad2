/**
 * Schema results about the view's source itself, for the runs that read it (materialize, `check`): a join key
 * whose own column type its declared type does not accept (retyped upstream after `apply`; the raw relation keeps
 * it uncast, so the table shows the source's type), and a Parquet glob's files left out of the read because they
 * hold a column read in another type or lack it (`globFindings`), each named. Both are failures (`schema.type`,
 * `schema.missing_column`) that block under the schema policy; nothing is cast into another value.
 */
import { viewJoinKeys } from '../../definitions/definition-set.js';
import { sourceColumnName } from '../../definitions/source-location.js';
import type { JoinKey, SourceDef } from '../../definitions/types.js';
import type { CheckResult } from '../../runs/types.js';
import { globFindings } from '../../offline/source-sql.js';
import { keyTypeProblem } from '../../offline/key-types.js';
import { result, type CheckContext, type ResultInit } from '../check.js';

/** The key and glob-file results of a view run (none for dataset builds and pushes, which read no source here). */
export async function sourceSchemaChecks(ctx: CheckContext): Promise<CheckResult[]> {
  if (!ctx.view || ctx.dataset || ctx.kind === 'push') return [];
  const set = ctx.definitions;
  const source = set.sources.get(ctx.view.source);
  if (!source) return [];
  const types = new Map(ctx.columns.map((c) => [c.name, c.type]));
  const out: CheckResult[] = [];
  for (const k of viewJoinKeys(set, ctx.view)) {
    const actual = types.get(k.name);
    const failed = actual === undefined ? undefined : keyTypeResult(source, k, actual);
    if (failed) out.push(result(ctx, failed));
  }
  for (const f of await globFindings(ctx.conn, ctx.project.sourceRoots, source)) {
    out.push(result(ctx, {
      check: 'schema', method: f.method, feature: canonicalName(ctx, source, f.column), status: 'fail',
      message: `${f.message} (its rows were left out of this run)`,
      details: { file: f.file, column: f.column, declared: f.declared, actual: f.actual, first_file: f.firstFile, first_type: f.firstType },
    }));
  }
  return out;
}

/**
 * The failed `schema.type` result of join key `key` whose column in `source` is of DuckDB type `actual`, or
 * undefined when its declared type accepts that type (as every run records it: a dataset build too).
 */
export function keyTypeResult(source: SourceDef, key: JoinKey, actual: string): ResultInit | undefined {
  const problem = keyTypeProblem(source, key, actual);
  if (problem === undefined) return undefined;
  return {
    check: 'schema', method: 'type', feature: key.name, status: 'fail', message: problem,
    details: { join_key: true, declared: key.type, actual, column: sourceColumnName(source, key.name) },
  };
}

/** The table's name of a source column read: the key's, the feature's, `event_timestamp` or `created_timestamp`. */
function canonicalName(ctx: CheckContext, source: SourceDef, column: string): string {
  const names = [...viewJoinKeys(ctx.definitions, ctx.view!).map((k) => k.name), ...ctx.view!.features.map((f) => f.name)];
  const named = names.find((n) => sourceColumnName(source, n) === column);
  if (named !== undefined) return named;
  return sourceColumnName(source, source.timestamp_field) === column ? 'event_timestamp' : 'created_timestamp';
}
