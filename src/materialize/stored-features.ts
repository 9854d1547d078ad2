/**
 * What a materialization stores of a view: each feature, with its type and the source column it is read from
 * (`field_mapping`). A materialized window counts for `--incremental` only if it stored every feature the view has
 * now, read as it is read now (`intervals.ts`): after an apply that adds a feature or reads one from another column,
 * the next incremental run re-reads the ttl window (as after a ttl increase), and a feature removed asks for nothing.
 */
import { sourceColumnName } from '../definitions/source-location.js';
import type { FeatureViewDef, SourceDef } from '../definitions/types.js';

/**
 * One text per feature of `view` (`["name","type","column"]`), as recorded with each materialized window.
 *
 * @example
 * storedFeatures(view, source); // ['["mean_delay","float64","avg_delay"]']
 */
export function storedFeatures(view: FeatureViewDef, source: SourceDef | undefined): string[] {
  return view.features.map((f) => JSON.stringify([f.name, f.type, source ? sourceColumnName(source, f.name) : f.name]));
}
