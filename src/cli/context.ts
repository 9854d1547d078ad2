/**
 * What every CLI command gets: output helpers that honour `--json`, and the
 * project opened lazily from `--project` (default: nearest folder upward with
 * `featureguard.yaml`). Heavy modules are imported inside actions so that
 * `featureguard --help` stays fast.
 */
import type { Command } from 'commander';
import { InputError } from '../errors.js';
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
    throw new InputError(`${flag} is empty: give ${what}${option.mandatory ? '' : ', or leave the option out'}`, { option: flag }, 'empty_option');
  }
}
