/**
 * `/ui/runs/:id`: why the run was blocked or failed (whole), every check result
 * (sortable on the server with `?sort=&dir=`, and in place by the inline
 * script), links to the drift view of each feature, lineage and alert attempts.
 */
import type { Child } from 'hono/jsx';
import { describeRunTrigger } from '../../runs/trigger.js';
import type { AlertAttempt } from '../../alerts/attempts-types.js';
import type { Redelivery } from '../../alerts/redelivery.js';
import { CHECK_SEVERITY, runReason } from '../../runs/run-reason.js';
import { blockedNextStep, pushFacts, type KeptValues } from '../../runs/run-facts.js';
import type { CheckResult, Run } from '../../runs/types.js';
import { CheckDetails } from './check-details.js';
import { Facts, StatusBadge } from './components.js';
import { formatCount, formatDuration, formatNumber, formatThresholds, formatTime, formatWindow, query } from './format.js';
import { Layout, type PageFrame } from './layout.js';
import { Lineage } from './run-lineage.js';
import { SORT_SCRIPT } from './sort-script.js';

export const SORT_COLUMNS = ['check', 'feature', 'slice', 'status', 'method', 'value'] as const;
export type SortColumn = (typeof SORT_COLUMNS)[number];

const SEVERITY: Readonly<Record<string, number>> = CHECK_SEVERITY;

/** Sort key of a result cell (status sorts by severity, worst first). */
function sortKey(r: CheckResult, col: SortColumn): string | number {
  switch (col) {
    case 'status':
      return SEVERITY[r.status] ?? 5;
    case 'value':
      return r.value ?? Number.NEGATIVE_INFINITY;
    default:
      return r[col] ?? '';
  }
}

/** Results sorted by a column (stable; ties keep the check order). Default: worst status first. */
export function sortResults(results: readonly CheckResult[], col: SortColumn = 'status', dir: 'asc' | 'desc' = 'asc'): CheckResult[] {
  const sign = dir === 'asc' ? 1 : -1;
  return results
    .map((r, i) => ({ r, i }))
    .sort((a, b) => {
      const ka = sortKey(a.r, col);
      const kb = sortKey(b.r, col);
      const c = typeof ka === 'number' && typeof kb === 'number' ? ka - kb : String(ka).localeCompare(String(kb));
      return c !== 0 ? c * sign : a.i - b.i;
    })
    .map((x) => x.r);
}

export interface RunDetailProps {
  frame: PageFrame;
  run: Run;
  results: readonly CheckResult[];
  sort: SortColumn;
  dir: 'asc' | 'desc';
  alertAttempts: readonly AlertAttempt[];
  /** Deliveries that failed and wait to be sent again. */
  redeliveries?: readonly Redelivery[];
  /** Whether this visitor may press "Redeliver now" (keys not required, or a key with write scope). */
  canRedeliver?: boolean;
  /** For a blocked materialization: what the online store kept, and the last run that wrote it (`keptValues`). */
  kept?: KeptValues | null;
}

/** The page's verdict: why the run ended as it did (`runReason`, the same words the runs list and `runs list` give). */
export function Verdict(props: { run: Run; reason: string | null; more?: number }) {
  const { run, reason, more = 0 } = props;
  if (run.status === 'blocked' || run.status === 'failed') {
    return (
      <p class="reason" id="reason" role="status">
        <strong>{run.status === 'blocked' ? 'Blocked: ' : 'Failed: '}</strong>
        <span class="why">{reason ?? 'no reason recorded'}</span>
      </p>
    );
  }
  if (run.status === 'warned') {
    return (
      <p class="reason warned" id="reason" role="status">
        <strong>Done with warnings: </strong>
        <span class="why">{reason}</span>
        {more > 0 ? <span class="muted"> (and {more} more: see the checks)</span> : null}
      </p>
    );
  }
  if (run.status === 'success') {
    return (
      <p class="reason ok" id="reason" role="status">
        <strong>Passed: </strong>every check passed or was skipped.
      </p>
    );
  }
  return (
    <p class="reason" id="reason" role="status">
      <strong>{run.status === 'queued' ? 'Queued' : 'Running'}</strong>
      {run.status === 'queued' ? ': waiting for the earlier views of its materialization' : ''}
    </p>
  );
}

