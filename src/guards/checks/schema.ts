/**
 * Schema checks (default policy block): declared feature type vs the DuckDB
 * column type (with documented coercions), a join key's source type and a glob's
 * files at fault (`schema-source.ts`), missing declared columns (naming the
 * undeclared source columns of a compatible type as likely renames, the 3 closest names), undeclared
 * extra columns (info, the first 20 a record each and the rest one; a view's from its source's DESCRIBE, `raw-relation.ts`), null join keys and event timestamps, per-feature
 * constraints with Great Expectations' `mostly`, NaN/±Inf in float features.
 */
import type { FeatureDef, FeatureType } from '../../definitions/types.js';
import type { CheckResult } from '../../runs/types.js';
import { ACCEPTED_COLUMN_TYPES, isCompatibleType } from '../../definitions/type-compat.js';
import { ident } from '../../offline/engine.js';
import { csvCastExpr, csvMarker, duckdbType, rawSourceSql, sourceColumnName, utcTimestampSql } from '../../offline/source-sql.js';
import { editDistance } from '../../definitions/suggest.js';
import { queryRows, result, type Check, type CheckContext, type CheckedFeature, type ResultInit } from '../check.js';
import { countMatching } from '../row-pass.js';
import { constraintPlans, constraintSeen, evaluateConstraint, namingPatternErrors, type ConstraintPlan } from './schema-constraints.js';
import { CSV_UNPARSED, undeclaredSourceColumns } from '../raw-relation.js';
import { sourceSchemaChecks } from './schema-source.js';

/**
 * Does a DuckDB column type satisfy a declared feature type? With
 * `lenient_integers` (the default) exactly the coercions `validate` accepts
 * (`isCompatibleType`: widening integers, integers/DECIMAL to floats, ENUM/UUID
 * to string, any timestamp flavour, numeric lists for embeddings); without it,
 * only the declared type's own DuckDB type.
 */
function typeMatches(declared: FeatureType, actual: string, lenient: boolean): boolean {
  return lenient ? isCompatibleType(declared, actual) : actual === duckdbType(declared);
}

function acceptedText(declared: FeatureType, lenient: boolean): string {
  return lenient ? ACCEPTED_COLUMN_TYPES[declared].join(', ') : duckdbType(declared);
}

/**
 * The `schema.type` result of a feature column of DuckDB type `actual` against its declared type (`ok`: accepted;
 * `accepted`: the types that are), as every run records it (a dataset build too, for a source retyped upstream).
 */
export function featureTypeResult(column: string, declared: FeatureType, actual: string, ok: boolean, accepted: string): ResultInit {
  return {
    check: 'schema', method: 'type', feature: column, status: ok ? 'pass' : 'fail',
    message: ok ? `${column} is ${actual} (declared ${declared})` : `${column} is ${actual} but declared ${declared} (accepted: ${accepted})`,
    details: { declared, actual, accepted },
  };
}

const CANONICAL = new Set(['event_timestamp', 'created_timestamp']);

/** Candidates a missing column's message names (the rest are counted), and its `details.likely_renames` keeps. */
const RENAMES_NAMED = 3;
const RENAMES_KEPT = 20;

/** Undeclared columns recorded one by one; the others are one summary record (a wide source recorded 200 per run). */
const EXTRAS_RECORDED = 20;
/** Names of the summarized columns its message shows. */
const EXTRAS_NAMED = 10;
/**
 * Names of the summarized columns its `details.columns` keeps (`details.more` counts them all): a source of 10,000
 * columns recorded every name in every run's record.
 */
const EXTRAS_KEPT = 100;

/**
 * The `schema.extra_column` records of a run: the first `EXTRAS_RECORDED` undeclared columns one each, then one
 * record for the rest, `180 more undeclared columns: extra_21, extra_22, …` (`details.more` their count,
 * `details.columns` the first `EXTRAS_KEPT` of them).
 */
function extraColumnResults(extras: readonly ResultInit[]): ResultInit[] {
  if (extras.length <= EXTRAS_RECORDED) return [...extras];
  const rest = extras.slice(EXTRAS_RECORDED).map((r) => r.feature as string);
  const named = `${rest.slice(0, EXTRAS_NAMED).join(', ')}${rest.length > EXTRAS_NAMED ? ', …' : ''}`;
  return [
    ...extras.slice(0, EXTRAS_RECORDED),
    {
      check: 'schema', method: 'extra_column', status: 'pass', feature: null,
      message: `${rest.length} more undeclared column${rest.length === 1 ? '' : 's'}: ${named}`,
      details: { info: true, more: rest.length, columns: rest.slice(0, EXTRAS_KEPT) },
    },
  ];
}

