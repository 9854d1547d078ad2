/**
 * What started a run, recorded with it (`runs.trigger`): the CLI, the SDK (the default), an HTTP request (with
 * the id and name of the API key it presented — never the key) or the scheduler. The edges set it around the work
 * they start (`withRunTrigger`); `runs.create` reads it, so no service has to pass it along.
 *
 * @example
 * await withRunTrigger({ source: 'cli' }, () => program.parseAsync(argv)); // runs created inside say `cli`
 */
import { AsyncLocalStorage } from 'node:async_hooks';

export interface RunTrigger {
  readonly source: 'cli' | 'sdk' | 'api' | 'schedule';
  /** The API key of an HTTP request, when it presented one. */
  readonly key_id?: string;
  readonly key_name?: string | null;
}

const current = new AsyncLocalStorage<RunTrigger>();

/** Run `fn` with runs created inside it (in its async continuations too) recording `trigger`. */
export function withRunTrigger<T>(trigger: RunTrigger, fn: () => T): T {
  return current.run(trigger, fn);
}

/** The trigger of a run created now: the innermost `withRunTrigger`, else the SDK. */
export function currentRunTrigger(): RunTrigger {
  return current.getStore() ?? { source: 'sdk' };
}

/** A trigger as one phrase: `cli`, `api (key ci-bot, 3f2a…)`. */
export function describeRunTrigger(trigger: RunTrigger): string {
  if (trigger.key_id === undefined) return trigger.source;
  return `${trigger.source} (key ${trigger.key_name ? `${trigger.key_name}, ` : ''}${trigger.key_id})`;
}
