/**
 * Server commands: `serve`, `keys create|list|revoke`, `push`. Thin: parse flags,
 * call the service, print.
 */
import type { Command } from 'commander';
import { textTable, type CommandContext } from '../context.js';

/** `--grace` text as a number; blank text is no number (`Number(' ')` is 0), and is refused as out of range. */
const seconds = (text: string): number => (text.trim() === '' ? Number.NaN : Number(text));

/** The signals that stop `serve` gracefully (a second one stops it at once). */
const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

export function registerServeCommands(program: Command, ctx: CommandContext): void {
  program
    .command('serve')
    .description('serve the HTTP API (online features, push, materialize, datasets, registry, runs, /ui) and run view schedules')
    .option('--host <host>', 'address to listen on (default server.host or 127.0.0.1; beyond loopback needs API keys)')
    .option('--port <port>', 'port (default server.port or 6567)', (v) => (/^[0-9]{1,5}$/.test(v) ? Number(v) : Number.NaN))
    .option('--quiet', 'no log line per request')
    .option('--no-scheduler', 'do not run view schedules')
    .option('--grace <seconds>', 'on a stop signal, how long open requests may run before their connections are cut (default 30)', seconds)
    .option('--public-url <url>', 'the address webhook receivers reach the server at, for absolute links in webhook bodies (default server.public_url)')
    .action(async (opts: { host?: string; port?: number; quiet?: boolean; scheduler?: boolean; grace?: number; publicUrl?: string }) => {
      const { InputError } = await import('../../errors.js');
      if (opts.port !== undefined && (!Number.isInteger(opts.port) || opts.port < 0 || opts.port > 65535)) {
        throw new InputError(`--port must be an integer from 0 to 65535`);
      }
      // Below the orchestrator's own (Kubernetes' terminationGracePeriodSeconds, 30 s by default), or it kills first.
      if (opts.grace !== undefined && !(opts.grace >= 0 && opts.grace <= 86_400)) throw new InputError('--grace must be a number of seconds from 0 to 86400');
      const opened = await ctx.project();
      const project = opts.publicUrl === undefined ? opened : (await import('../../project.js')).withPublicUrl(opened, opts.publicUrl);
      const { startServer } = await import('../../server/serve.js');
      const { exitInterrupted } = await import('../../state/interrupt.js');
      // Handled from before the start: between the 'featureguard serving' line and the handlers below, a signal
      // had its default action (a SIGHUP right after the line killed serve, its catch-up run left `running`). One
      // that comes while starting is acted on once the server is up; a second one exits at once.
      let early: NodeJS.Signals | undefined;
      const onEarly = (signal: NodeJS.Signals) => {
        if (early) process.exit(128 + (signal === 'SIGINT' ? 2 : signal === 'SIGHUP' ? 1 : 15));
        early = signal;
      };
      for (const s of SIGNALS) process.on(s, onEarly);
      let server: Awaited<ReturnType<typeof startServer>>;
      try {
        server = await startServer(project, { host: opts.host, port: opts.port, quiet: opts.quiet, scheduler: opts.scheduler, shutdownGraceMs: opts.grace === undefined ? undefined : opts.grace * 1000 });
      } finally {
        for (const s of SIGNALS) process.off(s, onEarly);
      }
      await new Promise<void>((resolve) => {
        let stopping = false;
        const stop = (signal: NodeJS.Signals) => {
          if (stopping) {
            // A second signal: stop now. The runs still going are marked failed (not left `running` for good),
            // temp files removed; leases expire or are taken over.
            exitInterrupted(signal, (line) => server.log.warn({ signal }, line), `stopped at once (${signal})`);
          }
          stopping = true;
          // In the server's JSON log, beside its 'featureguard serving' and 'featureguard stopped' lines.
          server.log.info({ signal, grace_s: server.shutdownGraceMs / 1000 }, 'stopping: finishing the work under way (open requests up to grace_s); a second signal stops at once');
          void server.close().then(
            () => {
              for (const s of SIGNALS) process.off(s, stop);
              resolve();
            },
            // Requests outlived the grace time: what still runs is failed as on a second signal (the project
            // was closed under them, their runs left `running`, and the exit said all was well).
            (e: Error) => exitInterrupted(signal, (line) => server.log.warn({ signal }, line), `stopped after the grace time (${signal}): ${e.message}`),
          );
        };
        // SIGHUP too: a closed terminal or ssh session killed serve without stopping its runs.
        for (const s of SIGNALS) process.on(s, stop);
        if (early) stop(early);
      });
    });

  const keys = program.command('keys').description('API keys for the server (scopes: read ⊂ write ⊂ admin)');
  keys
    .command('create')
    .description('create a key; it is printed once and only its hash is stored')
    .requiredOption('--scope <scope>', 'read, write or admin')
    .option('--name <name>', 'a label to recognise the key by')
    .action(async (opts: { scope: string; name?: string }) => {
      const { isScope, keyStoreFor, shownKey } = await import('../../auth/keys.js');
      const { InputError } = await import('../../errors.js');
      if (!isScope(opts.scope)) throw new InputError(`--scope must be read, write or admin (got '${opts.scope}')`);
      const project = await ctx.project();
      const { key, info } = keyStoreFor(project.state).create(opts.scope, opts.name);
      ctx.print({ ...shownKey(info), key }, () =>
        [`Created ${info.scope} key ${info.id}${info.name ? ` (${info.name})` : ''}. Store it now, it is not shown again:`, '', `  ${key}`, ''].join('\n'),
      );
    });
  keys
    .command('list')
    .description('list keys (id, name, scope, created, last used, revoked)')
    .action(async () => {
      const { keyStoreFor, shownKey } = await import('../../auth/keys.js');
      const { shortTime } = await import('../../registry/format.js');
      const list = keyStoreFor((await ctx.project()).state).list();
      ctx.print(list.map(shownKey), () => {
        if (list.length === 0) return 'No API keys: the server listens on loopback only and allows every request.';
        // Times as `list` and `runs list` write them (`2026-12-03 20:09:27Z`); --json keeps them ISO.
        const rows = list.map((k) => [k.id, k.name ?? '', k.scope, shortTime(k.created_at), k.last_used_at ? shortTime(k.last_used_at) : '-', k.revoked_at ? `revoked ${shortTime(k.revoked_at)}` : 'active']);
        const head = ['ID', 'NAME', 'SCOPE', 'CREATED', 'LAST USED', 'STATE'];
        return textTable([head, ...rows]);
      });
    });
  keys
    .command('revoke')
    .description('revoke a key by id, or by the key itself (a leaked key; takes effect at once in running servers)')
    .argument('<id>', 'key id, as shown by keys list, or the key')
    .action(async (id: string) => {
      const { keyStoreFor, shownKey } = await import('../../auth/keys.js');
      const info = keyStoreFor((await ctx.project()).state).revoke(id);
      ctx.print(shownKey(info), () => `Revoked key ${info.id}.`);
    });

  program
    .command('push')
    .description('push rows (JSON or Parquet) into a view after the guards: to the online store, the offline source, or both')
    .requiredOption('--view <view>', 'feature view')
    .requiredOption('--file <file>', 'rows.json (array of rows, {rows: [...]} or Feast {df: {...}}) or rows.parquet')
    .option('--to <to>', 'online, offline or both', 'online')
    .action(async (opts: { view: string; file: string; to: string }) => {
      const { InputError } = await import('../../errors.js');
      if (!['online', 'offline', 'both'].includes(opts.to)) throw new InputError(`--to must be online, offline or both (got '${opts.to}')`);
      const project = await ctx.project();
      const { readPushFile, textColumnsOf } = await import('../../serving/push-file.js');
      const { rows, feast } = await readPushFile(project, opts.file, textColumnsOf(project.registry.current(), opts.view));
      if (feast && rows.length === 0) {
        // An empty frame pushes nothing and records no run, as POST /push answers Feast's body (and Feast's server).
        const { getView } = await import('../../definitions/definition-set.js');
        getView(project.registry.current(), opts.view);
        ctx.print({ status: 'success', to: opts.to, rows: 0, views: [] }, () => `Nothing pushed to ${opts.view}: the file's df has no rows (no run recorded).`);
        return;
      }
      const { push } = await import('../../serving/push.js');
      // A Feast `{df}` file is pushed as POST /push takes Feast's body: columns the view lacks left out, `created`
      // the created timestamp.
      const result = await push(project, { view: opts.view, rows, to: opts.to as 'online' | 'offline' | 'both', ignoreUnknownColumns: feast });
      if (result.status === 'blocked') ctx.setExit(1);
      ctx.print(result, () =>
        result.status === 'blocked'
          ? `Push to ${result.view} BLOCKED (run ${result.run_id}): ${result.blocked_reason ?? ''}; nothing was written.`
          : `Pushed ${result.rows} row${result.rows === 1 ? '' : 's'} to ${result.view} (${result.to}; run ${result.run_id}, ${result.status}): ` +
            `${result.written} written online, ${result.skipped} skipped (not newer than the stored value)` +
            `${result.superseded > 0 ? `, ${result.superseded} superseded (a newer row of the same entity in this push)` : ''}${result.file ? `; file ${result.file}` : ''}` +
            `${result.ignored_columns ? `; columns left out: ${result.ignored_columns.join(', ')}` : ''}.`,
      );
    });
}
