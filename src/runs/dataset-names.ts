/**
 * One name per dataset in every run's lineage, whatever the run kind and its
 * outcome: a view's online table, a source, a dataset file. Runs record URIs;
 * the OpenLineage export splits them into namespace and name
 * (`openLineageName`), local files in namespace `file` as OpenLineage's naming
 * convention has them (so they join the datasets of other producers).
 *
 * @example
 * onlineViewUri('flights', 'airport_hourly'); // 'featureguard://flights/online/airport_hourly'
 * openLineageName('file:///data/x.parquet');   // { namespace: 'file', name: '/data/x.parquet' }
 */
import { isAbsolute, resolve } from 'node:path';
import type { FeatureViewDef, SourceDef } from '../definitions/types.js';
import type { Registry } from '../registry/types.js';
import type { Run } from './types.js';

/** A local file (or a glob or folder of files), by its absolute path. */
export function fileUri(path: string): string {
  return `file://${path}`;
}

/** The path of a `fileUri` (`file:///data/x.parquet` → `/data/x.parquet`); undefined for any other URI. */
export function fileUriPath(uri: string): string | undefined {
  return uri.startsWith('file://') ? uri.slice('file://'.length) : undefined;
}

/** A feature view's values in the project's online store (whichever store type holds them). */
export function onlineViewUri(project: string, view: string): string {
  return `featureguard://${project}/online/${view}`;
}

/** The rows callers push to a view. */
export function pushedRowsUri(project: string, view: string): string {
  return `featureguard://${project}/push/${view}`;
}

/** A stand-in for the rows a run checked, for runs whose inputs were never recorded (a process killed first). */
export function checkedRowsUri(project: string, subject: string): string {
  return `featureguard://${project}/${subject}`;
}

/** A source as materializations, checks and dataset builds name their input (`fingerprintSource` records the same). */
export function sourceUri(root: string, source: Pick<SourceDef, 'path' | 'database' | 'table' | 'query'>): string {
  if (source.path !== undefined) return fileUri(resolve(root, source.path));
  if (source.database !== undefined) return `duckdb://${resolve(root, source.database)}#${source.table ?? ''}`;
  return `sql:${source.query ?? ''}`;
}

/**
 * OpenLineage namespace and name of a recorded URI: `file:///x.parquet` → `file`, `/x.parquet`;
 * `scheme://authority/path` → `scheme://authority`, `/path`; `scheme:rest` → `scheme`, `rest`. A bare absolute
 * path (as runs recorded before) is a local file.
 */
export function openLineageName(uri: string): { namespace: string; name: string } {
  const path = fileUriPath(uri);
  if (path !== undefined) return { namespace: 'file', name: path || '/' };
  if (isAbsolute(uri)) return { namespace: 'file', name: uri };
  const m = /^([a-z][a-z0-9+.-]*):\/\/([^/]*)(.*)$/i.exec(uri);
  if (m) return { namespace: `${m[1]}://${m[2]}`, name: m[3] || '/' };
  const i = uri.indexOf(':');
  return i > 0 ? { namespace: uri.slice(0, i), name: uri.slice(i + 1) } : { namespace: 'featureguard', name: uri };
}

/**
 * The source a run's view read, named as materializations name it (`sourceUri`): the view and source versions the
 * run recorded (`definition_versions`), else the view's current source; undefined when neither is known. For runs
 * of an earlier version, which named a push's offline output by the file it appended.
 */
export function recordedSourceUri(root: string, registry: Pick<Registry, 'versions' | 'current'>, run: Pick<Run, 'view' | 'lineage'>): string | undefined {
  if (!run.view) return undefined;
  const used = run.lineage?.definition_versions ?? {};
  const at = <T>(kind: 'feature_view' | 'source', name: string): T | undefined => {
    const version = used[`${kind}/${name}`]?.version;
    return (registry.versions(kind, name).find((v) => v.version === version)?.definition ?? undefined) as T | undefined;
  };
  const current = registry.current();
  const view = at<FeatureViewDef>('feature_view', run.view) ?? current.views.get(run.view);
  const source = view && (at<SourceDef>('source', view.source) ?? current.sources.get(view.source));
  return source ? sourceUri(root, source) : undefined;
}
