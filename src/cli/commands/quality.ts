/**
 * Quality commands: the quality log (`runs list`, `runs show`, `runs prune`), lineage export,
 * `alerts redeliver`, `check` for CI pipelines, baselines (`baseline pin`, `baseline list`, `baseline unpin`) and PII columns.
 * Thin: parse flags, call the guards/runs services, format.
 */
import type { Command } from 'commander';
import { writeFileSync } from 'node:fs';
import { InputError } from '../../errors.js';
import type { Project } from '../../project.js';
import { parseAgeOrInstant } from '../../time/instant.js';
import { resolveRunId } from '../../runs/run-id.js';
import { REASON_STATUSES } from '../../runs/run-reason.js';
import { failCount } from '../../runs/count-text.js';
import { RUN_KINDS, RUN_STATUSES, type CheckResult, type Run } from '../../runs/types.js';
import { refuseUnknownRunTarget } from '../../runs/run-targets.js';
import { textTable, type CommandContext } from '../context.js';
import { formatRunList, formatRunShow, formatCheckResult } from './quality-format.js';
import { fsInputError } from '../fs-error.js';
import { escapeUnsafeText } from '../../text-safety.js';


/** `--since 7d` (relative) or an ISO date/time → ISO string. */
export function parseSince(value: string, now = new Date(), flag = '--since'): string {
  return parseAgeOrInstant(value, flag, now);
}

function oneOf<T extends string>(value: string | undefined, allowed: readonly T[], flag: string): T | undefined {
  if (value === undefined) return undefined;
  if (!allowed.includes(value as T)) throw new InputError(`invalid ${flag} '${value}': one of ${allowed.join(', ')}`);
  return value as T;
}

