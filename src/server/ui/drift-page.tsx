/**
 * `/ui/runs/:id/drift/:feature`: the reference and current distributions of a
 * feature overlaid as an SVG histogram, the drift metrics (PSI, KS, normed
 * Wasserstein, Jensen–Shannon, L∞, null-rate change), overall and per slice.
 */
import { raw } from 'hono/html';
import { categoryBars, histogramOverlay } from '../../charts/index.js';
import type { CheckResult, Run } from '../../runs/types.js';
import { StatusBadge } from './components.js';
import type { DriftDistribution } from './drift-data.js';
import { formatNumber, formatThresholds, formatTime } from './format.js';
import { Layout, type PageFrame } from './layout.js';

/** Metrics in the order people expect them, with readable names. */
export const METRIC_LABELS: readonly [string, string][] = [
  ['psi', 'PSI (population stability index)'],
  ['ks_statistic', 'KS statistic'],
  ['ks_pvalue', 'KS p-value'],
  ['wasserstein_normed', 'Wasserstein distance (normed by reference std)'],
  ['wasserstein', 'Wasserstein distance'],
  ['js_distance', 'Jensen–Shannon distance'],
  ['chi2_pvalue', 'chi-square p-value'],
  ['z_pvalue', 'z-test p-value'],
  ['l_inf', 'L∞ of category shares'],
  ['null_rate_change', 'null-rate change'],
  ['mean_ref', 'mean (reference)'],
  ['mean_cur', 'mean (current)'],
];

export interface DriftSection {
  readonly result: CheckResult;
  readonly distribution: DriftDistribution | null;
}

