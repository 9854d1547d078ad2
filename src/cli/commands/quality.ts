/** Placeholder until the owner of the `quality` commands writes this module: registers nothing. */
import type { Command } from 'commander';
import type { CommandContext } from '../context.js';

export function registerQualityCommands(_program: Command, _ctx: CommandContext): void {}
