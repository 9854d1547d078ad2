/**
 * The lineage a push run records (its inputs, outputs and definition versions), for a push that wrote and for one
 * refused before anything was written alike.
 *
 * @example
 * await project.runs.updateWhenFree(run.id, { status: 'blocked', lineage: lineageOf(project, set, view, rows.length, to, 0) });
 */
import { hostname } from 'node:os';
import type { DefinitionSet, FeatureViewDef } from '../definitions/types.js';
import type { Project } from '../project.js';
import { onlineViewUri, pushedRowsUri, sourceUri } from '../runs/dataset-names.js';
import { currentUser, usedDefinitionVersions } from '../runs/lineage-record.js';
import type { Lineage } from '../runs/types.js';
import { VERSION } from '../version.js';
import type { PushTarget } from './push-types.js';

/**
 * A push's lineage. Its outputs are named as every run names them (`dataset-names.ts`): the view in the online
 * store as a materialization writes it, and, for `to: offline`/`both`, the view's source as a materialization reads
 * it (the appended file is the run's `options.file`). `appended`: the rows the file took (0 when none was written).
 * The definition versions are those of `set`, the definitions the push validated and judged its rows by (read when it
 * began), not whatever an apply landing meanwhile made current.
 */
export function lineageOf(project: Project, set: DefinitionSet, view: FeatureViewDef, rows: number, to: PushTarget, appended: number): Lineage {
  const keys = [`feature_view/${view.name}`, `source/${view.source}`, ...view.entities.map((e) => `entity/${e}`)];
  const definition_versions = usedDefinitionVersions(project.registry, set, keys);
  const source = set.sources.get(view.source);
  const offline = source ? { kind: 'file', uri: sourceUri(project.root, source) } : null;
  const online = { kind: 'online_store', uri: onlineViewUri(project.config.project, view.name) };
  return {
    job: `push:${view.name}`,
    definition_versions,
    inputs: [{ name: `push:${view.name}`, kind: 'push', uri: pushedRowsUri(project.config.project, view.name), fingerprint: { rows } }],
    output: to === 'offline' ? offline : online,
    // `to: both`: the source the rows were appended to as well (the run's rows_out counts the online writes).
    ...(to === 'both' && offline ? { other_outputs: [{ ...offline, rows: appended }] } : {}),
    package_version: VERSION,
    host: hostname(),
    user: currentUser(),
  };
}
