/**
 * Project commands: `init`, `validate`, `plan`, `apply`, `list`, and `describe` (`describe.ts`).
 * Thin: each parses its flags, calls the loader, the registry or `applyDefinitions`, and prints.
 * Everything heavier than commander is imported inside the actions so that
 * `featureguard --help` stays fast.
 */
import type { SourceRoots } from '../../definitions/source-location.js';
import type { Command } from 'commander';
import type { Definition, DefinitionKind } from '../../definitions/types.js';
import type { DefinitionProblem } from '../../errors.js';
import type { Project } from '../../project.js';
import { textTable, type CommandContext } from '../context.js';
import { storedDuration } from '../../definitions/ttl.js';
import { registerDescribeCommand } from './describe.js';
import { parseKind } from '../kinds.js';

async function loadProjectDefinitions(project: Project): Promise<Definition[]> {
  const { loadDefinitions } = await import('../../definitions/loader.js');
  return [...loadDefinitions(project.root, project.config)];
}

export function registerProjectCommands(program: Command, ctx: CommandContext): void {
  program
    .command('init')
    .description('create a new project from the flights example')
    .argument('[dir]', 'folder to create the project in (default: --project, else the working directory)')
    .option('--name <project>', 'project name (default: derived from the folder name)')
    .option('--force', 'add the example into a non-empty folder that is no project yet (files of its names with other content are kept)')
    .action(async (given: string | undefined, opts: { name?: string; force?: boolean }) => {
      const { InputError } = await import('../../errors.js');
      // `--project DIR init` creates the project in DIR (it was created in the working directory).
      const chosen = ctx.globals().project;
      // The same folder spelled two ways (`-p ./newp init newp`, `-p newp/`, an absolute path) is one folder.
      const { resolve } = await import('node:path');
      if (given !== undefined && chosen !== undefined && resolve(given) !== resolve(chosen)) {
        throw new InputError(`init was given two folders: '${given}' and --project '${chosen}'; give one`, undefined, 'bad_arguments');
      }
      const dir = given ?? chosen ?? '.';
      const { scaffoldProject } = await import('../init-project.js');
      const { fsInputError } = await import('../fs-error.js');
      let result: ReturnType<typeof scaffoldProject>;
      try {
        result = scaffoldProject(dir, opts);
      } catch (e) {
        throw fsInputError(e, `cannot create the project in ${dir}`);
      }
      ctx.print(result, () =>
        [
          `Created project '${result.project}' in ${result.dir}: ${result.files.join(', ') || 'no new files'}`,
          ...(result.kept.length > 0 ? [`Kept your own ${result.kept.join(', ')}: they differ from the example's and were not overwritten (the example's definitions may refer to what they lack)`] : []),
          'Next steps:',
          ...(result.dir === '.' ? [] : [`  cd ${/^[\w./-]+$/.test(result.dir) ? result.dir : `'${result.dir.replaceAll("'", "'\\''")}'`}`]),
          `  npm install                 # what ${result.files.find((f) => f.startsWith('prepare.'))?.split(' ')[0] ?? 'prepare.ts'} needs (@duckdb/node-api, vega-datasets, tsx) and featureguard (the editor's schemas)`,
          `  ${result.prepareCommand.padEnd(28)}# derive the Parquet sources from vega-datasets' 3M flights${result.prepareCommand.startsWith('npm run') ? '' : ' (your package.json\'s prepare-data script is your own)'}`,
          '  featureguard validate && featureguard plan && featureguard apply',
        ].join('\n'),
      );
    });

  program
    .command('validate')
    .description('check definitions (schemas, references) and that every source exists with the declared columns')
    .action(async () => {
      const project = await ctx.project();
      const { DefinitionError, formatProblems } = await import('../../errors.js');
      let defs: Definition[] | undefined;
      let problems: DefinitionProblem[] = [];
      try {
        defs = await loadProjectDefinitions(project);
      } catch (e) {
        if (!(e instanceof DefinitionError)) throw e;
        problems = e.problems;
      }
      if (defs) {
        const { checkSources } = await import('../../definitions/source-check.js');
        problems = await checkSources(project.sourceRoots, defs);
        const { alertReferenceProblems } = await import('../../definitions/cross-references.js');
        problems.push(...alertReferenceProblems(project.config.alerts ?? [], defs));
      }
      const counts = countKinds(defs ?? []);
      const warnings = alertSettingWarnings(project.config.alerts ?? []);
      if (defs) warnings.push(...(await import('../../definitions/cross-references.js')).serviceKeyNameWarnings(defs));
      ctx.print({ ok: problems.length === 0, project: project.config.project, counts, problems, warnings }, () =>
        [
          problems.length === 0
            ? `OK: project '${project.config.project}': ${describeCounts(counts)}; every source found with its declared columns.`
            : `${problems.length} problem${problems.length > 1 ? 's' : ''}:\n${formatProblems(problems)}`,
          ...warningLines(warnings),
        ].join('\n'),
      );
      if (problems.length) ctx.setExit(2);
    });

  program
    .command('plan')
    .description('show what apply would add, change and remove, field by field, and flag breaking changes')
    .action(async () => {
      const project = await ctx.project();
      const defs = await loadProjectDefinitions(project);
      const { withPushedDropNote } = await import('../../registry/pushed-views.js');
      const plan = withPushedDropNote(project.state, project.registry.plan(defs));
      const { formatPlan } = await import('../../registry/format.js');
      const sourceProblems = await sourceWarnings(project.sourceRoots, defs);
      const { alertReferenceProblems } = await import('../../definitions/cross-references.js');
      // An alert filtering on a view this renames or removes would stop firing without a word.
      const alertProblems = alertReferenceProblems(project.config.alerts ?? [], defs);
      ctx.print({ ...plan, source_problems: sourceProblems, alert_problems: alertProblems }, () =>
        [formatPlan(plan, { color: ctx.io.isTty }), ...(sourceProblems.length ? [warningText(sourceProblems)] : []), ...(alertProblems.length ? [alertWarningText(alertProblems)] : [])].join('\n'));
    });

  program
    .command('apply')
    .description('apply the definitions to the registry in one transaction (refuses breaking changes by default)')
    .option('--allow-breaking', 'apply breaking changes too (type changes, removed features in use, join keys)')
    .option('--allow-removals', "remove the applied objects the project's files no longer define (and drop the online values of removed views)")
    .option('--expect-generation <n>', "apply only if the registry is still at generation n (the 'generation' of plan --json): refused, exit 2 registry_changed, when another apply came in between")
    .action(async (opts: { allowBreaking?: boolean; allowRemovals?: boolean; expectGeneration?: string }) => {
      const expectedGeneration = opts.expectGeneration === undefined ? undefined : await generationArgument(opts.expectGeneration);
      const project = await ctx.project();
      const defs = await loadProjectDefinitions(project);
      const { formatDrops, formatPlan } = await import('../../registry/format.js');
      const { withPushedDropNote } = await import('../../registry/pushed-views.js');
      const json = ctx.globals().json === true;
      if (!json) {
        const plan = project.registry.plan(defs);
        // Another apply came in between: the plan against the current registry is not the one reviewed (apply refuses).
        const moved = expectedGeneration !== undefined && plan.generation !== undefined && plan.generation !== expectedGeneration;
        ctx.io.out(moved
          ? `The registry moved from generation ${expectedGeneration} to ${plan.generation} since the plan you reviewed: nothing applied.`
          : formatPlan(withPushedDropNote(project.state, plan), { color: ctx.io.isTty, allowBreaking: opts.allowBreaking === true, allowRemovals: opts.allowRemovals === true }));
      }
      const { applyDefinitions } = await import('../../registry/apply-definitions.js');
      // The project directory is the complete set: what its files no longer define is removed, with --allow-removals
      // only (a deleted or moved file, a bad merge, must not remove objects and drop their online values unasked).
      const result = await applyDefinitions(project, defs, { allowBreaking: opts.allowBreaking === true, allowRemovals: opts.allowRemovals === true, expectedGeneration })
        .catch(async (e: unknown) => {
          throw await removalsRefused(e);
        });
      const applied = result.applied.map(({ definition, ...v }) => ({ ...v, removed: definition === null }));
      const { dropped, deferred } = result;
      // Applied anyway (a push-fed source may have no file yet), but said now rather than at the first materialization.
      const { source_problems: sourceProblems, alert_problems: alertProblems } = result;
      ctx.print({ plan: withPushedDropNote(project.state, result.plan), applied, generation: result.generation, dropped, deferred, source_problems: sourceProblems, alert_problems: alertProblems }, () =>
        [
          ...(sourceProblems.length ? [warningText(sourceProblems)] : []),
          ...(alertProblems.length ? [alertWarningText(alertProblems)] : []),
          applied.length === 0
            ? 'Nothing to apply.'
            : applied.length > 5
              ? `Applied ${applied.length} changes in one transaction (see 'featureguard list').`
              : `Applied ${applied.length} change${applied.length > 1 ? 's' : ''}: ${applied.map((v) => `${v.kind} ${v.name} v${v.version}${v.removed ? ' (removed)' : ''}`).join(', ')}.`,
          ...formatDrops(dropped, result.plan.dropReasons, true),
          ...(deferred.length === 0
            ? []
            : [`${deferred.join(', ')} ${deferred.length > 1 ? 'are' : 'is'} being written (materialized or pushed to): reads answer NOT_FOUND for ${deferred.length > 1 ? 'them' : 'it'} from now on, and that writer drops the online values (writing nothing, or dropping what it wrote; if it never finishes, a running serve or the next apply or materialization does).`]),
        ].join('\n'),
      );
    });

  program
    .command('list')
    .description('list the applied objects with their current version')
    .argument('[kind]', 'only this kind: entity, source, feature_view (view), feature_service (service)')
    .action(async (kindArg: string | undefined) => {
      const kind = kindArg === undefined ? undefined : await parseKind(kindArg);
      const project = await ctx.project();
      const { KIND_ORDER } = await import('../../registry/plan.js');
      const { shortTime } = await import('../../registry/format.js');
      const rows = [...project.registry.currentVersions().values()]
        .filter((v) => kind === undefined || v.kind === kind)
        .sort((a, b) => KIND_ORDER.indexOf(a.kind) - KIND_ORDER.indexOf(b.kind) || a.name.localeCompare(b.name))
        .map((v) => ({ kind: v.kind, name: v.name, version: v.version, hash: v.hash, applied_at: v.applied_at, summary: summarize(v.definition as Definition) }));
      ctx.print(rows, () =>
        rows.length === 0
          ? `Nothing applied${kind ? ` of kind ${kind}` : ''} yet: run 'featureguard apply'.`
          : textTable([
              ['KIND', 'NAME', 'VERSION', 'HASH', 'APPLIED', 'SUMMARY'],
              ...rows.map((r) => [r.kind, r.name, `v${r.version}`, r.hash.slice(0, 12), shortTime(r.applied_at), r.summary]),
            ]),
      );
    });

  registerDescribeCommand(program, ctx);
}

