/**
 * What every CLI command gets: output helpers that honour `--json`, and the
 * project opened lazily from `--project` (default: nearest folder upward with
 * `featureguard.yaml`). Heavy modules are imported inside actions so that
 * `featureguard --help` stays fast.
 */
import type { Command, Option } from 'commander';
import { InputError } from '../errors.js';
import { escapeUnsafeText } from '../text-safety.js';
import type { Project } from '../project.js';

export interface CliIo {
  out(text: string): void;
  err(text: string): void;
  isTty: boolean;
}

export interface GlobalOptions {
  project?: string;
  json?: boolean;
}

/** Exit code a command returns: 0 ok, 1 guard blocked or check failed, 2 usage/definition error, 3 runtime failure. */
export type ExitCode = 0 | 1 | 2 | 3;

export interface CommandContext {
  io: CliIo;
  /** Options of the root program (`--project`, `--json`). */
  globals(): GlobalOptions;
  /** Open (once) and return the project. */
  project(): Promise<Project>;
  /** Print `value` as JSON when `--json`, else `human()`'s text. */
  print(value: unknown, human: () => string): void;
  /** Set the process exit code for this command (default 0). */
  setExit(code: ExitCode): void;
}

/** A command module registers its subcommands on the root program. */
export type RegisterCommands = (program: Command, ctx: CommandContext) => void;

/** A comma-separated flag given more than once (`--features a --features b`): its values joined, not the last one only. */
export function joinRepeated(value: string, previous: string | undefined): string {
  return previous === undefined ? value : `${previous},${value}`;
}

/** Rows of text cells as aligned columns, two spaces apart; the first row is the header. */
export function textTable(rows: readonly (readonly string[])[]): string {
  const widths: number[] = [];
  for (const r of rows) r.forEach((c, i) => (widths[i] = Math.max(widths[i] ?? 0, c.length)));
  return rows.map((r) => r.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd()).join('\n');
}

/**
 * A flag that may be given more than once, each value kept (`--entity origin=SEA --entity origin=SFO`). Declared
 * without a default (`--help` would print `(default: [])`): absent, the option is undefined.
 */
export function collect(value: string, previous: readonly string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

/** The parsers of the options whose values add up when repeated: every other value option is taken once. */
const ADDS_UP: ReadonlySet<unknown> = new Set([joinRepeated, collect]);

/**
 * Refuses a value option given twice on `command` or any of its subcommands (`check --view a --view b`, `-p A -p B`,
 * `--out=x --out y`): commander kept the last value, so a CI line meant to guard two views checked one and exited 0.
 * Options parsed by `joinRepeated` or `collect` (`--features`, `--views`, `--entity`) add up instead; flags without
 * a value may be repeated. Call it once, after every option is declared.
 */
export function refuseRepeatedOptions(command: Command): void {
  for (const option of command.options) {
    if (!(option.required || option.optional) || ADDS_UP.has(option.parseArg)) continue;
    const flag = option.long ?? option.flags;
    let first: string | undefined;
    command.on(`option:${option.name()}`, (value: string) => {
      if (first === undefined) {
        first = value;
        return;
      }
      const shown = (v: string) => `'${escapeUnsafeText(v)}'`;
      throw new InputError(
        `${flag} was given twice (${shown(first)}, ${shown(value)}): it takes one value; give it once (run the command once per value)`,
        { option: flag, values: [first, value] },
        'repeated_option',
      );
    });
  }
  for (const sub of command.commands) refuseRepeatedOptions(sub);
}

/** The options `checkRequiredOptionsLast` took over from commander's own (earlier) check. */
const REQUIRED = new WeakSet<Option>();

/** Whether the command must be given `option` (declared with `.requiredOption`). */
function isRequired(option: Option): boolean {
  return option.mandatory || REQUIRED.has(option);
}

/**
 * Required options (`.requiredOption`) of `command` and its subcommands are checked after unknown options, in a
 * `preAction` hook: commander checks them first, so a misspelt one (`dataset build --output x.parquet`) was said as
 * `required option '--out <file>' not specified` instead of `unknown option '--output' (Did you mean --out?)`.
 * The message of one really left out stays commander's. Call it once, after every option is declared.
 */
export function checkRequiredOptionsLast(command: Command): void {
  const required = command.options.filter((o) => o.mandatory);
  for (const option of required) {
    REQUIRED.add(option);
    option.makeOptionMandatory(false);
  }
  if (required.length > 0) {
    command.hook('preAction', (hooked) => {
      for (const option of required) {
        if (hooked.getOptionValue(option.attributeName()) !== undefined) continue;
        hooked.error(`error: required option '${option.flags}' not specified`, { code: 'commander.missingMandatoryOptionValue' });
      }
    });
  }
  for (const sub of command.commands) checkRequiredOptionsLast(sub);
}

/**
 * An option given `""` keeps `""` as its value, whatever its parser would make of it (`Number('')` is 0: `serve
 * --grace "$UNSET"` cut open requests at once), so that `refuseEmptyOptions` refuses it. Options that add up
 * (`joinRepeated`, `collect`) keep their parser. Call it once, after every option is declared; it covers the
 * subcommands.
 */
export function keepEmptyValues(command: Command): void {
  for (const option of command.options) {
    const parse = option.parseArg;
    if (parse && !ADDS_UP.has(parse)) option.parseArg = <T>(value: string, previous: T): T => (value === '' ? (value as T) : parse(value, previous));
  }
  for (const sub of command.commands) keepEmptyValues(sub);
}

/**
 * A `preAction` hook refusing an option given an empty value (`-o ""`, `--namespace "$NS"` with NS unset): taken
 * as given, `lineage export -o ""` printed to stdout instead of writing a file and `--namespace ""` wrote an empty
 * namespace. Hooked on a command, it covers its subcommands.
 *
 * @example
 * program.command('runs').hook('preAction', refuseEmptyOptions);
 */
export function refuseEmptyOptions(_hooked: Command, command: Command): void {
  const values = command.opts<Record<string, unknown>>();
  for (const option of command.options) {
    if (values[option.attributeName()] !== '') continue;
    const flag = option.long ?? option.flags;
    const what = option.flags.match(/<[^>]+>/)?.[0] ?? 'a value';
    throw new InputError(`${flag} is empty: give ${what}${isRequired(option) ? '' : ', or leave the option out'}`, { option: flag }, 'empty_option');
  }
}
