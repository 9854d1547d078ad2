/**
 * `featureguard dataset build`: a point-in-time-correct training dataset to a
 * file (Parquet, Arrow IPC, CSV, JSON) with a manifest beside it. Exit code 1
 * when a blocking check failed (nothing written), 2 for bad input.
 */
import type { Command } from 'commander';
import { resolve } from 'node:path';
import { InputError } from '../../errors.js';
import { escapeUnsafeText } from '../../text-safety.js';
import { failCount } from '../../runs/count-text.js';
import { formatCheckResult } from './quality-format.js';
import { parseInstant } from '../../time/instant.js';
import { joinRepeated, type CommandContext } from '../context.js';
import { onInterrupt } from '../../state/interrupt.js';

interface BuildOptions {
  entities?: string;
  entitiesSql?: string;
  features?: string;
  service?: string;
  fullFeatureNames?: boolean;
  availability?: string;
  timestampColumn?: string;
  out?: string;
  format?: string;
  fromManifest?: string;
  strict?: boolean;
  splitAt?: string;
  testFraction?: string;
  allowFailedChecks?: boolean;
}

export function registerDatasetCommands(program: Command, ctx: CommandContext): void {
  const dataset = program.command('dataset').description('point-in-time-correct training datasets');
  dataset
    .command('build')
    .description('join features onto entity rows as of each row\'s timestamp and write the dataset with a manifest')
    .option('--entities <file>', 'entity rows: Parquet or CSV file with join keys and event_timestamp')
    .option('--entities-sql <sql>', 'entity rows from a DuckDB SQL query')
    .option('--features <refs>', 'comma-separated references: view, view:*, view:feature (repeatable)', joinRepeated)
    .option('--service <name>', 'a feature service (its features and its label)')
    .option('--full-feature-names', 'name columns view__feature')
    .option('--availability <mode>', 'event (values with event_timestamp <= the entity timestamp) or created (also created_timestamp <= it)', 'event')
    .option('--timestamp-column <name>', 'timestamp column of the entity rows (output as event_timestamp)')
    .option('--from-manifest <manifest>', 'rebuild the dataset of this FILE.manifest.json: its entity input, request and options, at the definition versions it recorded (default --out: FILE with .rebuilt before its extension)')
    .option('--strict', 'with --from-manifest: refuse when a source changed since the recorded build (default: build from it as it is now and warn)')
    .option('-o, --out <file>', 'output file (.parquet, .arrow or .feather, .csv, .json; .csv.gz, .json.zst compressed; any case); a manifest is written to FILE.manifest.json')
    .option('--format <format>', 'parquet, arrow, csv or json (default: from the extension)')
    .option('--split-at <timestamp>', 'rows at or after this time go to FILE.test.EXT, the rest to FILE.train.EXT')
    .option('--test-fraction <f>', 'split by time: the latest round(f·n) rows, at least one row, and those tied with them are the test part')
    .option('--allow-failed-checks', 'write the outputs even if a blocking check failed')
    .addHelpText('after', '\nExample:\n  featureguard dataset build --entities data/training_entities.parquet --service delay_model --out train.parquet\n')
    .action(async (opts: BuildOptions, cmd: Command) => {
      if (opts.fromManifest !== undefined) return rebuild(ctx, opts, cmd);
      if (opts.strict) throw new InputError('--strict goes with --from-manifest', undefined, 'usage');
      // Required unless --from-manifest (which has a default): said as commander says a required option left out.
      if (opts.out === undefined) cmd.error("error: required option '-o, --out <file>' not specified", { code: 'commander.missingMandatoryOptionValue' });
      if ((opts.entities === undefined) === (opts.entitiesSql === undefined)) throw new InputError('give exactly one of --entities FILE or --entities-sql SQL', undefined, 'usage');
      if (opts.availability !== 'event' && opts.availability !== 'created') throw new InputError(`--availability must be event or created, not '${opts.availability}'`, undefined, 'usage');
      if (opts.splitAt !== undefined && opts.testFraction !== undefined) throw new InputError('give --split-at or --test-fraction, not both', undefined, 'usage');
      const testFraction = opts.testFraction === undefined ? undefined : Number(opts.testFraction);
      if (testFraction !== undefined && Number.isNaN(testFraction)) throw new InputError(`--test-fraction must be a number, not '${opts.testFraction}'`, undefined, 'usage');
      if (opts.splitAt !== undefined) parseInstant(opts.splitAt, '--split-at');
      const project = await ctx.project();
      const { getHistoricalFeatures } = await import('../../offline/historical.js');
      const { locatedManifest, manifestPath } = await import('../../offline/manifest.js');
      const json = ctx.globals().json ?? false;
      const bar = ctx.io.isTty && !json ? await progressBar() : null;
      try {
        const res = await getHistoricalFeatures(project, {
          entities: opts.entities !== undefined ? { kind: 'file', path: opts.entities } : { kind: 'sql', sql: opts.entitiesSql! },
          features: opts.features?.split(',').map((s) => s.trim()).filter(Boolean),
          service: opts.service,
          fullFeatureNames: opts.fullFeatureNames ?? false,
          availability: opts.availability,
          timestampColumn: opts.timestampColumn,
          out: opts.out,
          format: opts.format as 'parquet' | undefined,
          splitAt: opts.splitAt,
          testFraction,
          allowFailedChecks: opts.allowFailedChecks ?? false,
          onProgress: bar ? (p) => bar.update(p.step, { phase: p.phase }) : undefined,
        });
        bar?.stop();
        if (res.status === 'blocked') ctx.setExit(1);
        // --json prints the manifest as written beside the outputs (with `relative_path`); a blocked build wrote none.
        const written = res.outputs.find((o) => o.path !== null)?.path;
        ctx.print(written ? locatedManifest(manifestPath(written), { ...res.manifest, run_id: res.run.id }) : res.manifest, () => {
          const lines: string[] = [];
          if (res.status === 'blocked') {
            // A column retyped upstream (schema.type), whose values a read would change, is not waived by --allow-failed-checks.
            const retyped = res.checks.results.some((r) => r.check === 'schema' && r.method === 'type' && r.status === 'fail');
            const hint = retyped || opts.allowFailedChecks ? 'nothing was written: --allow-failed-checks does not waive a column retyped upstream; write it in its declared type, or declare the type it holds and apply' : 'nothing was written; fix the data or pass --allow-failed-checks';
            lines.push(`dataset blocked by checks (run ${res.run.id}): ${escapeUnsafeText(res.checks.blockedReason ?? '')}`, hint);
          } else {
            for (const o of res.outputs) lines.push(`wrote ${o.rows.toLocaleString('en-US')} row${o.rows === 1 ? '' : 's'} to ${o.path} (${o.part === 'all' ? o.format : `${o.part}, ${o.format}`})`);
            lines.push(`manifest: ${res.outputs.map((o) => `${o.path}.manifest.json`).join(', ')}`);
          }
          // What the manifest notes (a label view selected as features, a label taken from the entity rows).
          for (const n of res.manifest.notes) lines.push(escapeUnsafeText(`note: ${n}`));
          const c = res.checks.counts;
          lines.push(`checks: ${c.pass} pass, ${c.warn} warn, ${failCount({ status: res.status, message: res.run.message, counts: c }, 'fail')}, ${c.error} error, ${c.skipped} skipped — run ${res.run.id} (${res.status})`);
          // As `runs show` writes them: `[fail] (warn) class_imbalance churned: …`, the policy telling a warning from a block.
          for (const r of res.checks.results) if (r.status === 'fail' || r.status === 'warn' || r.status === 'error') lines.push(`  ${formatCheckResult(r)}`);
          return lines.join('\n');
        });
      } finally {
        bar?.stop();
      }
    });

  dataset
    .command('verify <manifest>')
    .description('would building this dataset again give the same rows? Compares its manifest with the applied definitions, the sources, the entity file and the outputs now (exit 1 when something changed)')
    .action(async (manifest: string) => {
      const project = await ctx.project();
      const { verifyDataset } = await import('../../offline/verify-dataset.js');
      const v = await verifyDataset(project, manifest);
      if (!v.reproducible) ctx.setExit(1);
      // The manifest's text (run id, names, paths) is the file's: escaped, as the check lines are.
      ctx.print(v, () => [
        v.reproducible
          ? `reproducible: the definitions, sources and entity rows of run ${v.run_id} (${v.created_at}) are as they were, and the outputs are in place`
          : `NOT reproducible: ${v.differences.length} change${v.differences.length === 1 ? '' : 's'} since run ${v.run_id} (${v.created_at})`,
        ...v.differences.map((d) => `  ${d.what.padEnd(10)} ${d.message}`),
        ...v.notes.map((n) => `  note: ${n}`),
      ].map(escapeUnsafeText).join('\n'));
    });
}