/**
 * `removals_not_allowed` (its message speaks of the HTTP body) as the CLI says it: every removal, and the flags to
 * pass. Anything else as it is.
 */
async function removalsRefused(e: unknown): Promise<unknown> {
  const { ConflictError, FeatureguardError } = await import('../../errors.js');
  if (!(e instanceof FeatureguardError) || e.code !== 'removals_not_allowed') return e;
  const details = e.details as { removals: { kind: string; name: string }[]; breaking?: string[] };
  const n = details.removals.length;
  const breaking = details.breaking ?? [];
  // Only a removed view has online values to drop.
  const views = details.removals.some((r) => r.kind === 'feature_view');
  return new ConflictError(
    `refusing to remove ${n} applied object${n > 1 ? 's' : ''} the project's files no longer define (pass --allow-removals to remove ` +
      `${n > 1 ? 'them' : 'it'}${views ? ', dropping the online values of removed views' : ''}, or restore ${n > 1 ? 'their definitions' : 'its definition'} to keep ${n > 1 ? 'them' : 'it'})` +
      `${breaking.length > 0 ? '; the plan also has breaking changes, which need --allow-breaking as well' : ''}:\n` +
      [...details.removals.map((r) => `  - ${r.kind} ${r.name}`), ...breaking.map((b) => `  - BREAKING: ${b}`)].join('\n'),
    e.details,
    'removals_not_allowed',
    2,
  );
}

