/**
 * A run as an OpenLineage RunEvent (https://openlineage.io/spec, 2-0-2): job
 * `materialize:<view>` (or `dataset:<service>`, `check:<view>`, ...), inputs with
 * their fingerprints, the output, and facets with the schema versions of the spec.
 *
 * The guards check the rows a run reads, so the quality facets go on the
 * *checked input*: `schema` (a dataset facet, from the profiles) in the
 * `facets` of the dataset whose columns they are (see `schemaPlace`); `dataQualityMetrics` (row count and per-column metrics) and
 * `dataQualityAssertions` (one per check result), both input dataset facets in
 * the spec, in `inputs[].inputFacets` (no assertions for a run whose results
 * `runs prune` removed: its `featureguard` run facet says `results_pruned`). The checked input is the view's source
 * for view runs (materialize, push, `check --view`), the entity rows for dataset
 * builds (their output has one row per entity row), the file for `check
 * --dataset`; a run with no recorded inputs gets one dataset standing for the
 * rows it checked (`featureguard://<project>`, `/view/<name>`). Datasets are named
 * as every run names them (`dataset-names.ts`): local files in namespace `file`,
 * a view's online values `featureguard://<project>`, `/online/<view>`.
 *
 * @example
 * const event = toOpenLineageRunEvent(run, project.runs.results(run.id), { profiles: project.runs.profiles(run.id) });
 */
import { isAbsolute } from 'node:path';
import { resultsPruned } from './results-pruned.js';
import { checkedRowsUri, fileUri, onlineViewUri, openLineageName, pushedRowsUri } from './dataset-names.js';
import type { CheckResult, Lineage, LineageInput, Run } from './types.js';

const PRODUCER = 'https://featureguard.dev/producer';
const SCHEMA_URL = 'https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent';

/** The spec's facets used here, with the version of their JSON schema (spec/facets/*.json `$id`). */
const FACET_VERSIONS = {
  NominalTimeRunFacet: '1-0-1',
  ErrorMessageRunFacet: '1-0-1',
  JobTypeJobFacet: '2-0-4',
  SchemaDatasetFacet: '1-2-0',
  DataQualityMetricsInputDatasetFacet: '1-0-3',
  DataQualityAssertionsDatasetFacet: '1-1-0',
  OutputStatisticsOutputDatasetFacet: '1-0-2',
} as const;
type SpecFacet = keyof typeof FACET_VERSIONS;

/** `_schemaURL` of a spec facet: its versioned schema file and definition. */
export function facetSchemaUrl(name: SpecFacet): string {
  return `https://openlineage.io/spec/facets/${FACET_VERSIONS[name]}/${name}.json#/$defs/${name}`;
}

type Facets = Record<string, unknown>;

export interface OpenLineageDataset {
  namespace: string;
  name: string;
  facets: Facets;
}

export interface OpenLineageRunEvent {
  eventType: 'START' | 'RUNNING' | 'COMPLETE' | 'FAIL' | 'ABORT' | 'OTHER';
  eventTime: string;
  producer: string;
  schemaURL: string;
  run: { runId: string; facets: Facets };
  job: { namespace: string; name: string; facets: Facets };
  inputs: (OpenLineageDataset & { inputFacets?: Facets })[];
  outputs: (OpenLineageDataset & { outputFacets?: Facets })[];
}

type StoredProfile = { column: string; slice: string | null; profile: unknown };
interface ProfileLike { type?: string; count?: number; nulls?: number; distinct?: number; min?: unknown; max?: unknown; quantiles?: Record<string, number> | null }

function facet(name: SpecFacet, body: Facets): Facets {
  return { _producer: PRODUCER, _schemaURL: facetSchemaUrl(name), ...body };
}

function jobName(run: Run): string {
  if (run.lineage?.job) return run.lineage.job;
  return `${run.kind}:${run.view ?? run.service ?? 'adhoc'}`;
}

/** The run's recorded inputs, or the dataset file a `check --dataset` run read. */
function recordedInputs(run: Run): LineageInput[] {
  if (run.lineage?.inputs.length) return run.lineage.inputs;
  const file = run.options?.dataset;
  return typeof file === 'string' ? [{ name: 'dataset', kind: 'file', uri: fileUri(file), fingerprint: {} }] : [];
}

/**
 * The run's output as recorded; for a run killed before it recorded one, the dataset its kind writes: a
 * materialization or push the view in the online store, a dataset build the file it was asked for (if any); a
 * check writes nothing.
 */
function recordedOutput(run: Run, project: string): Lineage['output'] {
  if (run.lineage) return run.lineage.output;
  if (run.kind === 'dataset') return typeof run.options?.out === 'string' ? { kind: 'dataset', uri: fileUri(run.options.out) } : null;
  if (run.kind === 'check' || !run.view || (run.kind === 'push' && run.options?.to === 'offline')) return null;
  return { kind: 'online_store', uri: onlineViewUri(project, run.view) };
}

