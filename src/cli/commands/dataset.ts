/** Placeholder until the owner of the `dataset` commands writes this module: registers nothing. */
import type { Command } from 'commander';
import type { CommandContext } from '../context.js';

export function registerDatasetCommands(_program: Command, _ctx: CommandContext): void {}
