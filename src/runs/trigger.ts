/**
 * What started a run, recorded with it (`runs.trigger`): the CLI, the SDK (the default), an HTTP request (with
 * the id and name of the API key it presented — never the key) or the scheduler. The CLI sets its process's
 * default once (`setDefaultRunTrigger`); the server passes each request's and each scheduled job's trigger to the
 * service that creates the run (`runs.create({ …, trigger })`). Not an `AsyncLocalStorage`: enabling one makes
 * every promise of the process pay for its hooks (about 3× the cost of an `await` in Node 20), the online
 * routes' included.
 *
 * @example
 * project.runs.create({ kind: 'push', view: 'v', trigger: ctx.auth.runTrigger(c) });
 */

export interface RunTrigger {
  readonly source: 'cli' | 'sdk' | 'api' | 'schedule';
  /** The API key of an HTTP request, when it presented one. */
  readonly key_id?: string;
  readonly key_name?: string | null;
}

const SDK: RunTrigger = { source: 'sdk' };
let processDefault: RunTrigger = SDK;

/** The trigger of runs created without one in this process: the SDK, unless the CLI set its own. */
export function defaultRunTrigger(): RunTrigger {
  return processDefault;
}

/** Set the process's default trigger (`undefined`: the SDK again); returns the one it replaces. */
export function setDefaultRunTrigger(trigger: RunTrigger | undefined): RunTrigger {
  const before = processDefault;
  processDefault = trigger ?? SDK;
  return before;
}

/** A trigger as one phrase: `cli`, `api (key ci-bot, 3f2a…)`. */
export function describeRunTrigger(trigger: RunTrigger): string {
  if (trigger.key_id === undefined) return trigger.source;
  return `${trigger.source} (key ${trigger.key_name ? `${trigger.key_name}, ` : ''}${trigger.key_id})`;
}
