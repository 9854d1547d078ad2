/**
 * `featureguard materialize`, `featureguard online get` and `featureguard online drop`: thin wrappers over
 * `materialize()`, `getOnlineFeatures()` and `dropOnlineValues()`.
 *
 * @example
 * featureguard materialize --start 2001-01-01 --end 2001-01-08 --views airport_hourly
 * featureguard materialize --incremental
 * featureguard online get --features airport_hourly:mean_delay --entity origin=SEA,SFO
 * featureguard online drop airport_hourly --yes
 */
import type { Command } from 'commander';
import { InputError, isFeatureguardError } from '../../errors.js';
import type { MaterializeResult } from '../../materialize/types.js';
import { guardsSkipped } from './quality-format.js';
import { failCount } from '../../runs/count-text.js';
import { runReasonLine } from '../../runs/run-reason.js';
import type { OnlineFeaturesResponse } from '../../serving/online-features-types.js';
import { collect, joinRepeated, textTable, type CommandContext } from '../context.js';
import { onInterrupt } from '../../state/interrupt.js';
import { BIDI_CONTROL_CLASS, escapeUnsafeText, UNSAFE_TEXT } from '../../text-safety.js';

/** A comma-separated flag value; given but naming nothing (`--views ''`) is a usage error, not "all". */
const list = (text: string | undefined, flag = '--views'): string[] | undefined => {
  if (text === undefined) return undefined;
  const names = text.split(',').map((s) => s.trim()).filter(Boolean);
  if (names.length === 0) throw new InputError(`${flag} is empty; ${flag === '--views' ? 'leave it out for every online view' : 'name at least one'}`);
  return names;
};


function formatResults(results: readonly MaterializeResult[]): string {
  const rows = [['VIEW', 'STATUS', 'WINDOW', 'ROWS READ', 'ENTITIES WRITTEN', 'SKIPPED (NOT NEWER)', 'CHECKS', 'RUN']];
  for (const r of results) {
    const c = r.counts;
    rows.push([
      r.view,
      r.status,
      `${r.window.start} .. ${r.window.end}`,
      String(r.rowsRead),
      String(r.entitiesWritten),
      String(r.skipped),
      guardsSkipped(r.run) ? 'guards off' : `${c.pass} pass, ${c.warn} warn, ${r.run ? failCount(r.run, 'fail') : `${c.fail} fail`}, ${c.error} error`,
      r.run?.id ?? '-',
    ]);
  }
  // A message may quote the data (a check's slice value): escaped, as `runs show` writes it. A warned run has no
  // message of its own: its worst check says why, as in `runs list` (`… (and 2 more)`).
  const notes = results.flatMap((r) => {
    const message = r.message ?? (r.status === 'warned' && r.run ? runReasonLine(r.run, r.checks, Infinity) : '');
    return message ? [`${r.view}: ${r.status}: ${escapeUnsafeText(message)}`] : [];
  });
  return [textTable(rows), ...notes].join('\n');
}

/**
 * `{origin: ['SEA', 'SFO']}` from `--entity origin=SEA,SFO` or repeated `--entity origin=SEA --entity origin=SFO`.
 * A comma inside a value is written `\,` (`--entity 'sku=SKU\\,X'`), a backslash `\\`.
 */
export function parseEntityFlags(flags: readonly string[]): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const flag of flags) {
    for (const part of flag.split(/\s+(?=[^=\s]+=)/)) {
      const eq = part.indexOf('=');
      if (eq <= 0) throw new Error(`--entity expects key=value (e.g. origin=SEA), got '${part}'`);
      const key = part.slice(0, eq).trim();
      (out[key] ??= []).push(...splitValues(part.slice(eq + 1)));
    }
  }
  return out;
}

/** Values split at commas not escaped by a backslash, trimmed; `\,` is a comma and `\\` a backslash. */
function splitValues(text: string): string[] {
  const values: string[] = [];
  let current = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '\\' && (text[i + 1] === ',' || text[i + 1] === '\\')) current += text[++i];
    else if (c === ',') {
      values.push(current.trim());
      current = '';
    } else current += c;
  }
  values.push(current.trim());
  return values;
}

/** A length mismatch after a value was split at a comma: say how to keep a comma in a value. */
function withCommaHint(e: unknown, flags: readonly string[]): unknown {
  if (!isFeatureguardError(e) || e.code !== 'bad_entity' || !/different lengths/.test(e.message) || !splitAtComma(flags)) return e;
  e.message = `${e.message}: --entity splits values at commas; write a comma inside a value as \\, (--entity 'sku=SKU\\,X')`;
  return e;
}