/** The options a rebuild takes from its manifest: refused beside `--from-manifest`. */
const REQUEST_OPTIONS = ['entities', 'entitiesSql', 'features', 'service', 'fullFeatureNames', 'availability', 'timestampColumn', 'splitAt', 'testFraction', 'allowFailedChecks'] as const;

/** `dataset build --from-manifest`: `rebuildDataset`, printed as a build is, with the manifest it rebuilt and the changed sources. */
async function rebuild(ctx: CommandContext, opts: BuildOptions, cmd: Command): Promise<void> {
  const given = REQUEST_OPTIONS.filter((o) => cmd.getOptionValueSource(o) === 'cli').map((o) => `--${o.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`);
  if (given.length > 0) throw new InputError(`--from-manifest takes the request from the manifest: drop ${given.join(', ')}`, undefined, 'usage');
  const { defaultRebuildOut, loadManifest, rebuildDataset } = await import('../../offline/rebuild.js');
  const manifestFile = resolve(opts.fromManifest!);
  const out = opts.out ?? defaultRebuildOut(loadManifest(manifestFile).manifest);
  if (out === null) throw new InputError(`the dataset of ${manifestFile} was built in memory: give --out FILE`, undefined, 'usage');
  const project = await ctx.project();
  const { locatedManifest, manifestPath } = await import('../../offline/manifest.js');
  const json = ctx.globals().json ?? false;
  const bar = ctx.io.isTty && !json ? await progressBar() : null;
  try {
    const res = await rebuildDataset(project, manifestFile, {
      out, format: opts.format as 'parquet' | undefined, strict: opts.strict ?? false,
      onProgress: bar ? (p) => bar.update(p.step, { phase: p.phase }) : undefined,
    });
    bar?.stop();
    if (res.status === 'blocked') ctx.setExit(1);
    const written = res.outputs.find((o) => o.path !== null)?.path;
    ctx.print(written ? locatedManifest(manifestPath(written), { ...res.manifest, run_id: res.run.id }) : res.manifest, () => {
      const lines = [`rebuilt from ${manifestFile} (run ${res.manifest.rebuilt_from?.run_id ?? '?'}) at its definition versions`];
      for (const w of res.warnings) lines.push(`warning: ${w} (built from it as it is now)`);
      if (res.status === 'blocked') lines.push(`dataset blocked by checks (run ${res.run.id}): ${res.checks.blockedReason ?? ''}`, 'nothing was written');
      else {
        for (const o of res.outputs) lines.push(`wrote ${o.rows.toLocaleString('en-US')} row${o.rows === 1 ? '' : 's'} to ${o.path} (${o.part === 'all' ? o.format : `${o.part}, ${o.format}`})`);
        lines.push(`manifest: ${res.outputs.map((o) => `${o.path}.manifest.json`).join(', ')}`);
      }
      const c = res.checks.counts;
      lines.push(`checks: ${c.pass} pass, ${c.warn} warn, ${failCount({ status: res.status, message: res.run.message, counts: c }, 'fail')}, ${c.error} error, ${c.skipped} skipped — run ${res.run.id} (${res.status})`);
      return lines.map(escapeUnsafeText).join('\n');
    });
  } finally {
    bar?.stop();
  }
}

async function progressBar(): Promise<{ update(step: number, payload: { phase: string }): void; stop(): void }> {
  const { SingleBar, Presets } = (await import('cli-progress')).default;
  const bar = new SingleBar({ format: 'dataset {bar} {phase}', stream: process.stderr, clearOnComplete: true, hideCursor: true }, Presets.shades_classic);
  bar.start(4, 0, { phase: 'starting' });
  let stopped = false;
  const stop = () => {
    if (!stopped) (stopped = true), bar.stop();
  };
  // A Ctrl-C stops the bar first: the terminal gets its cursor back and the message a line of its own.
  const undo = onInterrupt(stop);
  return {
    update: (step, payload) => bar.update(step, payload),
    stop: () => {
      undo();
      stop();
    },
  };
}