/** `--expect-generation`'s value: a registry generation (a whole number, 0 or more), else a usage error. */
async function generationArgument(value: string): Promise<number> {
  const n = /^\d+$/.test(value.trim()) ? Number(value.trim()) : NaN;
  if (Number.isSafeInteger(n)) return n;
  const { InputError } = await import('../../errors.js');
  throw new InputError(`invalid --expect-generation '${value}': a registry generation, a whole number as plan --json prints it ('generation')`, undefined, 'bad_arguments');
}

function countKinds(defs: readonly Definition[]): Record<DefinitionKind, number> {
  const counts: Record<DefinitionKind, number> = { entity: 0, source: 0, feature_view: 0, feature_service: 0 };
  for (const d of defs) counts[d.kind]++;
  return counts;
}

function describeCounts(c: Record<DefinitionKind, number>): string {
  const n = (k: number, one: string, many: string) => `${k} ${k === 1 ? one : many}`;
  return [
    n(c.entity, 'entity', 'entities'),
    n(c.source, 'source', 'sources'),
    n(c.feature_view, 'feature view', 'feature views'),
    n(c.feature_service, 'feature service', 'feature services'),
  ].join(', ');
}

/** A short description for `list`. */
function summarize(d: Definition): string {
  switch (d.kind) {
    case 'entity':
      return `keys ${d.join_keys.map((k) => `${k.name}:${k.type}`).join(', ')}`;
    case 'source':
      return d.path ?? (d.table ? `${d.database}:${d.table}` : 'query');
    case 'feature_view':
      return [
        `${d.features.length} feature${d.features.length === 1 ? '' : 's'}`,
        d.role === 'label' ? 'label' : undefined,
        d.ttl && d.ttl !== '0' ? `ttl ${d.ttl}` : 'no ttl',
        storedDuration(d.allowed_lateness) > 0 ? `allowed lateness ${d.allowed_lateness}` : undefined,
        d.online ? 'online' : undefined,
      ].filter(Boolean).join(', ');
    case 'feature_service':
      return `${d.features.join(', ')}${d.label ? ` -> ${d.label}` : ''}`;
  }
}


