/**
 * A run as an OpenLineage RunEvent (https://openlineage.io/spec): job
 * `materialize:<view>` (or `dataset:<service>`, ...), inputs with their
 * fingerprints, the output, and facets: `schema` (from the profiles),
 * `dataQualityMetrics` (row count and per-column metrics) and
 * `dataQualityAssertions` (one per check result).
 *
 * @example
 * const event = toOpenLineageRunEvent(run, project.runs.results(run.id), { profiles: project.runs.profiles(run.id) });
 */
import type { CheckResult, Run } from './types.js';

const PRODUCER = 'https://featureguard.dev/producer';
const SCHEMA_URL = 'https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent';
const facetUrl = (name: string) => `https://openlineage.io/spec/facets/1-0-1/${name}.json#/$defs/${name}`;

export interface OpenLineageRunEvent {
  eventType: 'START' | 'RUNNING' | 'COMPLETE' | 'FAIL' | 'ABORT';
  eventTime: string;
  producer: string;
  schemaURL: string;
  run: { runId: string; facets: Record<string, unknown> };
  job: { namespace: string; name: string; facets: Record<string, unknown> };
  inputs: { namespace: string; name: string; facets: Record<string, unknown> }[];
  outputs: { namespace: string; name: string; facets: Record<string, unknown>; outputFacets?: Record<string, unknown> }[];
}

type StoredProfile = { column: string; slice: string | null; profile: unknown };
interface ProfileLike { type?: string; count?: number; nulls?: number; distinct?: number; min?: unknown; max?: unknown; quantiles?: Record<string, number> | null }

function facet(name: string, body: Record<string, unknown>): Record<string, unknown> {
  return { _producer: PRODUCER, _schemaURL: facetUrl(name), ...body };
}

function jobName(run: Run): string {
  if (run.lineage?.job) return run.lineage.job;
  return `${run.kind}:${run.view ?? run.service ?? 'adhoc'}`;
}

/** Namespace and name of a dataset from its URI (`file:///x.parquet` → `file`, `/x.parquet`). */
function splitUri(uri: string): { namespace: string; name: string } {
  const m = /^([a-z][a-z0-9+.-]*):\/\/([^/]*)(.*)$/i.exec(uri);
  if (m) return { namespace: `${m[1]}://${m[2]}`, name: m[3] || '/' };
  const i = uri.indexOf(':');
  return i > 0 ? { namespace: uri.slice(0, i), name: uri.slice(i + 1) } : { namespace: 'featureguard', name: uri };
}

/** Build the RunEvent of a finished (or running) run. */
export function toOpenLineageRunEvent(run: Run, results: readonly CheckResult[], opts: { namespace?: string; profiles?: readonly StoredProfile[] } = {}): OpenLineageRunEvent {
  const namespace = opts.namespace ?? 'featureguard';
  const profiles = (opts.profiles ?? []).filter((p) => !p.slice).map((p) => ({ column: p.column, p: p.profile as ProfileLike }));
  const eventType = run.status === 'running' ? 'RUNNING' : run.status === 'failed' || run.status === 'blocked' ? 'FAIL' : 'COMPLETE';
  const rowCount = profiles[0]?.p.count ?? run.rows_in ?? null;
  const columnMetrics: Record<string, unknown> = {};
  for (const { column, p } of profiles) {
    columnMetrics[column] = {
      nullCount: p.nulls ?? null,
      distinctCount: p.distinct ?? null,
      count: p.count ?? null,
      min: typeof p.min === 'number' ? p.min : undefined,
      max: typeof p.max === 'number' ? p.max : undefined,
      quantiles: p.quantiles ? Object.fromEntries(Object.entries(p.quantiles).map(([k, v]) => [String(Number(k.slice(1)) / 100), v])) : undefined,
    };
  }
  const outputFacets: Record<string, unknown> = {
    dataQualityAssertions: facet('DataQualityAssertionsDatasetFacet', {
      assertions: results
        .filter((r) => r.status !== 'skipped')
        .map((r) => ({ assertion: `${r.check}${r.method ? `.${r.method}` : ''}${r.slice ? `[${r.slice}]` : ''}`, success: r.status === 'pass' || r.status === 'warn', ...(r.feature ? { column: r.feature } : {}) })),
    }),
  };
  if (profiles.length > 0) {
    outputFacets.schema = facet('SchemaDatasetFacet', { fields: profiles.map(({ column, p }) => ({ name: column, type: p.type ?? 'UNKNOWN' })) });
    outputFacets.dataQualityMetrics = facet('DataQualityMetricsInputDatasetFacet', { rowCount, columnMetrics });
  }
  const out = run.lineage?.output ?? { kind: 'online', uri: `featureguard://${namespace}/${run.view ?? run.service ?? run.kind}` };
  const o = splitUri(out.uri);
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
        },
        ...(eventType === 'FAIL' && run.message ? { errorMessage: facet('ErrorMessageRunFacet', { message: run.message, programmingLanguage: 'TypeScript' }) } : {}),
      },
    },
    job: { namespace, name: jobName(run), facets: { jobType: facet('JobTypeJobFacet', { processingType: 'BATCH', integration: 'FEATUREGUARD', jobType: run.kind.toUpperCase() }) } },
    inputs: (run.lineage?.inputs ?? []).map((i) => {
      const u = splitUri(i.uri);
      return { namespace: u.namespace, name: u.name, facets: { featureguardFingerprint: { _producer: PRODUCER, _schemaURL: 'https://featureguard.dev/schemas/fingerprint-facet.json', source: i.name, kind: i.kind, ...i.fingerprint } } };
    }),
    outputs: [{
      namespace: o.namespace, name: o.name, facets: outputFacets,
      ...(run.rows_out !== null ? { outputFacets: { outputStatistics: facet('OutputStatisticsOutputDatasetFacet', { rowCount: run.rows_out }) } } : {}),
    }],
  };
}