/** Whether an `--entity` flag split a value at a comma (a length mismatch then says how to keep the comma). */
const splitAtComma = (flags: readonly string[]) => flags.some((f) => /(^|[^\\]),/.test(f));

/** What JSON.stringify leaves as it is of the unsafe characters (DEL, C1 controls, bidirectional controls). */
const UNESCAPED_BY_JSON = new RegExp(`[\\u007f-\\u009f${BIDI_CONTROL_CLASS}]`, 'g');

/** A value that is no string as JSON, but for NaN and ±Infinity (JSON's null, as if missing): shown as numbers. */
function cellText(v: unknown): string {
  if (typeof v === 'number' && !Number.isFinite(v)) return String(v);
  if (Array.isArray(v) && v.some((x) => typeof x === 'number' && !Number.isFinite(x))) return `[${v.map(cellText).join(',')}]`;
  return JSON.stringify(v);
}

function formatOnline(res: OnlineFeaturesResponse): string {
  const names = res.metadata.feature_names;
  const n = res.results[0]?.values.length ?? 0;
  const rows = [names.map((x) => x.toUpperCase())];
  for (let i = 0; i < n; i++) {
    rows.push(
      res.results.map((r) => {
        const v = r.values[i];
        if (r.statuses[i] !== 'PRESENT') return `(${r.statuses[i].toLowerCase()})`;
        // A string with control or direction-changing characters is shown quoted and escaped (it could clear the
        // terminal or retitle it); `--json` gives the value as stored.
        return typeof v === 'string' ? (UNSAFE_TEXT.test(v) ? JSON.stringify(v).replace(UNESCAPED_BY_JSON, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`) : v) : cellText(v);
      }),
    );
  }
  return textTable(rows);
}

/** Ask `question` on the terminal: true for y or yes. */
async function confirm(question: string): Promise<boolean> {
  const { createInterface } = await import('node:readline/promises');
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return /^y(es)?$/i.test((await rl.question(question)).trim());
  } finally {
    rl.close();
  }
}

function dropText(r: import('../../online/drop-view.js').DropOnlineValuesResult): string {
  const what = {
    dropped: `dropped the online values of '${r.view}' (${r.store} store) and forgot its ${r.intervalsForgotten} materialized window(s)`,
    deferred: `a materialization (or a push) is writing '${r.view}': it drops the values when it ends (its run fails, saying so); reads of the view answer NOT_FOUND from now on`,
    pending: `another drop of '${r.view}' held it too long: the drop stays pending (reads answer NOT_FOUND; a running serve or the next materialization does it); run this command again in a moment`,
  }[r.outcome];
  return `${what}\nrebuild: ${r.rebuild}`;
}

export function registerMaterializeCommands(program: Command, ctx: CommandContext): void {
  program
    .command('materialize')
    .description('copy the latest feature values of a time window [start, end) into the online store, after the guards pass')
    .option('--start <time>', 'window start, inclusive (ISO 8601, UTC unless a zone is given)')
    .option('--end <time>', 'window end, exclusive (default: now)')
    .option('--views <names>', 'comma-separated feature views (default: every online view; repeatable)', joinRepeated)
    .option('--incremental', "start where the last successful window ended, less the view's allowed_lateness (first run: now - ttl, or the source's earliest row when the ttl is 0)")
    .option('--no-guards', 'skip the guard stage (not recommended)')
    .addHelpText('after', '\nDry run: featureguard check --view NAME --start TIME --end TIME runs the same guards on the window and writes nothing.\n')
    .action(async (opts: { start?: string; end?: string; views?: string; incremental?: boolean; guards: boolean }) => {
      const { InputError } = await import('../../errors.js');
      if (!opts.incremental && opts.start === undefined) throw new InputError('give --start (and optionally --end), or --incremental');
      if (opts.incremental && opts.start !== undefined) throw new InputError('--incremental computes the start itself: drop --start');
      const project = await ctx.project();
      const { materialize } = await import('../../materialize/materialize.js');
      const showProgress = ctx.io.isTty && !ctx.globals().json;
      const bars = new Map<string, import('cli-progress').SingleBar>();
      let multi: import('cli-progress').MultiBar | undefined;
      if (showProgress) {
        const { MultiBar, Presets } = await import('cli-progress');
        multi = new MultiBar({ format: '{view} [{bar}] {value}/{total} entities', hideCursor: true, clearOnComplete: true }, Presets.shades_classic);
      }
      // A Ctrl-C stops the bars first: the terminal gets its cursor back and the message a line of its own.
      const undoBars = multi ? onInterrupt(() => multi?.stop()) : () => undefined;
      try {
        const results = await materialize(project, {
          start: opts.start,
          end: opts.end,
          views: list(opts.views),
          incremental: opts.incremental === true,
          guards: opts.guards,
          onProgress: multi
            ? (p) => {
                let bar = bars.get(p.view);
                if (!bar) bars.set(p.view, (bar = multi!.create(p.entitiesTotal, 0, { view: p.view })));
                bar.update(p.entitiesWritten);
              }
            : undefined,
        });
        multi?.stop();
        ctx.print(results, () => formatResults(results));
        if (results.some((r) => r.status === 'failed')) ctx.setExit(3);
        else if (results.some((r) => r.status === 'blocked')) ctx.setExit(1);
      } finally {
        undoBars();
        multi?.stop();
      }
    });

  const online = program.command('online').description('read the online store, drop a view\'s online values');
  online
    .command('drop')
    .description("drop a view's online values on the configured store (every Redis master), reset its session keys and forget its materialized windows, to rebuild them")
    .argument('<view>', 'the feature view')
    .option('--yes', 'do not ask for confirmation (needed when not on a terminal)')
    .addHelpText('after', "\nReads of the view answer NOT_FOUND from the drop until it is materialized again; the command prints how.\nA materialization holding the view's lease drops the values itself when it ends (its run fails).\n")
    .action(async (view: string, opts: { yes?: boolean }) => {
      const { InputError } = await import('../../errors.js');
      if (!opts.yes) {
        if (!ctx.io.isTty || !process.stdin.isTTY) throw new InputError(`dropping the online values of '${view}' needs confirmation: pass --yes (not on a terminal)`, { view }, 'confirmation_required');
        if (!(await confirm(`Drop every online value of feature view '${view}'? Reads answer NOT_FOUND until it is materialized again. [y/N] `))) {
          ctx.io.err('nothing dropped');
          ctx.setExit(1);
          return;
        }
      }
      const project = await ctx.project();
      const { dropOnlineValues } = await import('../../online/drop-view.js');
      const r = await dropOnlineValues(project, view);
      ctx.print(r, () => dropText(r));
      if (r.outcome === 'pending') ctx.setExit(3);
    });

  online
    .command('get')
    .description('read online features for entities (the same response as POST /v1/online-features)')
    .option('--features <refs>', 'comma-separated references view:feature or view (repeatable)', joinRepeated)
    .option('--service <name>', 'a feature service instead of --features')
    .option('--entity <key=value>', 'entity key values, repeatable: --entity origin=SEA --entity origin=SFO (or origin=SEA,SFO; a comma inside a value is \\,)', collect)
    .option('--full-feature-names', 'name features view__feature')
    .action(async (opts: { features?: string; service?: string; entity?: string[]; fullFeatureNames?: boolean }) => {
      const { InputError } = await import('../../errors.js');
      // Said with the flags (the serving layer names the HTTP body's fields, `feature_service`).
      if (opts.features !== undefined && opts.service !== undefined) throw new InputError('give --features or --service, not both', undefined, 'usage');
      if (opts.features === undefined && opts.service === undefined) throw new InputError('give --features (view:feature references) or --service (a feature service)', undefined, 'usage');
      if (!opts.entity?.length) throw new InputError('give at least one --entity key=value');
      let entities: Record<string, string[]>;
      try {
        entities = parseEntityFlags(opts.entity);
      } catch (e) {
        throw new InputError((e as Error).message);
      }
      const project = await ctx.project();
      const { getOnlineFeatures, getOnlineFeaturesJson } = await import('../../serving/online-features.js');
      const request = { features: list(opts.features, '--features'), service: opts.service, entities, fullFeatureNames: opts.fullFeatureNames === true };
      // --json: the text POST /v1/online-features answers (NaN as "NaN", an int64 beyond ±2^53 as its digits), not
      // JSON.stringify of the SDK's values, which writes NaN as null.
      try {
        if (ctx.globals().json) {
          ctx.io.out(await getOnlineFeaturesJson(project, request));
          return;
        }
        const res = await getOnlineFeatures(project, request);
        ctx.print(res, () => formatOnline(res));
      } catch (e) {
        throw withCommaHint(e, opts.entity);
      }
    });
}