/**
 * Namespace and name of an output: a view's online values under one name, whatever a run recorded before
 * (`sqlite:p/v`, `online://sqlite/v`); a push's offline output recorded before by the bare path of the file it
 * appended, as the source (`sourceOf`) when it is known, as pushes name it now.
 */
function outputName(run: Run, o: { kind: string; uri: string }, project: string, sourceOf?: SourceOf): { namespace: string; name: string } {
  const online = o.kind === 'online' || o.kind === 'online_store';
  const appendedFile = run.kind === 'push' && o.kind === 'file' && isAbsolute(o.uri);
  return openLineageName(online && run.view ? onlineViewUri(project, run.view) : (appendedFile && sourceOf?.(run)) || o.uri);
}

/** The URI of the source a run's view read, as materializations name it (`recordedSourceUri`), if known. */
export type SourceOf = (run: Run) => string | undefined;

/** Indexes of the inputs whose rows the guards checked (see the module header). */
function checkedInputs(run: Run, inputs: readonly LineageInput[]): number[] {
  const idx = inputs.map((_, i) => i);
  const sources = idx.filter((i) => inputs[i].kind !== 'entities');
  const entities = idx.filter((i) => inputs[i].kind === 'entities');
  if (run.view) return sources.length ? sources : idx;
  return entities.length ? entities : idx;
}

function columnMetrics(p: ProfileLike): Facets {
  const m: Facets = {};
  const int = (k: string, v: unknown) => {
    if (typeof v === 'number' && Number.isInteger(v)) m[k] = v;
  };
  int('nullCount', p.nulls);
  int('distinctCount', p.distinct);
  int('count', p.count);
  if (typeof p.min === 'number' && Number.isFinite(p.min)) m.min = p.min;
  if (typeof p.max === 'number' && Number.isFinite(p.max)) m.max = p.max;
  if (p.quantiles) {
    // Stored as p1..p99; the spec keys quantiles by their fraction ('0.01' .. '0.99').
    m.quantiles = Object.fromEntries(Object.entries(p.quantiles).filter(([, v]) => Number.isFinite(v)).map(([k, v]) => [String(Number(k.slice(1)) / 100), v]));
  }
  return m;
}

function assertion(r: CheckResult): Facets {
  return {
    assertion: `${r.check}${r.method ? `.${r.method}` : ''}${r.slice ? `[${r.slice}]` : ''}`,
    // The spec's `success` is "no issues found", independent of severity: a warning is an issue.
    success: r.status === 'pass',
    ...(r.feature ? { column: r.feature } : {}),
    ...(r.policy === 'block' ? { severity: 'error' } : r.policy === 'warn' ? { severity: 'warn' } : {}),
    ...(r.value !== null ? { actual: String(r.value) } : {}),
    ...(r.thresholds ? { expected: JSON.stringify(r.thresholds) } : {}),
  };
}

/** The quality facets of the checked input: `facets` (schema) and `inputFacets` (metrics, assertions). */
function qualityFacets(run: Run, results: readonly CheckResult[], profiles: readonly StoredProfile[], standIn: boolean): { facets: Facets; inputFacets: Facets; outputFacets: Facets } {
  const cols = profiles.filter((p) => !p.slice).map((p) => ({ column: p.column, p: p.profile as ProfileLike }));
  const facets: Facets = {};
  const outputFacets: Facets = {};
  // Results removed by `runs prune`: no assertion list at all, rather than an empty one that reads "no checks ran".
  const inputFacets: Facets = resultsPruned(run, results)
    ? {}
    : { dataQualityAssertions: facet('DataQualityAssertionsDatasetFacet', { assertions: results.filter((r) => r.status !== 'skipped').map(assertion) }) };
  if (cols.length > 0) {
    const fields = cols.map(({ column, p }) => ({ name: column, type: p.type ?? 'UNKNOWN' }));
    // A stand-in for the checked rows (no recorded inputs) is the view's rows: their schema is its own.
    const where = standIn ? 'input' : schemaPlace(run);
    if (where === 'outputs') outputFacets.schema = facet('SchemaDatasetFacet', { fields });
    else if (where === 'input') facets.schema = facet('SchemaDatasetFacet', { fields });
    else facets.featureguardCheckedColumns = { _producer: PRODUCER, _schemaURL: 'https://featureguard.dev/schemas/checked-columns-facet.json', view: run.view, fields };
    const rowCount = cols[0].p.count ?? run.rows_in;
    inputFacets.dataQualityMetrics = facet('DataQualityMetricsInputDatasetFacet', {
      ...(typeof rowCount === 'number' ? { rowCount } : {}),
      columnMetrics: Object.fromEntries(cols.map(({ column, p }) => [column, columnMetrics(p)])),
    });
  }
  return { facets, inputFacets, outputFacets };
}

