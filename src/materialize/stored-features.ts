/**
 * What a materialization stores of a view: each feature, with its type and the source column it is read from
 * (`field_mapping`), and where its source reads rows from (`sourceIdentity`). A materialized window counts for
 * `--incremental` only if it stored every feature the view has now, read as it is read now, from the rows its source
 * gives now (`intervals.ts`): after an apply that adds a feature, reads one from another column, points the source
 * at another file or table (or moves the view to another source), the next incremental run re-reads the ttl window
 * (as after a ttl increase), and a feature removed asks for nothing. Windows recorded before the source was kept
 * (earlier versions) hold no source entry: they count whatever the source is now, until an apply changes the source
 * (`forgetStoredFeatures`).
 */
import { normalize } from 'node:path';
import { sourceColumnName, sourceFormat } from '../definitions/source-location.js';
import type { FeatureViewDef, SourceDef } from '../definitions/types.js';

/**
 * What decides which rows a source gives its views: where it reads (path and format, database and table, or query)
 * and the columns of its event and created times. Not its name (a source renamed, or a view moved to another source
 * reading the same file, gives the same rows), its description or tags, nor the columns of the features (recorded
 * per feature) or of the join keys and event times (changing those is breaking: the windows are dropped). The path
 * as the loader resolves it: `./data/x.parquet` is `data/x.parquet`.
 */
export interface SourceIdentity {
  readonly path?: string;
  readonly format?: string;
  readonly database?: string;
  readonly table?: string;
  readonly query?: string;
  readonly timestamp_column: string;
  readonly created_column?: string;
}

/** The identity of `source` (`SourceIdentity`): `format` as inferred from the path when left out. */
export function sourceIdentity(source: SourceDef): SourceIdentity {
  const created = source.created_timestamp_field;
  return identity({
    path: source.path,
    format: source.path === undefined ? undefined : sourceFormat(source),
    database: source.database,
    table: source.table,
    query: source.query,
    timestamp_column: sourceColumnName(source, source.timestamp_field),
    created_column: created === undefined ? undefined : sourceColumnName(source, created),
  });
}

/** `fields` in `SourceIdentity`'s order, the path normalised (one text per identity). */
function identity(fields: SourceIdentity): SourceIdentity {
  return {
    path: fields.path === undefined ? undefined : normalize(fields.path),
    format: fields.format,
    database: fields.database,
    table: fields.table,
    query: fields.query,
    timestamp_column: fields.timestamp_column,
    created_column: fields.created_column,
  };
}

/** The fields of `SourceIdentity` that differ between two sources (empty: a view reads the same rows from either). */
export function sourceIdentityChanges(before: SourceDef, after: SourceDef): (keyof SourceIdentity)[] {
  const [a, b] = [sourceIdentity(before), sourceIdentity(after)];
  return (Object.keys({ ...a, ...b }) as (keyof SourceIdentity)[]).filter((k) => a[k] !== b[k]);
}

/** Whether an entry of a window's stored features is its source (`{"source":…}`), not a feature (`["name",…]`). */
export const isSourceEntry = (entry: string): boolean => entry.startsWith('{');

/**
 * An entry of a window's stored features as it compares with `storedFeatures`' now: a source entry recorded with the
 * source's name, or its path as written (by the version of 2026-12-03), as one without the name, its path normalised.
 */
export function comparableEntry(entry: string): string {
  if (!isSourceEntry(entry)) return entry;
  const { source } = JSON.parse(entry) as { source: SourceIdentity };
  return JSON.stringify({ source: identity(source) });
}

/**
 * One text per feature of `view` (`["name","type","column"]`), and one for its source (`{"source":{…}}`,
 * `sourceIdentity`), as recorded with each materialized window.
 *
 * @example
 * storedFeatures(view, source); // ['["mean_delay","float64","avg_delay"]', '{"source":{"path":"data/flights.parquet","format":"parquet",…}}']
 */
export function storedFeatures(view: FeatureViewDef, source: SourceDef | undefined): string[] {
  const features = view.features.map((f) => JSON.stringify([f.name, f.type, source ? sourceColumnName(source, f.name) : f.name]));
  return source ? [...features, JSON.stringify({ source: sourceIdentity(source) })] : features;
}
