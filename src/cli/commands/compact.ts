/**
 * `featureguard compact`: a thin wrapper over `compactPushedFiles()`, which merges the files offline pushes appended
 * to their sources' folders into one file per folder and set of sources reading them.
 *
 * @example
 * featureguard compact --older-than 10m
 * featureguard compact --views airport_hourly --dry-run --json
 */
import type { Command } from 'commander';
import { InputError } from '../../errors.js';
import type { CompactResult, CompactedGroup } from '../../serving/push-compact-types.js';
import { joinRepeated, type CommandContext } from '../context.js';

/**
 * The result as lines: the compactions a stopped process left (finished, or on a dry run pending), one per folder
 * (its files, the file written or why not), then the totals.
 */
export function formatCompact(result: CompactResult): string {
  const lines: string[] = [];
  if (result.recovered > 0) lines.push(`Finished ${result.recovered} compaction(s) a stopped process had left midway.`);
  for (const j of result.pending) {
    const n = `${j.files} file${j.files === 1 ? '' : 's'}`;
    lines.push(j.state === 'running'
      ? `A compaction is merging ${n} in folder ${j.folder} into ${j.file} now (pid ${j.pid}).`
      : `A compaction was interrupted; the next compaction finishes it: ${n}, folder ${j.folder} (merged into ${j.file}).`);
  }
  for (const g of result.groups) {
    const n = `${g.files.length} file${g.files.length === 1 ? '' : 's'}`;
    const read = g.views.length > 0 ? ` (read by ${g.views.join(', ')})` : '';
    if (g.status === 'compacted') lines.push(`${g.folder}${read}: merged ${n}${g.earlier_merged > 0 || (g.pruned_push_files ?? 0) > 0 ? ` ${holding(g)}` : ''}, ${g.rows} rows, into ${g.file}`);
    else if (g.status === 'planned') lines.push(`${g.folder}${read}: would merge ${n} ${holding(g)}${g.reason === null ? '' : `, but not now: ${g.reason}`}`);
    else lines.push(`${g.folder}${read}: ${g.status === 'failed' ? 'FAILED' : 'left'} ${n}: ${g.reason ?? ''}`);
  }
  if (result.groups.length === 0 && result.pending.length === 0) lines.push('Nothing to compact: no folder holds two or more files of finished pushes.');
  else lines.push(result.dry_run ? `Dry run: ${result.files_merged} files would be merged; nothing was changed.` : `Merged ${result.files_merged} files into ${result.files_written}.`);
  if (result.run_id !== null) lines.push(`Recorded as run ${result.run_id} (runs show ${result.run_id}).`);
  return lines.join('\n');
}

/**
 * What a group's files are: `(3 push files)`, `(152 push files, 1 earlier merged file (6 runs))` — an earlier
 * merged file holds the rows of several runs, counted apart from the push files (one run each) — `(1 push file, 2
 * push files whose runs were pruned)`, or for earlier merged files alone, whose runs were pruned, `(re-merging 2
 * earlier merged files whose push runs were pruned)`.
 */
function holding(g: CompactedGroup): string {
  const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;
  // A result of an earlier version has no `pruned_push_files`: its push files all counted as live.
  const prunedFiles = g.pruned_push_files ?? 0;
  const pushFiles = g.files.length - g.earlier_merged;
  const live = pushFiles - prunedFiles;
  // `runs` holds each push file's run and the runs whose rows the earlier merged files hold.
  const mergedRuns = Math.max(0, g.runs.length - pushFiles);
  const merged = plural(g.earlier_merged, 'earlier merged file', 'earlier merged files');
  if (pushFiles === 0 && mergedRuns === 0 && g.earlier_merged > 0) return `(re-merging ${merged} whose push runs were pruned)`;
  const parts = [
    ...(live > 0 || (prunedFiles === 0 && g.earlier_merged === 0) ? [plural(live, 'push file', 'push files')] : []),
    ...(prunedFiles > 0 ? [`${plural(prunedFiles, 'push file', 'push files')} whose run${prunedFiles === 1 ? ' was' : 's were'} pruned`] : []),
    ...(g.earlier_merged > 0 ? [`${merged}${mergedRuns > 0 ? ` (${plural(mergedRuns, 'run', 'runs')})` : ''}`] : []),
  ];
  return `(${parts.join(', ')})`;
}

export function registerCompactCommands(program: Command, ctx: CommandContext): void {
  program
    .command('compact')
    .description("merge the files offline pushes appended (one per push) into one file per folder and set of sources reading them, with the same rows and column types, holding the materialization lease of every view reading them")
    .option('--views <names>', 'only the folders these feature views read, comma-separated (default: every folder holding pushed files; repeatable)', joinRepeated)
    .option('--older-than <duration>', 'only the files of pushes that finished at least this long ago, e.g. 10m, 6h (default: every finished push)')
    .option('--dry-run', 'say what would be merged; change nothing')
    .action(async (opts: { views?: string; olderThan?: string; dryRun?: boolean }) => {
      let views: string[] | undefined;
      if (opts.views !== undefined) {
        views = opts.views.split(',').map((s) => s.trim()).filter(Boolean);
        if (views.length === 0) throw new InputError('--views is empty; leave it out for every folder holding pushed files');
      }
      // --older-than is checked by compactPushedFiles (one message and code for the CLI, the SDK and the API).
      const project = await ctx.project();
      const { compactPushedFiles } = await import('../../serving/push-compact.js');
      const result = await compactPushedFiles(project, { views, olderThan: opts.olderThan, dryRun: opts.dryRun === true });
      ctx.print(result, () => formatCompact(result));
      if (result.groups.some((g) => g.status === 'failed')) ctx.setExit(3);
    });
}
