/**
 * `/ui/runs`: the quality log as a table with filters (view or service, kind,
 * status, time range: a plain GET form) and paging. One `COUNT(*)` and one
 * `LIMIT/OFFSET` query per page, so 10,000 runs cost the same as 50.
 */
import { didYouMean } from '../../definitions/suggest.js';
import { parseInstant } from '../../time/instant.js';
import { readQueryInstant } from '../../time/query-instant.js';
import { RUN_KINDS, RUN_STATUSES, type Run, type RunFilter, type RunKind, type RunStatus } from '../../runs/types.js';
import { Pager, StatusBadge } from './components.js';
import { formatCount, formatTime, formatWindow, query } from './format.js';
import { Layout, type PageFrame } from './layout.js';

export const MAX_PAGE = 500;

/** The filter form's values, as typed (strings), after validation. */
export interface RunsQuery {
  view?: string;
  service?: string;
  kind?: RunKind;
  status?: RunStatus;
  /** The instant in UTC as the datetime-local control shows it: `YYYY-MM-DDTHH:mm`, then `:ss` and `.SSS` when not 0. */
  since?: string;
  until?: string;
  limit: number;
  offset: number;
  /** Why a value of the URL was left out (a verdict or kind that is none, a time that names no instant), or matches nothing. */
  notices: string[];
}

/**
 * A paging value read as `GET /v1/runs` reads it (digits only, in range); one the API would refuse is left out with
 * a notice (`?limit=-5` showed one run per page, read as the smallest size, without a word). The history page's
 * `?limit=` is read the same way.
 */
export function pagingValue(raw: string | undefined, p: { min: number; max: number; dflt: number; what: string; fallback: string }, notices: string[]): number {
  if (raw === undefined || raw === '') return p.dflt;
  const n = /^[0-9]{1,16}$/.test(raw) ? Number(raw) : Number.NaN;
  if (Number.isSafeInteger(n) && n >= p.min && n <= p.max) return n;
  const range = p.max === Number.MAX_SAFE_INTEGER ? `from ${p.min}` : `from ${p.min} to ${p.max}`;
  notices.push(`'${raw}' is not ${p.what} (a whole number ${range}): ${p.fallback}`);
  return p.dflt;
}

/** What a check status means as a run verdict: people filter on the word the checks table prints. */
const CHECK_WORDS: Readonly<Record<string, string>> = {
  pass: "a run whose checks all passed is 'success'",
  warn: "a run with warnings is 'warned'",
  fail: "a run whose blocking check failed is 'blocked'",
};

/**
 * A kind or verdict read as `GET /v1/runs` reads it (one of the list, exactly; empty is "any"). One the API would
 * refuse is left out with a notice, not dropped without a word: `?status=fail` listed every run as if unfiltered.
 */
export function oneOf<T extends string>(raw: string | undefined, allowed: readonly T[], what: string, notices: string[]): T | undefined {
  if (raw === undefined || raw === '') return undefined;
  if ((allowed as readonly string[]).includes(raw)) return raw as T;
  const hint = what === 'verdict' && CHECK_WORDS[raw] ? `: that is a check status; ${CHECK_WORDS[raw]}` : didYouMean(raw, allowed);
  notices.push(`'${raw}' is not a run ${what} (${allowed.join(', ')})${hint}: left out of the filters`);
  return undefined;
}

/**
 * A time filter read as `GET /v1/runs` reads it (`readQueryInstant`: an offset's '+' sent unencoded is a '+'; a date alone is its midnight, a zone or a fraction
 * is taken; the pages print times as `…Z`, so people paste that), written back as the datetime-local field shows
 * it, in UTC. A value that names no instant is left out with a notice, not dropped without a word. The fields have
 * `step="any"`: under the default step of a minute, a value with seconds is invalid and a browser that checks the
 * step (as the HTML standard says) would refuse to submit the form.
 */
function timeFilter(raw: string | undefined, label: string, notices: string[]): string | undefined {
  if (raw === undefined || raw.trim() === '') return undefined;
  try {
    const iso = readQueryInstant(raw, label).toISOString();
    return iso.endsWith(':00.000Z') ? iso.slice(0, 16) : iso.endsWith('.000Z') ? iso.slice(0, 19) : iso.slice(0, 23);
  } catch (e) {
    notices.push(`${(e as Error).message} (left out of the filters)`);
    return undefined;
  }
}

/** The query parameters `parseRunsQuery` reads (the record makes the compiler keep it in step with `RunsQuery`). */
const PARAMS: Record<Exclude<keyof RunsQuery, 'notices'>, true> = { view: true, service: true, kind: true, status: true, since: true, until: true, limit: true, offset: true };
export const RUNS_PAGE_PARAMS: ReadonlySet<string> = new Set(Object.keys(PARAMS));