/** Undeclared columns of a compatible type, the closest name to the missing one first (edit distance; ties in source order). */
function likelyRenames<C extends { name: string }>(missing: string, candidates: readonly C[]): C[] {
  const m = missing.toLowerCase();
  return candidates
    .map((c, i) => ({ c, i, d: editDistance(m, c.name.toLowerCase()) }))
    .sort((a, b) => a.d - b.d || a.i - b.i)
    .map((x) => x.c);
}

export const schemaCheck: Check = async (ctx) => {
  const out: CheckResult[] = [];
  const types = new Map(ctx.columns.map((c) => [c.name, c.type]));
  // A view's rows hold only what it declares: the source's other columns come from the DESCRIBE its relation was built with.
  const undeclared = (!ctx.dataset && ctx.sourceRelation && undeclaredSourceColumns(ctx.sourceRelation)) || [];
  const present: CheckedFeature[] = [];
  for (const f of ctx.features) {
    const actual = types.get(f.column);
    if (actual === undefined) {
      // An undeclared source column of a type the feature accepts is likely the feature renamed upstream.
      const renames = likelyRenames(f.column, undeclared.filter((c) => isCompatibleType(f.def.type, c.type)));
      const named = renames.slice(0, RENAMES_NAMED);
      const more = renames.length - named.length;
      const hint = renames.length
        ? `; the source has undeclared column${renames.length > 1 ? 's' : ''} ${named.map((c) => `${c.name} (${c.type})`).join(', ')}${more ? ` and ${more} more` : ''} of a compatible type: renamed?`
        : '';
      out.push(result(ctx, {
        check: 'schema', method: 'missing_column', feature: f.column, status: 'fail', message: `declared feature ${f.column} (${f.def.type}) is missing from the rows${hint}`,
        ...(renames.length ? { details: { likely_renames: renames.slice(0, RENAMES_KEPT).map((c) => c.name), likely_renames_total: renames.length } } : {}),
      }));
      continue;
    }
    const lenient = f.quality.schema.lenient_integers;
    const ok = typeMatches(f.def.type, actual, lenient);
    out.push(result(ctx, featureTypeResult(f.column, f.def.type, actual, ok, acceptedText(f.def.type, lenient))));
    if (ok) present.push(f);
  }
  if (types.has(CSV_UNPARSED)) out.push(...(await csvTextChecks(ctx, out)));
  if (!ctx.dataset) {
    const declared = new Set([...ctx.features.map((f) => f.column), ...ctx.joinKeys, ...CANONICAL, ...(ctx.view?.slices ?? [])]);
    const extras: ResultInit[] = [];
    for (const c of ctx.columns) {
      if (declared.has(c.name) || c.name.startsWith('__fg_')) continue;
      extras.push({ check: 'schema', method: 'extra_column', status: 'pass', feature: c.name, message: `undeclared column ${c.name} (${c.type}) is ignored (info)`, details: { info: true, type: c.type } });
    }
    for (const c of undeclared) {
      if (types.has(c.name)) continue;
      extras.push({ check: 'schema', method: 'extra_column', status: 'pass', feature: c.name, message: `undeclared source column ${c.name} (${c.type}) is not read (info)`, details: { info: true, type: c.type } });
    }
    out.push(...extraColumnResults(extras).map((r) => result(ctx, r)));
  }
  out.push(...(await sourceSchemaChecks(ctx)));
  out.push(...(await nullKeyChecks(ctx, types)));
  out.push(...nanChecks(ctx, present), ...(await listNanChecks(ctx, present)));
  out.push(...(await constraintChecks(ctx, present)));
  return out;
};

/**
 * A CSV source is text: a feature's value that does not parse as its declared type (`abc` in an int64
 * column) is a type failure with the count of such rows and a few of the texts, not a NULL that passes.
 * Replaces the type results of those features (their column type is the declared one after the try-cast).
 */
