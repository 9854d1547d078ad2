/**
 * Route handlers of the pages: parse the request, read the quality log and
 * the registry, render. No business logic lives here.
 */
import type { Context } from 'hono';
import { listAlertAttempts } from '../../alerts/attempts.js';
import { listRedeliveries, sendDueRedeliveries } from '../../alerts/redelivery.js';
import { scopeAllows } from '../../auth/keys.js';
import { FeatureguardError, NotFoundError } from '../../errors.js';
import { resolveQuality } from '../../guards/config.js';
import { getBaseline, listBaselines } from '../../guards/baselines.js';
import type { ColumnProfile } from '../../guards/profile-types.js';
import type { Project } from '../../project.js';
import { resolveRunId } from '../../runs/run-id.js';
import type { Run } from '../../runs/types.js';
import { diffFields } from '../../registry/diff.js';
import type { DefinitionKind } from '../../definitions/types.js';
import { driftDistribution, referenceOf } from './drift-data.js';
import { DriftPage, type DriftSection } from './drift-page.js';
import { featureHistory } from './history-data.js';
import { HistoryPage } from './history-page.js';
import type { UiEnv } from './env.js';
import { RegistryPage, type BaselineRow, type VersionWithDiff } from './registry-page.js';
import { RunDetailPage, SORT_COLUMNS, type SortColumn } from './run-detail-page.js';
import { MAX_PAGE, pagingValue, parseRunsQuery, runFilter, RunsPage, RUNS_PAGE_PARAMS, unknownParamNotices } from './runs-page.js';
import { unknownTarget } from './known-target.js';
import { REASON_STATUSES, reasonNeedsResults, runReasonLine } from '../../runs/run-reason.js';

type Ctx = Context<UiEnv>;

export function runsPage(c: Ctx, project: Project): Response | Promise<Response> {
  const q = parseRunsQuery(c.req.query());
  // A filter given twice (`?status=blocked&status=failed`, which GET /v1/runs refuses): the first is used, and said.
  for (const [name, values] of Object.entries(c.req.queries())) {
    if (values.length > 1 && RUNS_PAGE_PARAMS.has(name)) q.notices.push(`'${name}' is given ${values.length} times (${values.map((v) => `'${v}'`).join(', ')}): the first is used`);
  }
  q.notices.push(...unknownParamNotices(c.req.query()));
  for (const kind of ['view', 'service'] as const) {
    const name = q[kind];
    const unknown = name === undefined ? null : unknownTarget(project, kind, name);
    if (unknown) q.notices.push(`${unknown}: no run matches it`);
  }
  const { runs, total } = project.runs.list(runFilter(q));
  // The run page's reason, on one line: a warned run stores no message. Results are read only for runs without one.
  const reasons = new Map(runs.map((r) => [r.id, runReasonLine(r, reasonNeedsResults(r) ? project.runs.results(r.id, REASON_STATUSES) : [], 160)]));
  const set = project.registry.current();
  return c.html(<RunsPage frame={c.get('frame')} q={q} runs={runs} total={total} views={[...set.views.keys()].sort()} services={[...set.services.keys()].sort()} reasons={reasons} />);
}

/**
 * The run a page's `:id` names, resolved as the CLI resolves it (`runs show 349c42c8`): a prefix of 8 characters
 * or more redirects (302) to the same page under the full id, so the address is the run's for good.
 */
function runOrRedirect(c: Ctx, project: Project, rest = ''): Run | Response {
  const given = c.req.param('id') ?? '';
  const id = resolveRunId(project, given);
  if (id === given) return project.runs.get(id);
  return c.redirect(`${c.get('frame').base}/runs/${encodeURIComponent(id)}${rest}${new URL(c.req.url).search}`, 302);
}

export function runDetailPage(c: Ctx, project: Project): Response | Promise<Response> {
  const run = runOrRedirect(c, project);
  if (run instanceof Response) return run;
  const results = project.runs.results(run.id);
  const sortRaw = c.req.query('sort');
  const sort: SortColumn = (SORT_COLUMNS as readonly string[]).includes(sortRaw ?? '') ? (sortRaw as SortColumn) : 'status';
  const dir = c.req.query('dir') === 'desc' ? 'desc' : 'asc';
  const attempts = listAlertAttempts(project, run.id);
  return c.html(
    <RunDetailPage frame={c.get('frame')} run={run} results={results} sort={sort} dir={dir} alertAttempts={attempts} redeliveries={listRedeliveries(project, run.id)} canRedeliver={mayRedeliver(c)} />,
  );
}

/**
 * Whether this visitor may redeliver alerts (the button shows, its post is served): the pages are open (no key
 * required, so no identity), or the key has write scope. A visitor without a read key never gets this far.
 */
function mayRedeliver(c: Ctx): boolean {
  const who = c.get('identity');
  return who === null || scopeAllows(who.scope, 'write');
}

/**
 * The run page's "Redeliver now" button: tries the run's waiting redeliveries once each (`alerts redeliver --all
 * --run ID`), then shows the run again. Needs the write scope when keys are required, as the API does.
 */