/** The checks, sorted as asked; each row keeps its stored index (`data-i`), which breaks ties here and in the script. */
function ResultsTable(props: { frame: PageFrame; run: Run; results: readonly CheckResult[]; sort: SortColumn; dir: 'asc' | 'desc' }) {
  const { frame, run } = props;
  const stored = new Map(props.results.map((r, i) => [r, i]));
  const sorted = sortResults(props.results, props.sort, props.dir);
  const runPath = `${frame.base}/runs/${encodeURIComponent(run.id)}`;
  const head = (col: SortColumn | null, label: string, cls?: string) => {
    if (!col) return <th scope="col" class={cls}>{label}</th>;
    const active = props.sort === col;
    const nextDir = active && props.dir === 'asc' ? 'desc' : 'asc';
    return (
      <th scope="col" class={cls} data-col={col} aria-sort={active ? (props.dir === 'asc' ? 'ascending' : 'descending') : undefined}>
        <a class="sort" href={`${runPath}${query({ sort: col, dir: nextDir })}#checks`}>
          {label}
          {active ? (props.dir === 'asc' ? ' ▲' : ' ▼') : ''}
        </a>
      </th>
    );
  };
  const driftHref = (r: CheckResult) =>
    r.feature ? `${runPath}/drift/${encodeURIComponent(r.feature)}${r.slice ? `#slice-${encodeURIComponent(r.slice)}` : ''}` : null;
  return (
    <table class="sortable checks" id="checks-table">
      <thead>
        <tr>
          {head('check', 'Check')}
          {head('feature', 'Feature / column')}
          {head('slice', 'Slice')}
          {head('status', 'Status')}
          {head('method', 'Method')}
          {head('value', 'Value', 'num')}
          {head(null, 'Thresholds')}
          {head(null, 'Message')}
        </tr>
      </thead>
      <tbody>
        {sorted.map((r) => (
          <tr data-check={r.check} data-status={r.status} data-i={String(stored.get(r))}>
            <td data-v={r.check}>
              {r.check}
              {r.policy ? <span class="muted"> ({r.policy})</span> : null}
            </td>
            <td data-v={r.feature ?? ''}>
              {r.feature && r.check === 'drift' ? <a href={driftHref(r) ?? '#'}>{r.feature}</a> : (r.feature ?? '—')}
            </td>
            <td class="slice" data-v={r.slice ?? ''}>{r.slice ?? '—'}</td>
            <td class="status" data-v={String(SEVERITY[r.status] ?? 5)}>
              <StatusBadge status={r.status} />
            </td>
            <td class="method" data-v={r.method ?? ''}>{r.method ?? '—'}</td>
            <td class="num mono" data-v={r.value === null ? '-Infinity' : String(r.value)}>
              {formatNumber(r.value)}
            </td>
            <td class="mono">{formatThresholds(r.thresholds)}</td>
            <td class="msg">
              {r.message}
              {r.metrics && Object.keys(r.metrics).length ? (
                <details>
                  <summary>metrics</summary>
                  <span class="mono">
                    {Object.entries(r.metrics)
                      .map(([k, v]) => `${k} ${formatNumber(v)}`)
                      .join(' · ')}
                  </span>
                </details>
              ) : null}
              <CheckDetails details={r.details} metrics={r.metrics} runId={props.run.id} />
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** Webhook deliveries of the run's alerts, one row per attempt. */
function AlertAttempts(props: { attempts: readonly AlertAttempt[] }) {
  return (
    <table class="alerts">
      <thead>
        <tr>
          <th scope="col">Alert</th>
          <th scope="col">URL</th>
          <th scope="col" class="num">Attempt</th>
          <th scope="col">Result</th>
          <th scope="col">At (UTC)</th>
          <th scope="col" class="num">Duration</th>
        </tr>
      </thead>
      <tbody>
        {props.attempts.map((a) => (
          <tr>
            <th scope="row">{a.alert}</th>
            <td class="mono uri">{a.url}</td>
            <td class="num">{a.attempt}</td>
            <td class="msg">
              <StatusBadge status={a.ok ? 'pass' : a.attempt === 0 ? 'skipped' : 'fail'} /> {attemptResult(a)}
            </td>
            <td class="mono time">{formatTime(a.at)}</td>
            <td class="num">{formatNumber(a.duration_ms)} ms</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export function RunDetailPage(props: RunDetailProps) {
  const { frame, run } = props;
  const { reason, more } = runReason(run, props.results);
  const runPath = `${frame.base}/runs/${encodeURIComponent(run.id)}`;
  const driftFeatures = [...new Set(props.results.filter((r) => r.check === 'drift' && r.feature).map((r) => r.feature as string))];
  const c = run.counts;
  // `runs prune` kept this run's summary row (its tamper checksums are still compared) and removed the rest.
  const pruned = props.results.length === 0 && c.pass + c.warn + c.fail + c.error + c.skipped > 0;
  const subject = run.view ?? run.service ?? '';
  const queued = run.status === 'queued';
  const push = pushFacts(run);
  const facts: [string, Child][] = [
    ['Run id', <code>{run.id}</code>],
    ['Kind', run.kind],
    ['View', run.view ? <a href={`${frame.base}/runs${query({ view: run.view })}`}>{run.view}</a> : '—'],
    ['Service', run.service ?? '—'],
    ['Window', <span class="mono">{formatWindow(run.window_start, run.window_end)}</span>],
    // A queued run has not started: its time is when it was queued (as `runs show` prints it), and it has no duration yet.
    [queued ? 'Queued' : 'Started', <span class="mono">{formatTime(run.started_at)}</span>],
    ['Started by', run.trigger ? describeRunTrigger(run.trigger) : '—'],
    ...(queued ? [] : [['Duration', formatDuration(run.started_at, run.finished_at)] as [string, Child]]),
    // A run that failed before reading anything read no rows: `0 / 0` would say its source was empty.
    ['Rows in / out', run.status === 'failed' && !run.rows_in && !run.rows_out ? '— / —' : `${formatCount(run.rows_in)} / ${formatCount(run.rows_out)}`],
    ...(push === null ? [] : [['Push', push] as [string, Child]]),
    ['Checks', `${failCount(run, props.results)} · ${run.counts.error} error · ${run.counts.warn} warn · ${run.counts.pass} pass · ${run.counts.skipped} skipped`],
  ];
  const next = blockedNextStep(run, props.kept ?? null);
  return (
    <Layout frame={frame} title={`Run ${run.id.slice(0, 8)} ${subject}`} section="runs" script={SORT_SCRIPT}>
      <p>
        <a href={`${frame.base}/runs`}>← all runs</a>
      </p>
      <h1>
        {run.kind} {subject} <StatusBadge status={run.status} />
      </h1>
      <Verdict run={run} reason={reason} more={more} />
      {next ? (
        <p class="next-step" id="next-step">
          <strong>What now: </strong>
          {next.written[0].toUpperCase() + next.written.slice(1)}. After fixing the source, re-run the window: <code>{next.command}</code>
        </p>
      ) : null}
      <Facts items={facts} />
      {driftFeatures.length ? (
        <>
          <h2 id="drift">Drift per feature</h2>
          <ul class="drift-links">
            {driftFeatures.map((f) => {
              const worst = sortResults(props.results.filter((r) => r.check === 'drift' && r.feature === f))[0];
              return (
                <li>
                  <a href={`${runPath}/drift/${encodeURIComponent(f)}`}>{f}</a> <StatusBadge status={worst.status} />{' '}
                  <span class="muted">
                    {worst.method ?? ''} {formatNumber(worst.value)}
                  </span>
                  {run.view ? (
                    <>
                      {' · '}
                      <a href={`${frame.base}/features/${encodeURIComponent(run.view)}/${encodeURIComponent(f)}`}>history</a>
                    </>
                  ) : null}
                </li>
              );
            })}
          </ul>
        </>
      ) : null}
      <h2 id="checks">Checks ({props.results.length})</h2>
      {props.results.length ? (
        <ResultsTable frame={frame} run={run} results={props.results} sort={props.sort} dir={props.dir} />
      ) : (
        <p class="muted">{pruned ? "Check results and profiles pruned: `runs prune` kept this run's summary and tamper checksums." : 'No check results recorded.'}</p>
      )}
      <h2 id="lineage">Lineage</h2>
      <Lineage frame={frame} run={run} />
      <h2 id="alerts">Alert attempts</h2>
      {props.alertAttempts.length === 0 ? (
        <p class="muted">{pruned ? 'Alert attempts, if any, were pruned with the check results.' : 'No alerts were sent for this run.'}</p>
      ) : (
        <AlertAttempts attempts={props.alertAttempts} />
      )}
      {(props.redeliveries ?? []).map((r) => (
        <p class="redelivery">
          <strong>{r.alert}</strong>: redelivery {r.round} due <span class="mono time">{formatTime(r.next_at)}</span>
          {/* The server reads featureguard.yaml once, at start; `runs show` reads it each time and says "this featureguard.yaml". */}
          {r.until ? <>, tried until <span class="mono time">{formatTime(r.until)}</span></> : ', not redelivered by the configuration this server loaded at start (restart it to pick up a changed featureguard.yaml)'}
        </p>
      ))}
      {props.canRedeliver && (props.redeliveries ?? []).some((r) => r.until !== null) ? (
        <form method="post" action={`${frame.base}/runs/${encodeURIComponent(run.id)}/redeliver`}>
          <button type="submit">Redeliver now</button>
        </form>
      ) : null}
    </Layout>
  );
}

/**
 * The run's failed checks, with those under a warn policy named: a warned run's fails all are (a fail under a block
 * policy blocks), and `4 fail · 0 warn` on a warned run read as a contradiction. The CLI says it as well: `runs show`
 * prints `checks: 33 passed, 0 warned, 4 failed (warn policy), …` and `runs list` `33/0/4 (warn policy)/0`.
 */
export function failCount(run: Run, results: readonly CheckResult[]): string {
  const n = run.counts.fail;
  if (n === 0) return '0 fail';
  const underWarn = results.length ? results.filter((r) => r.status === 'fail' && r.policy === 'warn').length : run.status === 'warned' || run.status === 'success' ? n : 0;
  if (underWarn >= n) return `${formatCount(n)} fail (warn policy)`;
  return underWarn > 0 ? `${formatCount(n)} fail (${formatCount(underWarn)} under warn policy)` : `${formatCount(n)} fail`;
}

/** An attempt's result in words: its HTTP status and what went wrong, the status once (errors often start with it). */
function attemptResult(a: AlertAttempt): string {
  const http = a.status_code === null ? '' : `HTTP ${a.status_code}`;
  if (!a.error) return http;
  return http && !a.error.startsWith(http) ? `${http} ${a.error}` : a.error;
}