/**
 * Where the profiled columns are, so that the spec's `schema` facet describes the dataset it is on: a dataset
 * build's outputs (the checked rows are the training set, not its entity rows); the checked input of a push (the
 * rows as pushed) and of `check --dataset` (the file). A view run checks its source's rows through the view
 * (renamed by `field_mapping`, the time columns as `event_timestamp`, `created_timestamp`), which are not the
 * source's columns: they go in the `featureguardCheckedColumns` facet instead.
 */
function schemaPlace(run: Run): 'outputs' | 'input' | 'view' {
  if (run.kind === 'dataset') return 'outputs';
  return run.view && run.kind !== 'push' ? 'view' : 'input';
}

function inputDataset(i: LineageInput, project: string): OpenLineageDataset {
  // Pushed rows recorded before as `push://VIEW`: named as pushes name them now.
  const u = openLineageName(i.kind === 'push' && i.uri.startsWith('push://') ? pushedRowsUri(project, i.uri.slice('push://'.length)) : i.uri);
  return {
    namespace: u.namespace,
    name: u.name,
    facets: { featureguardFingerprint: { _producer: PRODUCER, _schemaURL: 'https://featureguard.dev/schemas/fingerprint-facet.json', source: i.name, kind: i.kind, ...i.fingerprint } },
  };
}

/** Build the RunEvent of a finished (or running) run. */
export function toOpenLineageRunEvent(
  run: Run,
  results: readonly CheckResult[],
  opts: { namespace?: string; project?: string; profiles?: readonly StoredProfile[]; sourceOf?: SourceOf } = {},
): OpenLineageRunEvent {
  const namespace = opts.namespace ?? 'featureguard';
  // The project whose datasets the run names (`dataset-names.ts`); the job's namespace unless that was set apart.
  const project = opts.project ?? namespace;
  const eventType = run.status === 'running' ? 'RUNNING' : run.status === 'queued' ? 'OTHER' : run.status === 'failed' || run.status === 'blocked' ? 'FAIL' : 'COMPLETE';
  const recorded = recordedInputs(run);
  const inputs: OpenLineageRunEvent['inputs'] = recorded.map((i) => inputDataset(i, project));
  const checked = checkedInputs(run, recorded);
  if (checked.length === 0) {
    // No recorded inputs: one dataset stands for the rows the guards checked.
    const subject = run.view ? `view/${run.view}` : run.service ? `service/${run.service}` : run.kind;
    inputs.push({ ...openLineageName(checkedRowsUri(project, subject)), facets: {} });
    checked.push(inputs.length - 1);
  }
  const quality = qualityFacets(run, results, opts.profiles ?? [], recorded.length === 0);
  for (const i of checked) {
    inputs[i] = { ...inputs[i], facets: { ...inputs[i].facets, ...quality.facets }, inputFacets: quality.inputFacets };
  }
  const out = recordedOutput(run, project);
  const rowCount = (rows: number) => ({ outputFacets: { outputStatistics: facet('OutputStatisticsOutputDatasetFacet', { rowCount: rows }) } });
  const outputs: OpenLineageRunEvent['outputs'] = [
    // A split build's train part has its own count (rows_out counts both parts); otherwise the run's rows out.
    ...(out ? [{ ...outputName(run, out, project, opts.sourceOf), facets: { ...quality.outputFacets }, ...('rows' in out && typeof out.rows === 'number' ? rowCount(out.rows) : run.rows_out !== null ? rowCount(run.rows_out) : {}) }] : []),
    ...(run.lineage?.other_outputs ?? []).map((o) => ({ ...outputName(run, o, project, opts.sourceOf), facets: { ...quality.outputFacets }, ...rowCount(o.rows) })),
  ];
  return {
    eventType,
    eventTime: run.finished_at ?? run.started_at,
    producer: PRODUCER,
    schemaURL: SCHEMA_URL,
    run: {
      runId: run.id,
      facets: {
        nominalTime: facet('NominalTimeRunFacet', { nominalStartTime: run.window_start ?? run.started_at, ...(run.window_end ? { nominalEndTime: run.window_end } : {}) }),
        featureguard: {
          _producer: PRODUCER,
          _schemaURL: 'https://featureguard.dev/schemas/openlineage-run-facet.json',
          kind: run.kind, status: run.status, message: run.message, counts: run.counts,
          started_at: run.started_at, finished_at: run.finished_at, rows_in: run.rows_in, rows_out: run.rows_out,
          definition_versions: run.lineage?.definition_versions ?? {}, package_version: run.lineage?.package_version ?? null,
          host: run.lineage?.host ?? null, user: run.lineage?.user ?? null,
          ...(resultsPruned(run, results) ? { results_pruned: true } : {}),
        },
        ...(eventType === 'FAIL' && run.message ? { errorMessage: facet('ErrorMessageRunFacet', { message: run.message, programmingLanguage: 'TypeScript' }) } : {}),
      },
    },
    job: { namespace, name: jobName(run), facets: { jobType: facet('JobTypeJobFacet', { processingType: 'BATCH', integration: 'FEATUREGUARD', jobType: run.kind.toUpperCase() }) } },
    inputs,
    outputs,
  };
}