export async function redeliverFromPage(c: Ctx, project: Project): Promise<Response> {
  const run = project.runs.get(resolveRunId(project, c.req.param('id') ?? ''));
  if (!mayRedeliver(c)) {
    throw new FeatureguardError('forbidden', "redelivering alerts needs a key with write scope: log in with one (this one has read scope)", { status: 403, exitCode: 2 });
  }
  await sendDueRedeliveries(project, { all: true, runId: run.id });
  return c.redirect(`${c.get('frame').base}/runs/${encodeURIComponent(run.id)}#alerts`, 303);
}

type Stored = { column: string; slice: string | null; profile: unknown };

/** The profile of `column` for an (optional) slice; stored slices are `col=value`, results may name either form. */
function profileFor(stored: readonly Stored[], column: string, slice: string | null): ColumnProfile | undefined {
  const hit = stored.find((p) => p.column === column && (slice === null ? p.slice === null : p.slice === slice || (p.slice ?? '').endsWith(`=${slice}`)));
  return hit?.profile as ColumnProfile | undefined;
}

export function driftPage(c: Ctx, project: Project): Response | Promise<Response> {
  const feature = c.req.param('feature') ?? '';
  const run = runOrRedirect(c, project, `/drift/${encodeURIComponent(feature)}`);
  if (run instanceof Response) return run;
  const results = project.runs.results(run.id).filter((r) => r.check === 'drift' && r.feature === feature);
  const current = results.length ? (project.runs.profiles(run.id) as Stored[]) : [];
  const refCache = new Map<string, Stored[]>();
  const referenceProfiles = (key: string, load: () => Stored[]) => {
    if (!refCache.has(key)) {
      try {
        refCache.set(key, load());
      } catch {
        refCache.set(key, []);
      }
    }
    return refCache.get(key) ?? [];
  };
  let reference: { label: string; runId: string | null } = { label: 'the reference', runId: null };
  const sections: DriftSection[] = results
    .sort((a, b) => (a.slice === null ? -1 : b.slice === null ? 1 : a.slice.localeCompare(b.slice)))
    .map((result) => {
      const ref = referenceOf(result);
      if (!result.slice) reference = { label: ref.label, runId: ref.runId };
      const refStored = ref.baseline
        ? referenceProfiles(`b:${ref.baseline}`, () => getBaseline(project, ref.baseline as string)?.profiles ?? [])
        : ref.runId
          ? referenceProfiles(`r:${ref.runId}`, () => project.runs.profiles(ref.runId as string) as Stored[])
          : [];
      const distribution = driftDistribution(result, profileFor(current, feature, result.slice), profileFor(refStored, feature, result.slice));
      return { result, distribution };
    });
  return c.html(<DriftPage frame={c.get('frame')} run={run} feature={feature} reference={reference} sections={sections} />, results.length ? 200 : 404);
}

export function historyPage(c: Ctx, project: Project): Response | Promise<Response> {
  const view = c.req.param('view') ?? '';
  const feature = c.req.param('feature') ?? '';
  // A view nothing names can never have runs: a 404 with the nearest name, not "No runs of this view yet".
  const unknown = unknownTarget(project, 'view', view);
  if (unknown) throw new NotFoundError(unknown, { view });
  // Read as the runs page reads its limit: `1e2`, `100000` or `-5` is left out with a notice, not reinterpreted.
  const notices: string[] = [];
  const limit = pagingValue(c.req.query('limit'), { min: 1, max: MAX_PAGE, dflt: 50, what: 'a number of runs', fallback: 'the last 50 shown' }, notices);
  const set = project.registry.current();
  const v = set.views.get(view);
  const def = v?.features.find((f) => f.name === feature) ?? null;
  const quality = resolveQuality(project.config.quality, v?.quality, def?.quality);
  const points = featureHistory(project, view, feature, limit);
  return c.html(<HistoryPage frame={c.get('frame')} view={view} feature={feature} def={def} quality={quality} points={points} limit={limit} notices={notices} />);
}

export function registryPage(c: Ctx, project: Project): Response | Promise<Response> {
  const set = project.registry.current();
  const versions = new Map<string, VersionWithDiff[]>();
  const add = (kind: DefinitionKind, name: string) => {
    const list = [...project.registry.versions(kind, name)].sort((a, b) => a.version - b.version);
    versions.set(
      `${kind}/${name}`,
      list.map((record, i) => ({ record, changes: i === 0 ? [] : diffFields(list[i - 1].definition, record.definition) })),
    );
  };
  for (const n of set.entities.keys()) add('entity', n);
  for (const n of set.sources.keys()) add('source', n);
  for (const n of set.views.keys()) add('feature_view', n);
  for (const n of set.services.keys()) add('feature_service', n);
  const removed = [...project.registry.removedVersions().values()];
  for (const r of removed) add(r.kind, r.name);
  const baselines: BaselineRow[] = listBaselines(project);
  return c.html(<RegistryPage frame={c.get('frame')} set={set} versions={versions} removed={removed} baselines={baselines} />);
}
