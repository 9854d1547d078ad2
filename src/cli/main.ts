/**
 * The `featureguard` CLI: a thin layer over the same services the SDK exposes.
 * Each command module registers itself; errors are mapped to exit codes once here.
 */
import { Command, CommanderError, Help } from 'commander';
import { setDefaultRunTrigger } from '../runs/trigger.js';
import { ConflictError, isFeatureguardError } from '../errors.js';
import { isBusy } from '../state/state-db.js';
import type { Project } from '../project.js';
import { checkRequiredOptionsLast, keepEmptyValues, refuseEmptyOptions, refuseRepeatedOptions, type CliIo, type CommandContext, type ExitCode, type GlobalOptions, type RegisterCommands } from './context.js';
import { registerProjectCommands } from './commands/project.js';
import { registerDatasetCommands } from './commands/dataset.js';
import { registerMaterializeCommands } from './commands/materialize.js';
import { registerServeCommands } from './commands/serve.js';
import { registerQualityCommands } from './commands/quality.js';
import { registerCompactCommands } from './commands/compact.js';
import { VERSION } from '../version.js';
import { exitInterrupted } from '../state/interrupt.js';
import { unappliedMessage } from './unapplied-hint.js';
import { routeUnsignedWarnings } from '../alerts/unsigned.js';

const modules: RegisterCommands[] = [
  registerProjectCommands,
  registerDatasetCommands,
  registerMaterializeCommands,
  registerServeCommands,
  registerQualityCommands,
  registerCompactCommands,
];

const defaultIo: CliIo = {
  out: (t) => process.stdout.write(t.endsWith('\n') ? t : `${t}\n`),
  err: (t) => process.stderr.write(t.endsWith('\n') ? t : `${t}\n`),
  isTty: Boolean(process.stdout.isTTY),
};

