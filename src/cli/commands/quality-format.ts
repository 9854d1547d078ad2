/**
 * Human-readable output of the quality commands (tables, a run's report). Text from the data (slice values, messages
 * quoting them, column names, URIs) goes through `escapeUnsafeText`: a terminal would act on its control characters.
 * `--json` gives it as stored.
 */
import type { AlertAttempt } from '../../alerts/attempts-types.js';
import { describeRunTrigger } from '../../runs/trigger.js';
import type { Redelivery } from '../../alerts/redelivery.js';
import type { CheckResult, Run } from '../../runs/types.js';
import { problemLine } from '../../guards/problem-text.js';
import { failCount, failsOnlyWarned } from '../../runs/count-text.js';
import { reasonNeedsResults, runReason, runReasonLine } from '../../runs/run-reason.js';
import { blockedNextStep, pushFacts, type KeptValues } from '../../runs/run-facts.js';
import { shortTime as shortIso } from '../../registry/format.js';
import { escapeUnsafeText } from '../../text-safety.js';

function pad(s: string, n: number): string {
  return s.length >= n ? s : s + ' '.repeat(n - s.length);
}

/** Aligned columns; cells are escaped first, so that the widths are those shown. */
function table(rows: string[][]): string {
  const cells = rows.map((r) => r.map(escapeUnsafeText));
  const widths = cells[0].map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  return cells.map((r) => r.map((c, i) => (i === r.length - 1 ? c : pad(c, widths[i]))).join('  ')).join('\n');
}

/** A stored time as the registry's lines print it (`2026-11-25 18:10:02Z`); `-` when there is none. */
function shortTime(iso: string | null): string {
  return iso ? shortIso(iso) : '-';
}

/** Whether a run skipped the guard stage (`--no-guards`, SDK `guards: false` / `disableGuards`). */
export function guardsSkipped(run: Pick<Run, 'options'> | null | undefined): boolean {
  return run?.options?.guards === false;
}

/**
 * `runs list` as a table; `offset` is how many newer runs the page skipped. MESSAGE is the run's reason as its page
 * gives it (`runReasonLine`): a warned run stores no message, so `resultsOf` reads its results (only for runs
 * without a stored message).
 */
export function formatRunList(runs: readonly Run[], total: number, offset = 0, resultsOf: (runId: string) => readonly CheckResult[] = () => []): string {
  // A page past the end still says how many there are, so that a script paging on knows where to stop.
  if (runs.length === 0) return total === 0 ? 'no runs' : `no runs at --offset ${offset} (of ${total} run(s))`;
  const rows = [['ID', 'KIND', 'TARGET', 'STATUS', 'STARTED', 'WINDOW', 'CHECKS (pass/warn/fail/error)', 'MESSAGE']];
  for (const r of runs) {
    const c = r.counts;
    rows.push([
      r.id, r.kind, r.view ?? (r.service ? `service:${r.service}` : '-'), r.status, shortTime(r.started_at),
      r.window_start ? `${r.window_start.slice(0, 10)}..${(r.window_end ?? '').slice(0, 10)}` : '-',
      guardsSkipped(r) ? 'guards off' : `${c.pass}/${c.warn}/${c.fail}${failsOnlyWarned(r) ? ' (warn policy)' : ''}/${c.error}`, runReasonLine(r, reasonNeedsResults(r) ? resultsOf(r.id) : [], 80) || pushListLine(r),
    ]);
  }
  return `${table(rows)}\n${runs.length} of ${total} run(s)`;
}

/**
 * A push without a reason to give, in `runs list`'s MESSAGE: what it did with its rows (`to both: 1 row, 1 written`,
 * `to offline: 3 rows, appended`; `runs show`'s `push:` line says more). Empty for other runs.
 */
function pushListLine(run: Run): string {
  const o = run.options;
  if (run.kind !== 'push' || !o || typeof o.to !== 'string' || typeof o.rows !== 'number') return '';
  const n = (v: unknown) => (typeof v === 'number' ? v : 0);
  const parts = [`to ${o.to}: ${o.rows} row${o.rows === 1 ? '' : 's'}`];
  if (o.to !== 'offline' && typeof o.written === 'number') {
    parts.push(`${o.written} written`);
    if (n(o.skipped) > 0) parts.push(`${n(o.skipped)} skipped`);
    if (n(o.superseded) > 0) parts.push(`${n(o.superseded)} superseded`);
  } else if (o.to === 'offline' && typeof o.file === 'string') parts.push('appended');
  return parts.join(', ');
}