/** What `validate` would say about the sources (missing files, columns, types): warnings for plan and apply. */
async function sourceWarnings(roots: SourceRoots, defs: readonly Definition[]): Promise<DefinitionProblem[]> {
  const { checkSources } = await import('../../definitions/source-check.js');
  // Only warnings: a check that cannot run (the engine fails to open) must not stop the plan.
  return checkSources(roots, defs).catch((): DefinitionProblem[] => []);
}

/**
 * Alert settings that work, but not as written (warnings of `validate`, which may run where the secrets are not
 * set, as in CI): a `secret_env` unset here sends every delivery unsigned, which a receiver that verifies refuses
 * (for a day of redeliveries); `redeliver_for` beside `min_interval` is ignored (such alerts are not redelivered:
 * their failed matches count in the next delivery or summary).
 */
function alertSettingWarnings(alerts: readonly { readonly name: string; readonly secret_env?: string; readonly min_interval?: string; readonly redeliver_for?: string }[]): DefinitionProblem[] {
  const out: DefinitionProblem[] = [];
  alerts.forEach((a, i) => {
    if (a.secret_env && !process.env[a.secret_env]) {
      out.push({ file: 'featureguard.yaml', path: `/alerts/${i}/secret_env`, message: `alert '${a.name}': ${a.secret_env} is not set in this environment; a process without it sends this alert's deliveries unsigned` });
    }
    if (a.min_interval !== undefined && storedDuration(a.min_interval) > 0 && a.redeliver_for !== undefined) {
      out.push({ file: 'featureguard.yaml', path: `/alerts/${i}/redeliver_for`, message: `alert '${a.name}': redeliver_for is ignored beside min_interval (such an alert is not redelivered: a failed match counts in its next delivery or held-back summary)` });
    }
  });
  return out;
}

const warningLines = (problems: readonly DefinitionProblem[]) => problems.map((p) => `warning: ${p.file}${p.line ? `:${p.line}` : ''} ${p.path}: ${p.message}`);

function warningText(problems: readonly DefinitionProblem[]): string {
  return [...warningLines(problems), `(${problems.length} source problem${problems.length > 1 ? 's' : ''}: materializations and builds of these views fail or block until fixed; 'featureguard validate' lists them)`].join('\n');
}

function alertWarningText(problems: readonly DefinitionProblem[]): string {
  const n = problems.length;
  return [...warningLines(problems), `(${n} alert filter${n > 1 ? 's' : ''} naming what is not defined: fix ${n > 1 ? 'them' : 'it'} in featureguard.yaml, or the alert stays silent for ${n > 1 ? 'those names' : 'that name'})`].join('\n');
}