export function registerQualityCommands(program: Command, ctx: CommandContext): void {
  const runs = program.command('runs').description('the quality log: runs with their checks, profiles and lineage');
  runs
    .command('list')
    .description('list runs, newest first')
    .option('--view <name>', 'only runs of this feature view')
    .option('--service <name>', 'only runs of this feature service')
    .option('--kind <kind>', `only runs of this kind (${RUN_KINDS.join(', ')})`)
    .option('--status <status>', `only runs with this status (${RUN_STATUSES.join(', ')})`)
    .option('--since <when>', 'only runs started since (ISO date/time or a duration like 7d)')
    .option('--until <when>', 'only runs started before (ISO date/time or a duration like 1d: that long ago)')
    .option('--definition <name@n>', 'only runs that used version N of this object (NAME@N; KIND/NAME@N when kinds share the name)')
    .option('--limit <n>', 'at most n runs', '20')
    .option('--offset <n>', 'skip the newest n runs (paging)', '0')
    .action(async (o: { view?: string; service?: string; kind?: string; status?: string; since?: string; until?: string; definition?: string; limit: string; offset: string }) => {
      const limit = /^[0-9]{1,9}$/.test(o.limit) ? Number(o.limit) : Number.NaN;
      if (!(limit >= 1)) throw new InputError(`invalid --limit '${o.limit}': a whole number from 1 to 999999999`);
      const offset = /^[0-9]{1,9}$/.test(o.offset) ? Number(o.offset) : Number.NaN;
      if (!(offset >= 0)) throw new InputError(`invalid --offset '${o.offset}': a whole number from 0 to 999999999`);
      const project = await ctx.project();
      const { usedDefinition } = await import('../../runs/used-definition.js');
      const definition = o.definition === undefined ? undefined : usedDefinition(project.registry, o.definition);
      const list = project.runs.list({
        definition,
        view: o.view, service: o.service, kind: oneOf(o.kind, RUN_KINDS, '--kind'), status: oneOf(o.status, RUN_STATUSES, '--status'),
        since: o.since ? parseSince(o.since) : undefined, until: o.until ? parseSince(o.until, new Date(), '--until') : undefined, limit, offset,
      });
      if (list.total === 0) refuseUnknownRunTarget(project, o);
      ctx.print(list, () => formatRunList(list.runs, list.total, offset, (id) => project.runs.results(id, REASON_STATUSES)));
    });

  runs
    .command('prune')
    .description('remove old runs from the quality log, keeping what the guards still read (running runs, the newest successful ones, the newest tamper checksum of each day)')
    .requiredOption('--older-than <when>', 'remove runs started before this: an age such as 90d, or a date/time')
    .option('--keep <n>', 'newest successful or warned runs kept per kind, view and service, whatever their age (default 100)')
    .option('--dry-run', 'count what would go; remove nothing')
    .action(async (o: { olderThan: string; keep?: string; dryRun?: boolean }) => {
      const keep = o.keep === undefined ? undefined : /^[0-9]{1,6}$/.test(o.keep) ? Number(o.keep) : Number.NaN;
      if (keep !== undefined && Number.isNaN(keep)) throw new InputError(`invalid --keep '${o.keep}': a whole number from 0 to 999999`);
      const { pastCutoff, pruneRuns } = await import('../../runs/prune.js');
      const before = pastCutoff(o.olderThan, '--older-than');
      const project = await ctx.project();
      const r = pruneRuns(project.state, { before, keep, dryRun: o.dryRun === true });
      ctx.print(r, () =>
        `${r.dryRun ? 'would remove' : 'removed'} ${r.deleted} run(s) started before ${r.before}; ${r.dryRun ? 'would cut' : 'cut'} ${r.trimmed} to their summary (they hold the newest tamper checksum of a day); kept ${r.protected} whole (running, or among the newest successful runs of their view or service)`);
    });

  runs
    .command('show <id>')
    .description('a run: verdict, why it was blocked, every check, profiles summary, lineage')
    .option('--all', 'list passing checks too (default: only non-passing ones and a count)')
    .action(async (id: string, o: { all?: boolean }) => {
      const project = await ctx.project();
      const { runReport } = await import('../../runs/run-report.js');
      const report = runReport(project, await resolveRunId(project, id));
      // A blocked materialization names the run whose values the online store kept (`--json` is the report as before).
      const { keptValues } = await import('../../runs/run-facts.js');
      const kept = report.run.kind === 'materialize' && report.run.status === 'blocked' ? keptValues(project.runs, report.run) : null;
      ctx.print(report, () => formatRunShow(report.run, report.results, report.profiles, report.alerts, Boolean(o.all), report.redeliveries, kept));
    });

  const alerts = program.command('alerts').description('webhook deliveries: redeliver those whose every try failed');
  alerts
    .command('redeliver')
    .description('send the alert deliveries that failed and are due again (serve does this every 15 s; run it from cron without serve); exit 3 when one failed again or was given up')
    .option('--all', 'send every waiting redelivery now, due or not (not those another process is sending)')
    .option('--run <id>', "only this run's")
    .action(async (o: { all?: boolean; run?: string }) => {
      const project = await ctx.project();
      const { redeliverAndReport } = await import('../../alerts/redelivery.js');
      const r = await redeliverAndReport(project, { all: o.all === true, runId: o.run === undefined ? undefined : await resolveRunId(project, o.run) });
      // At most the 100 soonest listed (a receiver down through a storm can leave thousands).
      const { waiting, waiting_total: total } = r;
      ctx.print(r, () =>
        [
          `redelivered ${r.delivered}, failed ${r.failed}${r.given_up ? `, given up ${r.given_up}` : ''}${r.held_back ? `, counted as held back ${r.held_back} (their alert has a min_interval now: its next delivery or held-back summary reports them)` : ''}; ${total} waiting`,
          ...r.attempts.slice(0, 100).map((a) => `  ${a.run_id} ${a.alert} attempt ${a.attempt}: ${a.ok ? 'delivered' : 'failed'} ${a.status_code ?? ''} ${a.error ?? ''}`.trimEnd()),
          ...(r.attempts.length > 100 ? [`  (${r.attempts.length - 100} more attempts: runs show RUN_ID lists a run's)`] : []),
          ...waiting.slice(0, 20).map((w) => `  ${w.run_id} ${w.alert} redelivery ${w.round} due ${w.next_at}`),
          ...(total > 20 ? [`  (${total - 20} more waiting; --json lists the 100 soonest)`] : []),
        ].join('\n'));
      // A cron job must see that the receiver is still down, or that triggers were lost.
      if (r.failed > 0 || r.given_up > 0) ctx.setExit(3);
    });

  program
    .command('lineage')
    .description('lineage of runs')
    .command('export <id>')
    .description('print (or write) a run as an OpenLineage RunEvent')
    .option('--namespace <ns>', 'OpenLineage job namespace (default: the project name)')
    .option('-o, --out <file>', 'write the event to a file')
    .action(async (given: string, o: { namespace?: string; out?: string }) => {
      const project = await ctx.project();
      const id = await resolveRunId(project, given);
      const { toOpenLineageRunEvent } = await import('../../runs/lineage.js');
      const { recordedSourceUri } = await import('../../runs/dataset-names.js');
      const sourceOf = (r: Run) => recordedSourceUri(project.root, project.registry, r);
      const event = toOpenLineageRunEvent(project.runs.get(id), project.runs.results(id), { namespace: o.namespace ?? project.config.project, project: project.config.project, profiles: project.runs.profiles(id), sourceOf });
      if (o.out) {
        try {
          writeFileSync(o.out, `${JSON.stringify(event, null, 2)}\n`);
        } catch (e) {
          throw fsInputError(e, `cannot write ${o.out}`);
        }
        ctx.print({ written: o.out, eventType: event.eventType }, () => `wrote ${o.out} (${event.eventType})`);
      } else ctx.io.out(JSON.stringify(event, null, 2));
    });

  program
    .command('check')
    .description('run the guards without materializing: on a view window (--view --start --end) or a dataset (--dataset FILE --service S); exit 1 when a blocking check fails')
    .option('--view <name>', 'feature view to check')
    .option('--start <time>', 'window start (inclusive), ISO date/time')
    .option('--end <time>', 'window end (exclusive), ISO date/time')
    .option('--dataset <file>', 'dataset file (Parquet, Arrow IPC, CSV, JSON) to check')
    .option('--service <name>', 'feature service the dataset was built for')
    .action(async (o: { view?: string; start?: string; end?: string; dataset?: string; service?: string }) => {
      if (Boolean(o.view) === Boolean(o.dataset)) throw new InputError('check needs exactly one of --view or --dataset');
      if (o.view && o.service !== undefined) throw new InputError('--service goes with --dataset (the service a dataset was built for), not with --view: drop it', { option: '--service' }, 'usage');
      const project = await ctx.project();
      const { checkView, checkDataset } = await import('../../guards/check-run.js');
      let r;
      if (o.view) {
        if (!o.start || !o.end) throw new InputError('check --view needs --start and --end');
        r = await checkView(project, { view: o.view, start: o.start, end: o.end });
      } else r = await checkDataset(project, { file: o.dataset!, service: o.service });
      const { run, verdict, blockedReason, counts, results } = r;
      ctx.print({ run_id: run.id, status: run.status, verdict, blocked_reason: blockedReason, counts, results }, () => formatCheck(run, verdict, blockedReason, results));
      if (verdict === 'block') ctx.setExit(1);
    });

  const baseline = program.command('baseline').description('pinned reference profiles drift is measured against');
  baseline
    .command('pin')
    .description('pin the profiles of a run or of a dataset build as a baseline for a view or a service')
    .requiredOption('--name <name>', 'baseline name')
    .option('--view <name>', 'feature view the baseline is for')
    .option('--service <name>', 'feature service the baseline is for')
    .option('--from-run <id>', 'copy the profiles of this run')
    .option('--from-dataset <manifest>', 'copy the profiles of the dataset build of this FILE.manifest.json')
    .action(async (o: { name: string; view?: string; service?: string; fromRun?: string; fromDataset?: string }) => {
      const project = await ctx.project();
      const { pinBaseline } = await import('../../guards/baselines.js');
      const fromRun = o.fromRun === undefined ? undefined : await resolveRunId(project, o.fromRun);
      const b = pinBaseline(project, { name: o.name, view: o.view, service: o.service, fromRun, fromDataset: o.fromDataset });
      ctx.print(b, () =>
        `pinned baseline '${b.name}' for ${b.view ? `view ${b.view}` : `service ${b.service}`} from ${b.source} (${b.columns} columns)${b.replaced ? `, replacing the one pinned ${b.replaced.pinned_at} from ${b.replaced.source}` : ''}`);
    });
  baseline
    .command('list')
    .description('list pinned baselines')
    .option('--view <name>', "only the baselines of this view (an unknown name is refused)")
    .option('--service <name>', "only the baselines of this feature service (an unknown name is refused)")
    .action(async (o: { view?: string; service?: string }) => {
      const project = await ctx.project();
      const { listBaselines } = await import('../../guards/baselines.js');
      const list = listBaselines(project, o);
      if (list.length === 0) refuseUnknownRunTarget(project, o);
      ctx.print(list, () => (list.length === 0 ? 'no baselines' : textTable([['NAME', 'TARGET', 'FROM', 'PINNED'], ...list.map((b) => [b.name, b.view ? `view ${b.view}` : `service ${b.service}`, b.source, b.pinned_at])])));
    });

  baseline
    .command('unpin <name>')
    .description("remove a pinned baseline and say what drift of its view or service is measured against next; refused while a drift.reference names it, unless --force")
    .option('--force', 'unpin even though drift.reference names it (those drift checks then error until it is pinned again)')
    .action(async (name: string, o: { force?: boolean }) => {
      const project = await ctx.project();
      const { driftSettingsOf, unpinBaseline, targetsNamingBaseline, targetLabel } = await import('../../guards/baselines.js');
      const { currentReference } = await import('../../guards/reference.js');
      const b = unpinBaseline(project, name, { force: o.force === true });
      if (!b) throw new InputError(`no baseline named '${name}' (see featureguard baseline list)`, { name }, 'not_found');
      const target = b.view ? { view: b.view } : { service: b.service! };
      // As the next run finds it: the next newest baseline, a service's baseline for a view, drift.reference.
      const now = currentReference(project, target);
      const namedBy = targetsNamingBaseline(project, name);
      const othersNaming = namedBy.filter((t) => (t.view ?? null) !== b.view || (t.service ?? null) !== b.service);
      // As findReference takes a run (src/guards/reference.ts): one that succeeded or warned, of min_rows or more rows.
      const rows = `${driftSettingsOf(project, target).min_rows} or more rows`;
      const against = now.reference?.startsWith('baseline:')
        ? `baseline '${now.reference.slice('baseline:'.length)}'`
        : now.reference === 'previous'
          ? `the newest run of ${rows} that succeeded or warned (${now.runIds[0]}; drift.reference: previous)`
          : now.reference
            ? `the previous ${now.runIds.length} runs of ${rows} that succeeded or warned, pooled (${now.reference})`
            : null;
      const text = [
        `unpinned baseline '${name}' of ${targetLabel(b)}; ${against ? `its drift is now measured against ${against}` : now.problem ? `its drift checks now error: ${now.problem}` : `its drift is skipped until there is a reference (${now.reason})`}`,
        ...(othersNaming.length > 0 ? [`drift.reference still names '${name}' for ${othersNaming.map(targetLabel).join(', ')}: their drift checks error until a baseline '${name}' is pinned again`] : []),
      ];
      ctx.print({ name, unpinned: true, ...target, now: now.reference, now_run_ids: now.runIds, problem: now.problem, named_by: namedBy }, () => text.join('\n'));
    });

  const pii = program.command('pii').description('columns the PII check found personal data in: their profiles stay masked in every later run');
  const targetOf = (o: { view?: string; service?: string }, required: boolean): string | undefined => {
    if (o.view !== undefined && o.service !== undefined) throw new InputError('give --view or --service, not both');
    if (o.view !== undefined) return `view:${o.view}`;
    if (o.service !== undefined) return `service:${o.service}`;
    if (required) throw new InputError('say whose column it is: --view NAME or --service NAME');
    return undefined;
  };
  pii
    .command('list')
    .description('list the remembered PII columns, with the run that found each')
    .option('--view <name>', 'only columns of this feature view')
    .option('--service <name>', 'only columns of this feature service')
    .action(async (o: { view?: string; service?: string }) => {
      const target = targetOf(o, false);
      const project = await ctx.project();
      const { listPiiColumns } = await import('../../guards/pii-columns.js');
      const list = listPiiColumns(project.state, target);
      if (list.length === 0) refuseUnknownRunTarget(project, o);
      ctx.print(list, () => (list.length === 0 ? 'no columns found to hold PII' : list.map((r) => `${r.target}  ${r.column}  found ${r.found_at} by run ${r.run_id}`).join('\n')));
    });
  pii
    .command('forget <column>')
    .description('stop masking a column from the next run on (a false positive); the PII check still runs and may find it again')
    .option('--view <name>', 'the feature view of the column')
    .option('--service <name>', 'the feature service of the column')
    .action(async (column: string, o: { view?: string; service?: string }) => {
      const target = targetOf(o, true)!;
      const project = await ctx.project();
      const { forgetPiiColumn } = await import('../../guards/pii-columns.js');
      if (!forgetPiiColumn(project.state, target, column)) {
        throw new InputError(`column '${column}' of ${target.replace(':', ' ')} is not remembered as PII (see featureguard pii list)`, { target, column }, 'not_found');
      }
      ctx.print({ target, column, forgotten: true }, () => `forgot ${target.replace(':', ' ')} column '${column}': later runs profile it unmasked unless the PII check finds PII in it again`);
    });

}

function formatCheck(run: Run, verdict: string, reason: string | null, results: readonly CheckResult[]): string {
  const lines = [`run ${run.id}: ${run.status} (verdict ${verdict})`];
  // The reason quotes a check's message, which may quote the data (a slice value): escaped, as the check lines are.
  if (reason) lines.push(`blocked: ${escapeUnsafeText(reason)}`);
  for (const r of results.filter((x) => x.status !== 'pass' && x.status !== 'skipped')) lines.push(`  ${formatCheckResult(r)}`);
  const c = run.counts;
  // Drift with no reference is skipped, not failed: said on the summary line, or a CI job believes drift is guarded.
  const noReference = results.find((x) => x.check === 'drift' && x.status === 'skipped' && x.message.startsWith('no reference yet'));
  const drift = noReference
    ? `; drift not checked: no reference (${escapeUnsafeText(noReference.message.replace(/^no reference yet: /, ''))}; pin one with featureguard baseline pin --from-dataset or --from-run)`
    : '';
  lines.push(`${c.pass} passed, ${c.warn} warned, ${failCount(run, 'failed')}, ${c.error} errors, ${c.skipped} skipped${drift}`);
  return lines.join('\n');
}
