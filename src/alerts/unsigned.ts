/**
 * Alerts whose `secret_env` is unset in this process: each of their deliveries goes out unsigned, which a receiver
 * that verifies refuses (retried, redelivered for `redeliver_for`, then given up). `validate` warns where the
 * secrets may be missing on purpose (CI); the processes that send say it too: `serve` at start (`warnUnsignedAlerts`
 * with its log), a CLI command or SDK process on its first unsigned delivery of each alert (`deliver` calls
 * `warnUnsignedOnce`), once per process.
 *
 * @example
 * const undo = routeUnsignedWarnings((line) => io.err(`warning: ${line}`)); // a CLI command's stderr
 * try { await run(); } finally { undo(); }
 */
import type { AlertConfig } from '../definitions/types.js';

/** Where a warning goes: its text, and the alert and variable it is about (a structured log's fields). */
export type UnsignedWarningSink = (message: string, fields: { alert: string; secret_env: string }) => void;

/** An SDK process's default: a Node process warning (`process.on('warning')` sees it; `--no-warnings` hides it). */
const processWarning: UnsignedWarningSink = (message) => process.emitWarning(message, { type: 'FeatureguardWarning', code: 'FEATUREGUARD_UNSIGNED_ALERT' });

interface Scope {
  say: UnsignedWarningSink;
  warned: Set<string>;
}

let scope: Scope = { say: processWarning, warned: new Set() };

/** The warning for an alert whose secret is unset. */
export function unsignedMessage(alert: Pick<AlertConfig, 'name' | 'secret_env'>): string {
  return `alert '${alert.name}': ${alert.secret_env} is not set in this process's environment; its deliveries go unsigned (no X-Featureguard-Signature), which a receiver that verifies refuses. Set it and restart: deliveries still kept for redelivery then go signed`;
}

/** Whether the alert names a `secret_env` this process does not have (empty counts as unset: nothing to sign with). */
export function secretUnset(alert: Pick<AlertConfig, 'secret_env'>): boolean {
  return Boolean(alert.secret_env) && !process.env[alert.secret_env!];
}

/** Say once, in the current scope, that `alert` goes unsigned (no-op when its secret is set or it has none). */
export function warnUnsignedOnce(alert: Pick<AlertConfig, 'name' | 'secret_env'>, say: UnsignedWarningSink = scope.say): void {
  if (!secretUnset(alert)) return;
  const key = `${alert.name}\u0000${alert.secret_env}`;
  if (scope.warned.has(key)) return;
  scope.warned.add(key);
  say(unsignedMessage(alert), { alert: alert.name, secret_env: alert.secret_env! });
}

/** Say, once each, which of `alerts` go unsigned (`serve` at start, into its log). */
export function warnUnsignedAlerts(alerts: readonly Pick<AlertConfig, 'name' | 'secret_env'>[], say: UnsignedWarningSink = scope.say): void {
  for (const alert of alerts) warnUnsignedOnce(alert, say);
}

/**
 * Send the warnings to `say` (a CLI command's stderr) until the returned function is called; within, each alert is
 * warned about once (a CLI command is one process: run in-process by tests, each command says it again).
 */
export function routeUnsignedWarnings(say: UnsignedWarningSink): () => void {
  const previous = scope;
  scope = { say, warned: new Set() };
  return () => {
    scope = previous;
  };
}
