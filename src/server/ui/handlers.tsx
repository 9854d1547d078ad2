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
import { driftSettingsOf, getBaseline, listBaselines } from '../../guards/baselines.js';
import type { ColumnProfile } from '../../guards/profile-types.js';
import type { Project } from '../../project.js';
import { resolveRunId } from '../../runs/run-id.js';
import { keptValues } from '../../runs/run-facts.js';
import { RUN_KINDS, type CheckResult, type Run } from '../../runs/types.js';
import { diffFields } from '../../registry/diff.js';
import type { DefinitionKind } from '../../definitions/types.js';
import { driftDistribution, referenceOf } from './drift-data.js';
import { DriftPage, type DriftSection } from './drift-page.js';
import { featureHistory, featureHistoryLeftOut } from './history-data.js';
import { HistoryPage } from './history-page.js';
import type { UiEnv } from './env.js';
import { RegistryPage, type BaselineRow, type VersionWithDiff } from './registry-page.js';
import { RunDetailPage, SORT_COLUMNS, type SortColumn } from './run-detail-page.js';
import { MAX_PAGE, oneOf, pagingValue, parseRunsQuery, repeatedParamNotices, runFilter, RunsPage, RUNS_PAGE_PARAMS, unknownParamNotices } from './runs-page.js';
import { unknownFeature, unknownTarget } from './known-target.js';
import { didYouMean } from '../../definitions/suggest.js';
import { REASON_STATUSES, reasonNeedsResults, runReasonLine } from '../../runs/run-reason.js';

type Ctx = Context<UiEnv>;

export function runsPage(c: Ctx, project: Project): Response | Promise<Response> {
  const q = parseRunsQuery(c.req.query());
  // A filter given twice (`?status=blocked&status=failed`, which GET /v1/runs refuses): the first is used, and said.
  q.notices.push(...repeatedParamNotices(c.req.queries(), RUNS_PAGE_PARAMS));
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
    <RunDetailPage
      frame={c.get('frame')}
      run={run}
      results={results}
      sort={sort}
      dir={dir}
      alertAttempts={attempts}
      redeliveries={listRedeliveries(project, run.id)}
      canRedeliver={mayRedeliver(c)}
      kept={run.kind === 'materialize' && run.status === 'blocked' ? keptValues(project.runs, run) : null}
    />,
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
  // What the run's drift was compared with: this feature's overall result's reference, else (no result for it: a
  // 404) that of the run's other features, which share it; none when nothing was compared. A skipped result (too
  // few values) may name the reference it would have taken: "compared with" it was not.
  const named = (r: CheckResult) => {
    if (r.status === 'skipped') return null;
    const ref = referenceOf(r);
    return ref.runId || ref.baseline || r.status !== 'error' ? { label: ref.label, runId: ref.runId } : null;
  };
  const allDrift = results.length ? [] : project.runs.results(run.id).filter((r) => r.check === 'drift' && r.feature);
  let reference: { label: string; runId: string | null } | null = null;
  for (const r of allDrift) if (!r.slice) reference ??= named(r);
  const sections: DriftSection[] = results
    .sort((a, b) => (a.slice === null ? -1 : b.slice === null ? 1 : a.slice.localeCompare(b.slice)))
    .map((result) => {
      const ref = referenceOf(result);
      if (!result.slice) reference = named(result);
      const refStored = ref.baseline
        ? referenceProfiles(`b:${ref.baseline}`, () => getBaseline(project, ref.baseline as string)?.profiles ?? [])
        : ref.runId
          ? referenceProfiles(`r:${ref.runId}`, () => project.runs.profiles(ref.runId as string) as Stored[])
          : [];
      const distribution = driftDistribution(result, profileFor(current, feature, result.slice), profileFor(refStored, feature, result.slice));
      return { result, distribution };
    });
  // No result for the feature: the nearest feature the run has drift results for, and a history link only for a feature the view has.
  const suggestion = results.length ? '' : didYouMean(feature, new Set(allDrift.map((r) => r.feature as string)));
  const history = run.view !== null && (results.length > 0 || unknownFeature(project, run.view, feature) === null);
  return c.html(
    <DriftPage frame={c.get('frame')} run={run} feature={feature} reference={reference} sections={sections} suggestion={suggestion} history={history} />,
    results.length ? 200 : 404,
  );
}

/** The query parameters of the history page. */
const HISTORY_PARAMS = ['kind', 'limit'] as const;

export function historyPage(c: Ctx, project: Project): Response | Promise<Response> {
  const view = c.req.param('view') ?? '';
  const feature = c.req.param('feature') ?? '';
  // A view nothing names can never have runs: a 404 with the nearest name, not "No runs of this view yet".
  const unknown = unknownTarget(project, 'view', view);
  if (unknown) throw new NotFoundError(unknown, { view });
  // So is a feature of it that nothing names: a misspelt one gave a 200 page of dashes.
  const unknownName = unknownFeature(project, view, feature);
  if (unknownName) throw new NotFoundError(unknownName, { view, feature });
  // Read as the runs page reads its limit and kind: `1e2`, `100000`, `-5` or `?kind=pushes` is left out with a notice, not reinterpreted.
  const notices: string[] = [];
  // A parameter given twice (`?kind=push&kind=materialize`): the first is used, and said, as on /ui/runs.
  notices.push(...repeatedParamNotices(c.req.queries(), HISTORY_PARAMS));
  const limit = pagingValue(c.req.query('limit'), { min: 1, max: MAX_PAGE, dflt: 50, what: 'a number of runs', fallback: 'the last 50 shown' }, notices);
  const kind = oneOf(c.req.query('kind'), RUN_KINDS, 'kind', notices);
  for (const name of Object.keys(c.req.query())) {
    if ((HISTORY_PARAMS as readonly string[]).includes(name)) continue;
    const shown = name.length > 60 ? `${name.slice(0, 59)}…` : name;
    notices.push(`'${shown}' is not a parameter of this page (${HISTORY_PARAMS.join(', ')})${didYouMean(name, HISTORY_PARAMS)}: left out`);
  }
  const set = project.registry.current();
  const v = set.views.get(view);
  const def = v?.features.find((f) => f.name === feature) ?? null;
  const quality = resolveQuality(project.config.quality, v?.quality, def?.quality);
  const points = featureHistory(project, view, feature, limit, kind);
  const leftOut = kind ? new Map() : featureHistoryLeftOut(project, view, feature);
  return c.html(<HistoryPage frame={c.get('frame')} view={view} feature={feature} def={def} quality={quality} points={points} limit={limit} kind={kind ?? null} leftOut={leftOut} notices={notices} />);
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
  // What drift is measured against with no baseline: the project's setting, then each view or service that sets its own.
  const projectDrift = resolveQuality(project.config.quality).drift;
  const references = [{ target: null as string | null, setting: projectDrift.reference, minRows: projectDrift.min_rows }];
  for (const [kind, names] of [['view', set.views.keys()], ['service', set.services.keys()]] as const) {
    for (const name of names) {
      const d = driftSettingsOf(project, kind === 'view' ? { view: name } : { service: name });
      if (d.reference !== projectDrift.reference || d.min_rows !== projectDrift.min_rows) references.push({ target: `${kind} ${name}`, setting: d.reference, minRows: d.min_rows });
    }
  }
  return c.html(<RegistryPage frame={c.get('frame')} set={set} versions={versions} removed={removed} baselines={baselines} references={references} />);
}