function MetricsTable(props: { result: CheckResult }) {
  const m = props.result.metrics ?? {};
  const known = new Set(METRIC_LABELS.map(([k]) => k));
  const rows: [string, string, number | null][] = [
    ...METRIC_LABELS.filter(([k]) => k in m).map(([k, label]): [string, string, number | null] => [k, label, m[k] ?? null]),
    ...Object.keys(m)
      .filter((k) => !known.has(k))
      .map((k): [string, string, number | null] => [k, k, m[k] ?? null]),
  ];
  return (
    <table class="metrics">
      <thead>
        <tr>
          <th scope="col">Metric</th>
          <th scope="col" class="num">Value</th>
        </tr>
      </thead>
      <tbody>
        {rows.map(([k, label, v]) => (
          <tr data-metric={k}>
            <th scope="row">{label}</th>
            <td class="num mono time">{formatNumber(v, 4)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function Chart(props: { id: string; title: string; feature: string; d: DriftDistribution | null }) {
  const { d } = props;
  if (!d) return <p class="muted">No histograms are stored for this result (the profiles of the run or its reference are missing).</p>;
  const series = [
    { label: 'reference', counts: d.reference },
    { label: 'current', counts: d.current },
  ];
  const svg =
    d.kind === 'numeric' && d.edges
      ? histogramOverlay({ id: props.id, title: props.title, edges: d.edges, range: d.range, xScale: 'bins', series, xLabel: props.feature, width: 720, height: 320 })
      : categoryBars({ id: props.id, title: props.title, categories: d.categories ?? [], series, xLabel: props.feature, width: 720, height: 320 });
  return (
    <figure>
      <div class="chart-wrap">{raw(svg)}</div>
      <figcaption class="muted">{d.note}</figcaption>
      <details>
        <summary>Data table</summary>
        <BinsTable d={d} />
      </details>
    </figure>
  );
}

function BinsTable(props: { d: DriftDistribution }) {
  const { d } = props;
  const sum = (a: readonly number[]) => a.reduce((x, y) => x + (Number.isFinite(y) ? y : 0), 0) || 1;
  const rt = sum(d.reference);
  const ct = sum(d.current);
  const label = (i: number) => {
    if (d.categories) return d.categories[i];
    const e = d.edges ?? [];
    const lo = e[i] === null || e[i] === undefined ? '−∞' : formatNumber(e[i]);
    const hi = e[i + 1] === null || e[i + 1] === undefined ? '+∞' : formatNumber(e[i + 1]);
    return `[${lo}, ${hi})`;
  };
  return (
    <table class="bins">
      <thead>
        <tr>
          <th scope="col">{d.categories ? 'Category' : 'Bin'}</th>
          <th scope="col" class="num">Reference count</th>
          <th scope="col" class="num">Reference share</th>
          <th scope="col" class="num">Current count</th>
          <th scope="col" class="num">Current share</th>
        </tr>
      </thead>
      <tbody>
        {d.reference.map((r, i) => (
          <tr>
            <th scope="row" class="mono category">{label(i)}</th>
            <td class="num">{formatNumber(r)}</td>
            <td class="num">{formatNumber((r / rt) * 100)}%</td>
            <td class="num">{formatNumber(d.current[i])}</td>
            <td class="num">{formatNumber((d.current[i] / ct) * 100)}%</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function Section(props: { frame: PageFrame; feature: string; s: DriftSection; idx: number; level: 2 | 3 }) {
  const r = props.s.result;
  const heading = r.slice ? `Slice ${r.slice}` : 'All rows';
  const anchor = r.slice ? `slice-${encodeURIComponent(r.slice)}` : 'overall';
  // Nothing was measured: "Decision: — = —" over an empty metrics table said nothing of why. The reason is said once,
  // in that line (it was the message above it as well).
  const decided = !(r.status === 'skipped' || (r.method === null && r.value === null));
  return (
    <section class="drift-section" id={anchor} aria-labelledby={`${anchor}-h`} data-slice={r.slice ?? ''}>
      {props.level === 2 ? (
        <h2 id={`${anchor}-h`}>
          {heading} <StatusBadge status={r.status} />
        </h2>
      ) : (
        <h3 id={`${anchor}-h`}>
          {heading} <StatusBadge status={r.status} />
        </h3>
      )}
      {decided ? (
        <p>{r.message}</p>
      ) : (
        <p class="no-decision">
          No decision: {r.status === 'skipped' ? 'skipped' : r.status}
          {r.message ? ` (${r.message})` : ''}
        </p>
      )}
      <div class="drift-grid">
        <div>
          <Chart id={`drift-${props.idx}`} title={`${props.feature}${r.slice ? ` (${r.slice})` : ''}: reference vs current`} feature={props.feature} d={props.s.distribution} />
        </div>
        <div>
          {decided ? (
            <p>
              Decision: <strong>{r.method ?? '—'}</strong> = <span class="mono">{formatNumber(r.value, 4)}</span>{' '}
              <span class="muted">(thresholds: {formatThresholds(r.thresholds)})</span>
            </p>
          ) : null}
          {Object.keys(r.metrics ?? {}).length ? <MetricsTable result={r} /> : null}
        </div>
      </div>
    </section>
  );
}

export function DriftPage(props: {
  frame: PageFrame;
  run: Run;
  feature: string;
  /** What the run's drift of the feature was compared with; null when nothing was (its drift check skipped). */
  reference: { label: string; runId: string | null } | null;
  sections: readonly DriftSection[];
  /** No result for the feature: `" (did you mean 'x'?)"` among the run's drift features, or ''. */
  suggestion?: string;
  /** Whether to link the feature's history (a feature the view has, or had). Default: when the run has a view. */
  history?: boolean;
}) {
  const { frame, run, feature } = props;
  const runPath = `${frame.base}/runs/${encodeURIComponent(run.id)}`;
  const overall = props.sections.filter((s) => !s.result.slice);
  const slices = props.sections.filter((s) => s.result.slice);
  const ref = props.reference;
  return (
    <Layout frame={frame} title={`Drift of ${feature}`} section="runs">
      <p>
        <a href={runPath}>← run {run.id.slice(0, 8)}</a>
        {run.view && props.history !== false ? (
          <>
            {' · '}
            <a href={`${frame.base}/features/${encodeURIComponent(run.view)}/${encodeURIComponent(feature)}`}>history of {feature}</a>
          </>
        ) : null}
      </p>
      <h1>
        Drift of <code>{feature}</code>
        {run.view ? <> in {run.view}</> : null}
      </h1>
      <p class="muted">
        Run started {formatTime(run.started_at)}
        {ref ? (
          <>
            ; compared with {ref.runId ? <a href={`${frame.base}/runs/${encodeURIComponent(ref.runId)}`}>{ref.label}</a> : <strong>{ref.label}</strong>}.
          </>
        ) : (
          '.'
        )}
      </p>
      {props.sections.length === 0 ? (
        <p>
          No drift results for {feature} in this run{props.suggestion ?? ''}.
        </p>
      ) : null}
      {overall.map((s, i) => (
        <Section frame={frame} feature={feature} s={s} idx={i} level={2} />
      ))}
      {slices.length ? (
        <>
          <h2>Per slice ({slices.length})</h2>
          {slices.map((s, i) => (
            <Section frame={frame} feature={feature} s={s} idx={overall.length + i} level={3} />
          ))}
        </>
      ) : null}
    </Layout>
  );
}