/** At most this many problems of a result are listed under it in `runs show`. */
const MAX_PROBLEMS_LISTED = 20;

/**
 * One result line: `[fail] (block) provenance.tampering delay: message`. A failed or errored check names its policy,
 * `warn` too (a `[fail]` in a warned run is one whose policy only warns, as the run page's `drift (warn)` says);
 * another status names it when it is not `warn`; an info record (`details.info`) names none.
 */
export function formatCheckResult(r: CheckResult): string {
  const name = `${r.check}${r.method ? `.${r.method}` : ''}`;
  const where = [r.feature, r.slice ? `[${r.slice}]` : null].filter(Boolean).join(' ');
  // An info record (an undeclared column) can neither fail nor block: its family's policy would read as its own.
  const info = r.details?.info === true;
  const policy = r.policy && !info && (r.policy !== 'warn' || r.status === 'fail' || r.status === 'error') ? ` (${r.policy})` : '';
  return escapeUnsafeText(`[${r.status}]${policy} ${name}${where ? ` ${where}` : ''}: ${r.message}`);
}

/** `runs show` as a report. */
export function formatRunShow(
  run: Run, results: readonly CheckResult[], profiles: readonly Record<string, unknown>[], alerts: readonly AlertAttempt[], all: boolean, redeliveries: readonly Redelivery[] = [],
  /** For a blocked materialization: what the online store kept, and the last run that wrote it (`keptValues`). */
  kept: KeptValues | null = null,
): string {
  const lines: string[] = [];
  lines.push(`run ${run.id}`);
  lines.push(`  kind ${run.kind}  ${run.view ? `view ${run.view}` : run.service ? `service ${run.service}` : ''}  status ${run.status.toUpperCase()}`);
  // A queued run has not started: its time is when it was queued (set again as its work begins).
  lines.push(run.status === 'queued' ? `  queued ${shortTime(run.started_at)}` : `  started ${shortTime(run.started_at)}  finished ${shortTime(run.finished_at)}`);
  if (run.trigger) lines.push(`  started by ${describeRunTrigger(run.trigger)}`);
  if (run.window_start) lines.push(`  window ${run.window_start} .. ${run.window_end}`);
  // A failed run that read nothing has no counts to give (0 would read as an empty window): `—`, as its page says.
  if (run.rows_in !== null) lines.push(run.status === 'failed' && !run.rows_in && !run.rows_out ? '  rows in —, out —' : `  rows in ${run.rows_in}${run.rows_out !== null ? `, out ${run.rows_out}` : ''}`);
  // What a push wrote, in its page's words: why out is 0 (skipped as not newer, or blocked).
  const push = pushFacts(run);
  if (push !== null) lines.push(`  push: ${push}`);
  // Why it was blocked, failed or warned, as its page and `runs list` say it: a warned run stores no message, so its
  // worst check, with how many more did not pass.
  if (run.status === 'blocked' || run.status === 'failed' || run.status === 'warned') {
    const { reason, more } = runReason(run, results);
    lines.push(`  WHY: ${reason ?? '(no message)'}${more > 0 ? ` (and ${more} more: see the checks below)` : ''}`);
  }
  const next = blockedNextStep(run, kept);
  if (next) lines.push(`  NEXT: ${next.written}`, `  after fixing the source, re-run the window: ${next.command}`);
  const c = run.counts;
  if (guardsSkipped(run)) {
    lines.push('', `checks: GUARDS OFF: this run skipped the guard stage${run.kind === 'materialize' ? ' (--no-guards)' : ''}, nothing was checked and no profile recorded`);
    if (run.kind === 'materialize') lines.push('  later runs cannot detect edits of its window (no checksums were recorded for it)');
  } else lines.push('', `checks: ${c.pass} passed, ${c.warn} warned, ${failCount(run, 'failed')}, ${c.error} errors, ${c.skipped} skipped`);
  const order = { error: 0, fail: 1, warn: 2, skipped: 3, pass: 4 } as const;
  const shown = [...results].filter((r) => all || (r.status !== 'pass' && r.status !== 'skipped')).sort((a, b) => order[a.status] - order[b.status]);
  for (const r of shown) {
    lines.push(`  ${formatCheckResult(r)}`);
    // A push refused for invalid rows: its problems beyond the first the message names (all of them in --json).
    const problems = (r.details as { problems?: unknown } | null)?.problems;
    if (Array.isArray(problems) && problems.length > 1) {
      for (const p of problems.slice(0, MAX_PROBLEMS_LISTED)) lines.push(`      ${problemLine(p, 200)}`);
      if (problems.length > MAX_PROBLEMS_LISTED) lines.push(`      … and ${problems.length - MAX_PROBLEMS_LISTED} more (--json lists them all)`);
      // A refused push keeps its first problems and counts them all (`metrics.problems`).
      const counted = (r.metrics as { problems?: unknown } | null)?.problems;
      if (typeof counted === 'number' && counted > problems.length) lines.push(`      (${counted - problems.length} more not kept: the run records its first ${problems.length})`);
    }
  }
  if (!all && shown.length < results.length) lines.push(`  (${results.length - shown.length} passing/skipped checks hidden; --all shows them)`);
  if (results.length === 0 && c.pass + c.warn + c.fail + c.error + c.skipped > 0) lines.push('  (check results and profiles pruned: `runs prune` kept this run\'s summary and tamper checksums)');
  if (profiles.length > 0) {
    lines.push('', 'profiles:');
    const rows = [['COLUMN', 'TYPE', 'COUNT', 'NULLS', 'DISTINCT', 'MIN', 'P50', 'MAX', 'MEAN']];
    const f = (v: unknown) => (v === null || v === undefined ? '-' : typeof v === 'number' ? (Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(4)))) : String(v));
    for (const p of profiles) rows.push([String(p.column), f(p.type), f(p.count), f(p.nulls), f(p.distinct), f(p.min), f(p.p50), f(p.max), f(p.mean)]);
    lines.push(...table(rows).split('\n').map((l) => `  ${l}`));
  }
  if (run.lineage) {
    lines.push('', `lineage: job ${run.lineage.job}, package ${run.lineage.package_version}, ${run.lineage.user}@${run.lineage.host}`);
    // The registry versions it used (`describe NAME@N` shows one; `runs list --definition NAME@N` the runs that used it).
    const used = Object.entries(run.lineage.definition_versions ?? {}).sort(([a], [b]) => a.localeCompare(b));
    if (used.length > 0) lines.push(`  definitions ${used.map(([key, v]) => `${key} v${v.version}`).join(', ')}`);
    for (const i of run.lineage.inputs) lines.push(`  input ${i.name} (${i.kind}) ${i.uri}`);
    if (run.lineage.output) lines.push(`  output ${run.lineage.output.kind} ${run.lineage.output.uri}`);
    for (const o of run.lineage.other_outputs ?? []) lines.push(`  output ${o.kind} ${o.uri} (${o.rows} row${o.rows === 1 ? '' : 's'})`);
  }
  // A push's lineage names the source it appended to (as the materialization reading it does); the file is here.
  // Its rows may since be in the file a compaction merged it into (`featureguard compact`), the appended one removed.
  if (run.kind === 'push' && typeof run.options?.file === 'string') {
    const into = run.options.compacted_into;
    lines.push(`  appended file ${run.options.file}${typeof into === 'string' ? ` (compacted into ${into})` : ''}`);
  }
  if (alerts.length > 0 || redeliveries.length > 0) {
    lines.push('', 'alerts:');
    for (const a of alerts) {
      // Attempt 0: held back by the alert's min_interval, not a failed delivery; its reason once, without the
      // stored `not sent: ` it would repeat.
      if (a.attempt === 0) {
        lines.push(`  ${a.alert} held (not sent)${a.error ? `: ${a.error.replace(/^not sent: /, '')}` : ''}`);
        continue;
      }
      const what = a.ok ? 'delivered' : 'failed';
      lines.push(`  ${a.alert} attempt ${a.attempt}: ${what}${a.status_code === null ? '' : ` ${a.status_code}`}${a.error ? ` ${a.error}` : ''}`);
    }
  }
  for (const r of redeliveries) {
    const until = r.until ? `tried until ${shortTime(r.until)}` : 'not redelivered by this featureguard.yaml';
    // Tries on the wire (or a killed process's claim not run out): not waiting for a round yet.
    if (r.in_flight) lines.push(`  ${r.alert} delivery in flight: a process is trying it (if no try arrives: redelivery ${r.round} at ${shortTime(r.next_at)}, ${until})`);
    else lines.push(`  ${r.alert} redelivery ${r.round}: due ${shortTime(r.next_at)} (${until})`);
  }
  return lines.map(escapeUnsafeText).join('\n');
}