/** Why a parameter that is none of the page's may have been given: the form's label for it, or the API's paging. */
const PARAM_HINTS: Readonly<Record<string, (value: string) => string>> = {
  verdict: (v) => `: the verdict filter is 'status'${v ? ` (?status=${v.length > 40 ? `${v.slice(0, 39)}…` : v})` : ''}`,
  cursor: () => ": the pages page by 'offset'",
  sort: () => ': the runs are listed newest first',
  dir: () => ': the runs are listed newest first',
};

/**
 * A notice for each query parameter the page does not read (`GET /v1/runs` refuses them with a 400): `?verdict=blocked`,
 * the form's word for `status`, listed every run without a word. `first` is each name's first value.
 */
export function unknownParamNotices(first: Readonly<Record<string, string>>): string[] {
  const known = [...RUNS_PAGE_PARAMS];
  return Object.entries(first)
    .filter(([name]) => !RUNS_PAGE_PARAMS.has(name))
    .map(([name, value]) => {
      const shown = name.length > 60 ? `${name.slice(0, 59)}…` : name;
      const hint = PARAM_HINTS[name]?.(value) ?? didYouMean(name, known);
      return `'${shown}' is not a filter of this page (${known.join(', ')})${hint}: left out of the filters`;
    });
}

/**
 * A notice for each parameter of `params` given more than once (`?status=blocked&status=failed`, which GET /v1/runs
 * refuses): the page uses the first, and says so. `all` is each name's values (`c.req.queries()`).
 */
export function repeatedParamNotices(all: Readonly<Record<string, readonly string[]>>, params: Iterable<string>): string[] {
  const read = new Set(params);
  return Object.entries(all)
    .filter(([name, values]) => values.length > 1 && read.has(name))
    .map(([name, values]) => `'${name}' is given ${values.length} times (${values.map((v) => `'${v}'`).join(', ')}): the first is used`);
}

/** Parse the page's query string leniently: a bad value is left out with a notice, not an error page. */
export function parseRunsQuery(q: Record<string, string | undefined>): RunsQuery {
  const notices: string[] = [];
  return {
    // As GET /v1/runs: any name filters (one that names nothing known gets a notice from the handler).
    view: q.view || undefined,
    service: q.service || undefined,
    kind: oneOf(q.kind, RUN_KINDS, 'kind', notices),
    status: oneOf(q.status, RUN_STATUSES, 'verdict', notices),
    since: timeFilter(q.since, "'Started from'", notices),
    until: timeFilter(q.until, "'Started before'", notices),
    limit: pagingValue(q.limit, { min: 1, max: MAX_PAGE, dflt: 50, what: 'a page size', fallback: '50 per page shown' }, notices),
    offset: pagingValue(q.offset, { min: 0, max: Number.MAX_SAFE_INTEGER, dflt: 0, what: 'an offset', fallback: 'the list starts at the newest run' }, notices),
    notices,
  };
}

const toIso = (local: string | undefined): string | undefined => (local ? parseInstant(local, 'time').toISOString() : undefined);

/** The run-store filter of a page query (times are UTC). */
export function runFilter(q: RunsQuery): RunFilter {
  return { view: q.view, service: q.service, kind: q.kind, status: q.status, since: toIso(q.since), until: toIso(q.until), limit: q.limit, offset: q.offset };
}

/** The options of a filter, with the current value kept (a view removed since, a limit typed into the URL). */
function withCurrent<T>(options: readonly T[], current: T | undefined): T[] {
  return current === undefined || options.includes(current) ? [...options] : [...options, current];
}

/**
 * `reasons`: each listed run's reason on one line (`runReasonLine`: a warned run's worst check, `(and N more)`),
 * by run id; a run without one shows the first line of its message.
 */
