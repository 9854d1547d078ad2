/**
 * `/ui/features/:view/:feature`: the feature's drift metric and null rate
 * across the view's last runs, as line charts with the thresholds drawn, and
 * the same numbers as a table.
 */
import { raw } from 'hono/html';
import { lineChart, type ThresholdLine } from '../../charts/index.js';
import type { FeatureDef } from '../../definitions/types.js';
import type { ResolvedQuality } from '../../guards/config.js';
import { StatusBadge } from './components.js';
import { formatCount, formatNumber, formatTime, query } from './format.js';
import type { HistoryPoint, LeftOutReason } from './history-data.js';
import type { RunKind } from '../../runs/types.js';
import { Layout, type PageFrame } from './layout.js';

export function HistoryPage(props: { frame: PageFrame; view: string; feature: string; def: FeatureDef | null; quality: ResolvedQuality; points: readonly HistoryPoint[]; limit: number; kind?: RunKind | null; leftOut?: ReadonlyMap<LeftOutReason, number>; notices?: readonly string[] }) {
  const { frame, view, feature, points, quality } = props;
  const kind = props.kind ?? null;
  const leftOut = leftOutText(props.leftOut ?? new Map(), feature);
  const histPath = `${frame.base}/features/${encodeURIComponent(view)}/${encodeURIComponent(feature)}`;
  const runHref = (p: HistoryPoint) => `${frame.base}/runs/${encodeURIComponent(p.run.id)}/drift/${encodeURIComponent(feature)}`;
  const at = (p: HistoryPoint) => Date.parse(p.run.started_at);
  const psi = points.map((p) => ({ x: at(p), y: numberOrNull(p.drift?.metrics?.psi), href: p.drift ? runHref(p) : undefined }));
  // The newest run whose drift check measured something: a later skipped one (too few rows) has no method.
  const latest = [...points].reverse().find((p) => p.drift?.method) ?? [...points].reverse().find((p) => p.drift);
  const method = latest?.drift?.method ?? null;
  const decisionIsPsi = method === null || method === 'psi';
  const psiThresholds: ThresholdLine[] = [
    { label: 'warn', value: quality.drift.psi_warn, kind: 'warn' },
    { label: 'fail', value: quality.drift.psi_fail, kind: 'fail' },
  ];
  // Only the thresholds of the decision metric itself (its drift line, or warn/fail), not the PSI ones stored beside it.
  const decisionThresholds: ThresholdLine[] = Object.entries(latest?.drift?.thresholds ?? {})
    .filter(([k, v]) => typeof v === 'number' && (k === method || k === 'warn' || k === 'fail' || k === 'distance' || k === 'p_value'))
    .map(([k, v]) => ({ label: k === method ? 'drift' : k, value: v, kind: k.includes('warn') ? 'warn' : 'fail' }));
  const nullThresholds: ThresholdLine[] = [];
  if (props.def?.max_null_ratio !== undefined) nullThresholds.push({ label: 'max_null_ratio', value: props.def.max_null_ratio, kind: 'fail' });
  const hasDrift = points.some((p) => p.drift);
  return (
    <Layout frame={frame} title={`History of ${feature}`} section="features">
      <p>
        <a href={`${frame.base}/runs?view=${encodeURIComponent(view)}`}>← runs of {view}</a>
      </p>
      <h1>
        History of <code>{feature}</code> in {view}
      </h1>
      {(props.notices ?? []).map((n) => (
        <p class="error-box" role="alert">
          {n}
        </p>
      ))}
      {points.length ? (
        <p class="muted">
          The last {runCount(points.length, kind)} of {view}
          {kind ? '' : ` with values for ${feature} (materializations, dataset builds, checks, and pushes that measured its drift)`} (at most {props.limit}), oldest
          left. Points link to the run’s drift view.
          {props.def ? ` Type ${props.def.type}.` : ' (The feature is not in the current registry.)'}
        </p>
      ) : (
        <p>{kind ? `No ${kind} runs of ${view} yet.` : leftOut ? `No runs of ${view} with values for ${feature} yet.` : `No runs of ${view} yet.`}</p>
      )}
      {leftOut ? (
        <p class="muted" id="left-out">
          {leftOut}: <a href={`${histPath}${query({ kind: 'push', limit: props.limit === 50 ? undefined : props.limit })}`}>list the pushes</a>.
        </p>
      ) : null}
      {kind ? (
        <p class="muted">
          Only {kind} runs (<code>?kind={kind}</code>): <a href={`${histPath}${query({ limit: props.limit === 50 ? undefined : props.limit })}`}>the runs with values for {feature}</a>.
        </p>
      ) : null}
      {points.length ? (
        <div class="grid2">
          <section aria-labelledby="h-psi">
            <h2 id="h-psi">PSI against the reference</h2>
            <div class="chart-wrap">
              {raw(lineChart({ id: 'hist-psi', title: `PSI of ${feature} per run`, xLabel: 'run start (UTC)', yLabel: 'PSI', xType: 'time', yMin: 0, series: [{ label: 'PSI', points: psi }], thresholds: psiThresholds }))}
            </div>
            {!hasDrift ? <p class="muted">No drift results yet (a first run has no reference).</p> : null}
          </section>
          {!decisionIsPsi ? (
            <section aria-labelledby="h-dec">
              <h2 id="h-dec">Decision metric: {method}</h2>
              <div class="chart-wrap">
                {raw(
                  lineChart({
                    id: 'hist-decision',
                    title: `${method} of ${feature} per run`,
                    xLabel: 'run start (UTC)',
                    yLabel: method ?? 'value',
                    xType: 'time',
                    yMin: 0,
                    series: [{ label: method ?? 'value', points: points.map((p) => ({ x: at(p), y: p.drift?.method === method ? numberOrNull(p.drift?.value) : null, href: p.drift ? runHref(p) : undefined })) }],
                    thresholds: decisionThresholds,
                  }),
                )}
              </div>
            </section>
          ) : null}
          <section aria-labelledby="h-null">
            <h2 id="h-null">Null rate</h2>
            <div class="chart-wrap">
              {raw(lineChart({ id: 'hist-null', title: `Null rate of ${feature} per run`, xLabel: 'run start (UTC)', yLabel: 'null rate (share of rows)', xType: 'time', yMin: 0, series: [{ label: 'null rate', points: points.map((p) => ({ x: at(p), y: p.nullRate })) }], thresholds: nullThresholds }))}
            </div>
          </section>
        </div>
      ) : null}
      {points.length ? (
        <>
          <h2>Runs</h2>
          <table class="history">
            <thead>
              <tr>
                <th scope="col">Started (UTC)</th>
                <th scope="col">Verdict</th>
                <th scope="col">Drift</th>
                <th scope="col">Method</th>
                <th scope="col" class="num">Value</th>
                <th scope="col" class="num">PSI</th>
                <th scope="col" class="num">Null rate</th>
                <th scope="col" class="num">Rows</th>
              </tr>
            </thead>
            <tbody>
              {[...points].reverse().map((p) => (
                <tr>
                  <td class="mono time">
                    <a href={`${frame.base}/runs/${encodeURIComponent(p.run.id)}`}>{formatTime(p.run.started_at)}</a>
                  </td>
                  <td class="status">
                    <StatusBadge status={p.run.status} />
                  </td>
                  <td>{p.drift ? <a href={runHref(p)}><StatusBadge status={p.drift.status} /></a> : <span class="muted">—</span>}</td>
                  <td class="method">{p.drift?.method ?? '—'}</td>
                  <td class="num mono">{formatNumber(p.drift?.value ?? null)}</td>
                  <td class="num mono">{formatNumber(numberOrNull(p.drift?.metrics?.psi))}</td>
                  <td class="num mono">{p.nullRate === null ? '—' : `${formatNumber(p.nullRate * 100)}%`}</td>
                  <td class="num">{p.rows === null ? '—' : p.rows.toLocaleString('en-US')}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      ) : null}
    </Layout>
  );
}

/** Why a push wrote values without a drift value for the feature, after its count. */
const WRITTEN_REASONS: readonly [LeftOutReason, string][] = [
  ['min_rows', 'with too few values to compare, under drift.min_rows'],
  ['no_reference', 'with no drift reference yet'],
  ['not_measured', 'whose drift was not measured'],
];

/** What a push that wrote nothing is called, counted: `1 blocked push`, `2 pushes not finished`. */
const UNWRITTEN: readonly [LeftOutReason, (n: number) => string][] = [
  ['blocked', (n) => `${formatCount(n)} blocked ${pushes(n)}`],
  ['failed', (n) => `${formatCount(n)} failed ${pushes(n)}`],
  ['running', (n) => `${formatCount(n)} ${pushes(n)} still running`],
  ['queued', (n) => `${formatCount(n)} queued ${pushes(n)}`],
];

const pushes = (n: number) => (n === 1 ? 'push' : 'pushes');

/**
 * The pushes the history left out, by why: those that wrote values without a drift value for the feature (too few
 * values, no reference yet, not measured), then those that wrote nothing (blocked, failed, unfinished), never counted
 * as values. '' when none was left out.
 */
function leftOutText(leftOut: ReadonlyMap<LeftOutReason, number>, feature: string): string {
  const sentences: string[] = [];
  const why = WRITTEN_REASONS.filter(([r]) => (leftOut.get(r) ?? 0) > 0).map(([r, words]) => `${formatCount(leftOut.get(r)!)} ${words}`);
  const written = WRITTEN_REASONS.reduce((n, [r]) => n + (leftOut.get(r) ?? 0), 0);
  if (written > 0) sentences.push(`${formatCount(written)} ${pushes(written)} without a drift value for ${feature} ${written === 1 ? 'is' : 'are'} left out (${why.join('; ')})`);
  const unwritten = UNWRITTEN.filter(([r]) => (leftOut.get(r) ?? 0) > 0);
  const nothing = unwritten.reduce((n, [r]) => n + leftOut.get(r)!, 0);
  if (nothing > 0) {
    const list = unwritten.map(([r, words]) => words(leftOut.get(r)!));
    const named = list.length > 1 ? `${list.slice(0, -1).join(', ')} and ${list.at(-1)}` : list[0];
    sentences.push(`${named} ${nothing === 1 ? 'is' : 'are'} left out${written > 0 ? ' too' : ''} (nothing written)`);
  }
  return sentences.join('. ');
}

/** `1 run`, `3 push runs`. */
function runCount(n: number, kind: RunKind | null): string {
  return `${formatCount(n)} ${kind ? `${kind} ` : ''}run${n === 1 ? '' : 's'}`;
}

function numberOrNull(v: unknown): number | null {
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}