async function csvTextChecks(ctx: CheckContext, results: CheckResult[]): Promise<CheckResult[]> {
  const rows = await queryRows(ctx, `SELECT ${CSV_UNPARSED} AS f, count(*) AS n FROM ${ident(ctx.table)} WHERE ${CSV_UNPARSED} IS NOT NULL GROUP BY 1`);
  const out: CheckResult[] = [];
  for (const r of rows) {
    const f = ctx.features.find((x) => x.column === String(r.f) || x.def.name === String(r.f));
    if (!f) continue;
    const n = Number(r.n);
    const i = results.findIndex((x) => x.method === 'type' && x.feature === f.column);
    if (i >= 0) results.splice(i, 1);
    const examples = await unparsedExamples(ctx, f);
    const eg = examples.length > 0 ? `, e.g. ${examples.map((e) => `'${e}'`).join(', ')}` : '';
    out.push(result(ctx, {
      check: 'schema', method: 'type', feature: f.column, status: 'fail', value: n,
      message: `${n} row(s) of ${f.column} hold CSV text that is no ${f.def.type} value${eg} (it would be read as null)`,
      details: { declared: f.def.type, actual: 'VARCHAR (CSV text)', unparsed_rows: n, ...(examples.length > 0 ? { examples } : {}) },
    }));
  }
  return out;
}

/** Texts of an unparsed CSV feature a `schema.type` failure shows, at most. */
const UNPARSED_EXAMPLES = 3;

/**
 * Up to `UNPARSED_EXAMPLES` distinct texts of feature `f` in the view's CSV source, within the run's window, that
 * are no value of its declared type (first seen first), read again from the source's relation (whose setup the
 * run's read ran on this connection); none when that read fails.
 */
async function unparsedExamples(ctx: CheckContext, f: CheckedFeature): Promise<string[]> {
  const source = ctx.view === undefined ? undefined : ctx.definitions.sources.get(ctx.view.source);
  if (source?.path === undefined || f.def.type === 'string') return [];
  try {
    const { from } = rawSourceSql(ctx.project.sourceRoots, source);
    const col = sourceColumnName(source, f.def.name);
    const ts = utcTimestampSql(sourceColumnName(source, source.timestamp_field));
    const inWindow = ctx.window === undefined ? 'true' : `${ts} >= ${sqlInstant(ctx.window.start)} AND ${ts} < ${sqlInstant(ctx.window.end)}`;
    const sample = `SELECT CAST(${ident(col)} AS VARCHAR) AS v, row_number() OVER () AS n, ${ident(col)} IS NOT NULL AND ${csvCastExpr(col, f.def.type, true)} IS NULL AND NOT ${csvMarker(col)} AS bad, ${inWindow} AS w FROM ${from}`;
    const got = await queryRows(ctx, `SELECT v FROM (${sample}) WHERE bad AND w GROUP BY v ORDER BY min(n) LIMIT ${UNPARSED_EXAMPLES}`);
    return got.map((g) => String(g.v));
  } catch {
    return [];
  }
}

/** A window bound as a TIMESTAMP literal (naive UTC, as the rows' event_timestamp). */
function sqlInstant(d: Date): string {
  return `TIMESTAMP '${d.toISOString().replace('T', ' ').replace('Z', '')}'`;
}

async function nullKeyChecks(ctx: CheckContext, types: Map<string, string>): Promise<CheckResult[]> {
  const cols = [...ctx.joinKeys.filter((k) => types.has(k)), ...(ctx.eventTimestampColumn ? [ctx.eventTimestampColumn] : [])];
  const out: CheckResult[] = [];
  for (const k of ctx.joinKeys) {
    if (!types.has(k)) out.push(result(ctx, { check: 'schema', method: 'missing_column', feature: k, status: 'fail', message: `join key ${k} is missing from the rows` }));
  }
  if (ctx.dataset?.missingLabel) {
    out.push(result(ctx, { check: 'schema', method: 'missing_column', feature: ctx.dataset.missingLabel, status: 'fail', message: `label ${ctx.dataset.missingLabel} of the service is missing from the rows` }));
  }
  if (!ctx.dataset && !ctx.eventTimestampColumn) out.push(result(ctx, { check: 'schema', method: 'missing_column', feature: 'event_timestamp', status: 'fail', message: 'event_timestamp is missing from the rows' }));
  for (const c of cols) {
    const nulls = ctx.profiles.get(c)?.nulls ?? 0;
    const what = c === ctx.eventTimestampColumn ? 'event timestamp' : 'join key';
    out.push(result(ctx, {
      check: 'schema', method: c === ctx.eventTimestampColumn ? 'null_timestamp' : 'null_key', feature: c,
      status: nulls > 0 ? 'fail' : 'pass', value: nulls,
      message: nulls > 0 ? `${nulls} row(s) with a null ${what} ${c}` : `no null ${what} ${c}`,
    }));
  }
  return out;
}

