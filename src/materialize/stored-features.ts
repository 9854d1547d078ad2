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
import { sourceColumnName, sourceFormat } from '../definitions/source-location.js';
import type { FeatureViewDef, SourceDef } from '../definitions/types.js';

/**
 * What decides which rows a source gives its views: its name, where it reads (path and format, database and table,
 * or query) and the columns of its event and created times. Not its description or tags, nor the columns of the
 * features (recorded per feature) or of the join keys and event times (changing those is breaking: the windows are
 * dropped).
 */
export interface SourceIdentity {
  readonly name: string;
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
  return {
    name: source.name,
    path: source.path,
    format: source.path === undefined ? undefined : sourceFormat(source),
    database: source.database,
    table: source.table,
    query: source.query,
    timestamp_column: sourceColumnName(source, source.timestamp_field),
    created_column: created === undefined ? undefined : sourceColumnName(source, created),
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
 * One text per feature of `view` (`["name","type","column"]`), and one for its source (`{"source":{…}}`,
 * `sourceIdentity`), as recorded with each materialized window.
 *
 * @example
 * storedFeatures(view, source); // ['["mean_delay","float64","avg_delay"]', '{"source":{"name":"flights","path":"data/flights.parquet",…}}']
 */
export function storedFeatures(view: FeatureViewDef, source: SourceDef | undefined): string[] {
  const features = view.features.map((f) => JSON.stringify([f.name, f.type, source ? sourceColumnName(source, f.name) : f.name]));
  return source ? [...features, JSON.stringify({ source: sourceIdentity(source) })] : features;
}
