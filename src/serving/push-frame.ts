/**
 * What a Feast frame (a push or write in Feast's body: `ignoreUnknownColumns`) must hold for a view, as Feast's
 * `FeatureStore.write_to_online_store` reads it: every feature column of the view (`df[feature_column_names]`
 * raises a KeyError for a missing one, and nothing is written; its offline write refuses columns that differ
 * from the source's), and, to be written online, one feature value that is not null (a frame whose feature
 * values are all null, `feature_df.isnull().all().all()`, is skipped with a warning).
 *
 * Without this a Feast frame that left out a nullable feature stored it as null, over the value the store held:
 * with unknown columns left out, a misspelt feature column would be dropped and the real one nulled, silently.
 *
 * @example
 * refuseMissingFeatureColumns(set, [view], rows); // 400 missing_feature_columns
 * rowsMissingFeatures(set, view, [{ origin: 'SEA' }]); // [['dep_delay', 'flights']]
 * if (featureValuesAllNull(set, view, rows)) return skipped;
 */
import type { DefinitionSet, FeatureViewDef } from '../definitions/types.js';
import { InputError } from '../errors.js';
import { pushRenames } from './push-schema.js';

/** Why an all-null frame wrote nothing online (Feast: "Cannot write dataframe with empty feature columns to online store"). */
export const ALL_NULL_FEATURES = "every feature value is null in every row: nothing was written online, as Feast's write_to_online_store skips such a frame";

/** Feature name -> the columns that carry it in a pushed row: its own name, and source columns `field_mapping` renames to it. */
function featureColumns(set: DefinitionSet, view: FeatureViewDef): Map<string, string[]> {
  const out = new Map(view.features.map((f) => [f.name, [f.name]]));
  for (const [from, to] of pushRenames(set.sources.get(view.source))) out.get(to)?.push(from);
  return out;
}

const has = (row: object, key: string): boolean => Object.prototype.hasOwnProperty.call(row, key);

/** The view's features that some row carries under none of their columns, sorted. */
export function missingFeatureColumns(set: DefinitionSet, view: FeatureViewDef, rows: readonly object[]): string[] {
  const missing = new Set<string>();
  for (const [feature, columns] of featureColumns(set, view)) {
    if (rows.some((row) => row !== null && typeof row === 'object' && !columns.some((c) => has(row, c)))) missing.add(feature);
  }
  return [...missing].sort();
}

/**
 * For each row, the view's features it carries under none of their columns, in the view's order (none for a row
 * that is no object): a refusal's problems, once `missingFeatureColumns` found some (every row's checked here).
 */
export function rowsMissingFeatures(set: DefinitionSet, view: FeatureViewDef, rows: readonly object[]): string[][] {
  const columns = [...featureColumns(set, view)];
  return rows.map((row) => (row !== null && typeof row === 'object' ? columns.filter(([, cs]) => !cs.some((c) => has(row, c))).map(([f]) => f) : []));
}

/** A view whose features some pushed rows leave out, and those features. */
export interface LackingView {
  readonly view: string;
  readonly missing: readonly string[];
}

/** The views of `views` that some row leaves a feature column of out, each with those features (sorted). */
export function lackingViews(set: DefinitionSet, views: readonly FeatureViewDef[], rows: readonly object[]): LackingView[] {
  return views.map((view) => ({ view: view.name, missing: missingFeatureColumns(set, view, rows) })).filter((v) => v.missing.length > 0);
}

/** The message of a refusal of rows that leave out feature columns of `lacking` (of one view, a run's message). */
export function missingColumnsMessage(lacking: readonly LackingView[]): string {
  const said = lacking.map((v) => `view '${v.view}': ${v.missing.map((m) => `'${m}'`).join(', ')}`).join('; ');
  return `the pushed frame lacks feature columns (${said}): a Feast frame carries every feature of the view, as Feast's write_to_online_store reads them (a missing one is a KeyError there); send a column of nulls for a feature without values; nothing was written`;
}

/**
 * Refuse rows that leave out a feature column of any of `views` (400 `missing_feature_columns`, each view with its
 * missing columns in `details.views`), before anything is written. A push records the refusal first
 * (`refuseMissingColumnsRecorded` in `push-refusal.ts`).
 */
export function refuseMissingFeatureColumns(set: DefinitionSet, views: readonly FeatureViewDef[], rows: readonly object[]): void {
  const lacking = lackingViews(set, views, rows);
  if (lacking.length > 0) throw missingColumnsError(lacking);
}

/** The 400 `missing_feature_columns` of `lacking` (its entries are the error's `details.views`, as given). */
export function missingColumnsError(lacking: readonly LackingView[]): InputError {
  return new InputError(missingColumnsMessage(lacking), { views: lacking }, 'missing_feature_columns');
}

/** A missing value as pandas' `isnull` sees one: null, absent, or NaN. */
const isNull = (v: unknown): boolean => v === null || v === undefined || (typeof v === 'number' && Number.isNaN(v));

/** Whether every feature value of every row is null (false for a view without features, which Feast does not check). */
export function featureValuesAllNull(set: DefinitionSet, view: FeatureViewDef, rows: readonly object[]): boolean {
  const columns = [...featureColumns(set, view).values()].flat();
  if (columns.length === 0) return false;
  return rows.every((row) => row !== null && typeof row === 'object' && columns.every((c) => !has(row, c) || isNull((row as Record<string, unknown>)[c])));
}