export function RunsPage(props: { frame: PageFrame; q: RunsQuery; runs: readonly Run[]; total: number; views: readonly string[]; services: readonly string[]; reasons?: ReadonlyMap<string, string> }) {
  const { frame, q } = props;
  const base = frame.base;
  const params = { view: q.view, service: q.service, kind: q.kind, status: q.status, since: q.since, until: q.until };
  const filtered = Object.values(params).some((v) => v !== undefined) || q.notices.length > 0;
  return (
    <Layout frame={frame} title="Runs" section="runs">
      <h1>Runs</h1>
      <p class="muted">Every materialization, dataset build, push, check and compaction, newest first, with the verdict of its guards.</p>
      {q.notices.map((n) => (
        <p class="error-box" role="alert">
          {n}
        </p>
      ))}
      <form class="filters" method="get" action={`${base}/runs`} role="search" aria-label="filter runs">
        <label for="f-view">
          View
          <select id="f-view" name="view">
            <option value="">any</option>
            {withCurrent(props.views, q.view).map((v) => (
              <option value={v} selected={q.view === v}>
                {v}
              </option>
            ))}
          </select>
        </label>
        {props.services.length || q.service ? (
          <label for="f-service">
            Service
            <select id="f-service" name="service">
              <option value="">any</option>
              {withCurrent(props.services, q.service).map((v) => (
                <option value={v} selected={q.service === v}>
                  {v}
                </option>
              ))}
            </select>
          </label>
        ) : null}
        <label for="f-kind">
          Kind
          <select id="f-kind" name="kind">
            <option value="">any</option>
            {RUN_KINDS.map((k) => (
              <option value={k} selected={q.kind === k}>
                {k}
              </option>
            ))}
          </select>
        </label>
        <label for="f-status">
          Verdict
          <select id="f-status" name="status">
            <option value="">any</option>
            {RUN_STATUSES.map((s) => (
              <option value={s} selected={q.status === s}>
                {s}
              </option>
            ))}
          </select>
        </label>
        <label for="f-since">
          Started from (UTC)
          <input id="f-since" name="since" type="datetime-local" step="any" value={q.since ?? ''} />
        </label>
        <label for="f-until">
          Started before (UTC)
          <input id="f-until" name="until" type="datetime-local" step="any" value={q.until ?? ''} />
        </label>
        <label for="f-limit">
          Per page
          <select id="f-limit" name="limit">
            {withCurrent([25, 50, 100, 200], q.limit).sort((a, b) => a - b).map((n) => (
              <option value={String(n)} selected={q.limit === n}>
                {n}
              </option>
            ))}
          </select>
        </label>
        <button class="primary" type="submit">
          Apply filters
        </button>
        {filtered ? <a href={`${base}/runs`}>Clear</a> : null}
      </form>
      <Pager base={`${base}/runs`} params={params} limit={q.limit} offset={q.offset} total={props.total} empty={filtered ? 'no runs match' : 'no runs yet'} />
      <table class="runs">
        <caption class="skip">Runs, newest first</caption>
        <thead>
          <tr>
            <th scope="col">Started (UTC)</th>
            <th scope="col">Kind</th>
            <th scope="col">View or service</th>
            <th scope="col">Window</th>
            <th scope="col">Verdict</th>
            <th scope="col" class="num" title="Failed checks. Under a warn policy a failing check warns the run: a warned run's fails say (warn policy).">
              Fail
            </th>
            <th scope="col" class="num">Warn</th>
            <th scope="col" class="num">Rows</th>
            <th scope="col">Why</th>
          </tr>
        </thead>
        <tbody>
          {props.runs.length === 0 ? (
            <tr>
              <td colspan={9} class="muted">
                {props.total > 0 ? (
                  'No runs on this page: the list ends before it.'
                ) : filtered ? (
                  'No runs match these filters.'
                ) : (
                  <>
                    No runs yet: a run is recorded by <code>featureguard materialize</code>, <code>featureguard dataset build</code>, <code>featureguard push</code> or{' '}
                    <code>featureguard check</code>.
                  </>
                )}
              </td>
            </tr>
          ) : (
            props.runs.map((r) => (
              <tr data-run-id={r.id} data-status={r.status}>
                <td class="mono time">
                  {/* A queued run's time is when it was queued, as `runs show` prints it. */}
                  {r.status === 'queued' ? 'Queued ' : null}
                  <a href={`${base}/runs/${encodeURIComponent(r.id)}`}>{formatTime(r.started_at)}</a>
                </td>
                <td class="kind">{r.kind}</td>
                <td>
                  {r.view ? <a href={`${base}/runs${query({ view: r.view })}`}>{r.view}</a> : null}
                  {r.service ? (
                    <>
                      {r.view ? ' · ' : ''}
                      <a href={`${base}/runs${query({ service: r.service })}`}>{r.service}</a>
                    </>
                  ) : null}
                  {!r.view && !r.service ? '—' : null}
                </td>
                <td class="mono">{formatWindow(r.window_start, r.window_end)}</td>
                <td class="status">
                  <StatusBadge status={r.status} />
                </td>
                <td class="num">
                  {formatCount(r.counts?.fail ?? 0)}
                  {/* A warned (or successful) run's fails are all under a warn policy: one under a block policy blocks. */}
                  {(r.counts?.fail ?? 0) > 0 && (r.status === 'warned' || r.status === 'success') ? <span class="muted"> (warn policy)</span> : null}
                </td>
                <td class="num">{formatCount(r.counts?.warn ?? 0)}</td>
                <td class="num">{r.status === 'failed' && !r.rows_in && !r.rows_out ? '—' : formatCount(r.rows_in)}</td>
                <td class="why">{props.reasons?.get(r.id) ?? (r.message ? firstLine(r.message) : '')}</td>
              </tr>
            ))
          )}
        </tbody>
      </table>
      <Pager base={`${base}/runs`} params={params} limit={q.limit} offset={q.offset} total={props.total} empty={filtered ? 'no runs match' : 'no runs yet'} />
    </Layout>
  );
}

/** The first line of a message, cut at 160 characters. */
export function firstLine(s: string): string {
  const line = s.split('\n', 1)[0];
  return line.length > 160 ? `${line.slice(0, 159)}…` : line;
}