/** Run the CLI with `argv` (without `node` and the script); resolves to the exit code. */
export async function main(argv: readonly string[], io: CliIo = defaultIo, options: { handleSignals?: boolean } = {}): Promise<number> {
  // A flag the parser refuses comes before the options are known: `--json` among the arguments (not after `--`).
  const end = argv.indexOf('--');
  const jsonArgs = (end < 0 ? argv : argv.slice(0, end)).includes('--json');
  /** A usage error said under --json: its text and the usage hint after it are left to `run`'s `{"error"}`. */
  let quietUsage = false;
  const program = new Command('featureguard')
    .description('A feature store with built-in data-quality guards')
    .version(VERSION)
    .option('-p, --project <dir>', 'project folder (default: nearest folder upward with featureguard.yaml)')
    .option('--json', 'machine-readable JSON output')
    .exitOverride()
    .configureOutput({
      writeOut: (s) => io.out(s.trimEnd()),
      writeErr: (s) => (quietUsage ? undefined : io.err(s.trimEnd())),
      outputError: (s, write) => (jsonArgs ? (quietUsage = true) : write(s)),
    })
    // Each command's help lists --project and --json (they go after the command too), not the program's --version.
    .configureHelp({
      showGlobalOptions: true,
      visibleGlobalOptions(cmd: Command) {
        return Help.prototype.visibleGlobalOptions.call(this as Help, cmd).filter((o) => o.long !== '--version');
      },
    })
    .showHelpAfterError('(add --help for usage)');

  let exit: ExitCode = 0;
  /** A write to stdout or stderr that failed, but for a closed pipe: the command exits 3. */
  let writeError: NodeJS.ErrnoException | undefined;
  let project: Project | undefined;
  let command = '';
  program.hook('preAction', (_program, action) => {
    command = action.name();
  });
  const ctx: CommandContext = {
    io,
    globals: () => program.opts<GlobalOptions>(),
    async project() {
      if (!project) {
        const [{ openProject }, { failOrphanedRunsIfWritable, takeProjectDueAlerts }] = await Promise.all([import('../project.js'), import('../runs/run-store.js')]);
        const dir = program.opts<GlobalOptions>().project;
        // An unset variable in a script (`-p "$DIR"`) must not open whatever project encloses the working directory.
        if (dir !== undefined && dir.trim() === '') {
          const { InputError } = await import('../errors.js');
          throw new InputError('--project is empty: give the project folder, or leave the option out to use the nearest one upward', undefined, 'no_project');
        }
        project = openProject(dir);
        // Runs a killed featureguard process left `running` are failed now, and the alerts due (theirs, and those
        // of runs a signal interrupted) sent (`serve` does it itself, and logs them): two tries of at most 3 s, so
        // that a hook that does not answer holds the command seconds, not the 16 s of a run's own deliveries.
        if (command !== 'serve') failOrphanedRunsIfWritable(project.state);
        // Without alerts configured they are left to a process that has them; one stopped before it stored their
        // deliveries leaves them due (held for a few minutes) for the next.
        const due = command === 'serve' ? [] : takeProjectDueAlerts(project);
        if (due.length > 0) await (await import('../alerts/dispatch.js')).alertOrphanedRuns(project, due, { tries: 2, timeoutMs: 3_000 });
      }
      return project;
    },
    print(value, human) {
      io.out(program.opts<GlobalOptions>().json ? JSON.stringify(value, null, 2) : human());
    },
    setExit(code) {
      exit = code;
    },
  };
  for (const register of modules) register(program, ctx);
  // An option given an empty value (`--out ""`, `--host "$UNSET"`) is a mistake, never "the default": refused
  // with its name. `keys create --name ""` is left to the key store, which says what a key name may be.
  // A parser (`Number`) does not turn it into a value first.
  for (const command of program.commands) if (command.name() !== 'keys') command.hook('preAction', refuseEmptyOptions);
  keepEmptyValues(program);
  // A misspelt option (`--output` for `--out`) is said as unknown, not as the required option it was meant to be.
  checkRequiredOptionsLast(program);
  // A single-value option given twice (`check --view a --view b`) is refused, not "the last one wins".
  refuseRepeatedOptions(program);
  // The executable (not tests calling main in-process): Ctrl-C or a kill runs the registered cleanups
  // synchronously (unfinished runs marked failed, temp files removed) and exits. `serve` shuts down
  // gracefully on its own signal handlers.
  if (options.handleSignals) {
    program.hook('preAction', (_program, command) => {
      if (command.name() === 'serve') return;
      // Under --json, as featureguard's other errors are: one `{"error": …}` document on stderr.
      const say = (signal: NodeJS.Signals) => (line: string) =>
        io.err(program.opts<GlobalOptions>().json ? JSON.stringify({ error: { code: 'interrupted', message: line, details: { signal } } }, null, 2) : line);
      const onSignal = (signal: NodeJS.Signals) => exitInterrupted(signal, say(signal), 'interrupted');
      process.on('SIGINT', onSignal);
      process.on('SIGTERM', onSignal);
      // The terminal or ssh session closed: the same cleanups (a build's temp file was left, its run `running`).
      process.on('SIGHUP', onSignal);
    });
    // A reader that went away (`| head`, `| grep -q`, `2>&1 | true`): stop writing, keep the command's exit code,
    // no stack trace (an unhandled EPIPE exited 1, a guard's "blocked", and could cut an apply short after
    // printing its plan). stderr too: an error said to a closed pipe must still exit 2.
    // Any other write error (a full disk, EIO): the work done stays done, but the output is lost: exit 3, said once
    // on stderr (it was rethrown: a stack trace and exit 1, "blocked"). `process.exitCode` too, for an error that
    // arrives after main() returned.
    for (const stream of [process.stdout, process.stderr]) {
      stream.on('error', (e: NodeJS.ErrnoException) => {
        stream.write = (() => true) as typeof stream.write;
        if (e.code === 'EPIPE' || writeError) return;
        writeError = e;
        process.exitCode = 3;
        if (stream !== process.stdout) return;
        const message = `cannot write the output: ${unexpectedMessage(e)}`;
        process.stderr.write(`${program.opts<GlobalOptions>().json ? JSON.stringify({ error: { code: 'output_failed', message, details: null } }, null, 2) : `error: ${message}`}\n`);
      });
    }
  }

  // An alert sent unsigned (its secret_env unset here) is said once on stderr; `serve` says it in its log instead.
  const unrouteWarnings = routeUnsignedWarnings((message) => io.err(`warning: ${message}`));
  // Runs a command starts say so (`runs.trigger`); `serve`'s requests and schedules pass their own. (Restored
  // after: a test, or a program, may run commands in-process beside its own SDK calls.)
  const triggerBefore = setDefaultRunTrigger({ source: 'cli' });
  const code = await run();
  // A write that failed reports its error a tick later.
  if (options.handleSignals) await new Promise((resolve) => setImmediate(resolve));
  return writeError ? 3 : code;

  /** Parse and run the command; its exit code, errors said as featureguard says them. */
  async function run(): Promise<number> {
    try {
      await program.parseAsync([...argv], { from: 'user' });
      return exit;
    } catch (caught) {
      if (caught instanceof CommanderError) {
        if (caught.exitCode === 0) return 0;
        // Under --json, as featureguard's own usage errors are (it was plain text even then).
        if (quietUsage) io.err(JSON.stringify({ error: { code: 'usage', message: caught.message.replace(/^error: /, ''), details: null } }, null, 2));
        return 2;
      }
      // Another process held the state database's write lock past the busy timeout: a conflict to retry, not a bug.
      const e = isBusy(caught) ? stateBusy(caught) : caught;
      if (isFeatureguardError(e)) {
        // A name in the files but not in the registry: say to apply, not "did you mean" the applied name.
        if (project) e.message = (await unappliedMessage(project, e.code, e.message).catch(() => undefined)) ?? e.message;
        if (program.opts<GlobalOptions>().json) io.err(JSON.stringify({ error: e.toJSON() }, null, 2));
        else io.err(`error: ${e.message}`);
        return e.exitCode;
      }
      // Not one of featureguard's own errors: a runtime failure, said as plainly as the cause allows.
      const message = unexpectedMessage(e);
      if (program.opts<GlobalOptions>().json) io.err(JSON.stringify({ error: { code: 'internal', message, details: null } }, null, 2));
      else io.err(`error: ${message}`);
      if (process.env.FEATUREGUARD_DEBUG && e instanceof Error) io.err(e.stack ?? '');
      return 3;
    } finally {
      await project?.close();
      unrouteWarnings();
      setDefaultRunTrigger(triggerBefore);
    }
  }
}

/** SQLITE_BUSY after the state database's busy timeout, as the retryable conflict `state_busy` (exit 3). */
function stateBusy(e: unknown): ConflictError {
  const code = String((e as { code?: unknown }).code);
  const text = (e instanceof Error ? e.message : String(e)).split('\n')[0];
  return new ConflictError(
    `${text}: another process held the state database's write lock for more than 10 s (an apply, a materialization, a prune, a backup or an open sqlite3 session); try again when it finishes (featureguard runs list shows what this command recorded)`,
    { code },
    'state_busy',
  );
}

/** The message of an unexpected error, with what to do for the causes users meet (a read-only state database, a full disk). */
function unexpectedMessage(e: unknown): string {
  const code = (e as { code?: string } | null)?.code ?? '';
  const text = (e instanceof Error ? e.message : String(e)).split('\n')[0];
  if (code === 'SQLITE_READONLY') return `${text}: the state database (.featureguard/state.db) is read-only for this user`;
  if (code === 'SQLITE_FULL' || code === 'ENOSPC') return `${text}: the disk is full`;
  return text;
}