/** Row conditions of the float list features: an element that is NaN or ±Infinity (counted by the row pass). */
function listNanConditions(present: readonly CheckedFeature[]): Record<string, string> {
  return Object.fromEntries(
    present
      .filter((f) => f.def.type === 'float32[]' || f.def.type === 'float64[]')
      .map((f) => [`nan:${f.column}`, `coalesce(list_bool_or(list_transform(${ident(f.column)}, lambda x: isnan(x) OR isinf(x))), false)`]),
  );
}

/** Rows of each float list feature holding a NaN or ±Infinity element: failures unless the feature sets `allow_nan`. */
async function listNanChecks(ctx: CheckContext, present: readonly CheckedFeature[]): Promise<CheckResult[]> {
  const conds = listNanConditions(present);
  if (Object.keys(conds).length === 0) return [];
  const counts = await countMatching(ctx.conn, ctx.table, conds, ctx.rowPass?.totals);
  return present
    .filter((f) => `nan:${f.column}` in conds)
    .map((f) => {
      const bad = counts[`nan:${f.column}`];
      const allowed = f.def.allow_nan === true;
      return result(ctx, {
        check: 'schema', method: 'nan', feature: f.column, value: bad,
        status: bad > 0 && !allowed ? 'fail' : 'pass',
        metrics: { rows_with_nan_or_inf: bad },
        message: bad === 0 ? `no NaN or Inf in ${f.column}` : `${bad} row(s) of ${f.column} hold NaN or Inf elements${allowed ? ' (allowed: allow_nan)' : ''}`,
      });
    });
}

function nanChecks(ctx: CheckContext, present: readonly CheckedFeature[]): CheckResult[] {
  return present
    .filter((f) => f.def.type === 'float32' || f.def.type === 'float64')
    .map((f) => {
      const p = ctx.profiles.get(f.column);
      const bad = (p?.nan ?? 0) + (p?.inf ?? 0);
      const allowed = f.def.allow_nan === true;
      return result(ctx, {
        check: 'schema', method: 'nan', feature: f.column, value: bad,
        status: bad > 0 && !allowed ? 'fail' : 'pass',
        metrics: { nan: p?.nan ?? 0, inf: p?.inf ?? 0 },
        message: bad === 0 ? `no NaN or Inf in ${f.column}` : `${p?.nan ?? 0} NaN and ${p?.inf ?? 0} Inf value(s) in ${f.column}${allowed ? ' (allowed: allow_nan)' : ''}`,
      });
    });
}

/** The features whose column exists with an accepted type (constraints and NaN checks apply to them). */
function presentFeatures(ctx: Pick<CheckContext, 'columns' | 'features'>): CheckedFeature[] {
  const types = new Map(ctx.columns.map((c) => [c.name, c.type]));
  return ctx.features.filter((f) => types.has(f.column) && typeMatches(f.def.type, types.get(f.column)!, f.quality.schema.lenient_integers));
}

const constraintKey = (p: ConstraintPlan) => `constraint:${p.column}:${p.constraint}`;

/** Violation conditions of every constraint, by key: counted by the stage's row pass. */
export function constraintCounts(ctx: Pick<CheckContext, 'columns' | 'features'>): Record<string, string> {
  const present = presentFeatures(ctx);
  const plans = present.flatMap((f) => constraintPlans(f.column, f.def as FeatureDef));
  return { ...Object.fromEntries(plans.map((p) => [constraintKey(p), p.violationSql])), ...listNanConditions(present) };
}

async function constraintChecks(ctx: CheckContext, present: readonly CheckedFeature[]): Promise<CheckResult[]> {
  const plans = present.flatMap((f) => constraintPlans(f.column, f.def as FeatureDef));
  if (plans.length === 0) return [];
  const violations = await namingPatternErrors(ctx.conn, plans, () => countMatching(ctx.conn, ctx.table, Object.fromEntries(plans.map((p) => [constraintKey(p), p.violationSql])), ctx.rowPass?.totals));
  const out: CheckResult[] = [];
  for (const p of plans) {
    const prof = ctx.profiles.get(p.column);
    const nonNull = (prof?.count ?? 0) - (prof?.nulls ?? 0);
    const broken = violations[constraintKey(p)];
    out.push(evaluateConstraint(ctx, p, { rows: ctx.rowCount, nonNull, values: nonNull - (prof?.nan ?? 0) - (prof?.inf ?? 0), violations: broken }, await constraintSeen(ctx, p, broken)));
  }
  return out;
}
