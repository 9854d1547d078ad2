/**
 * What every CLI command gets: output helpers that honour `--json`, and the
 * project opened lazily from `--project` (default: nearest folder upward with
 * `featureguard.yaml`). Heavy modules are imported inside actions so that
 * `featureguard --help` stays fast.
 */
import type { Command } from 'commander';
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
