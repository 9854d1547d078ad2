/**
 * Who applied a registry version, recorded with each apply (`registry_applies.applied_by`): over HTTP the API key's
 * id and name (never the key; none when the server needs no key), from the CLI or the SDK the OS user and host.
 * `source` is the one runs record as their trigger (`cli`, `sdk`, `api`).
 *
 * @example
 * registry.apply(defs, { appliedBy: httpAppliedBy(ctx.auth.runTrigger(c)) });
 * describeAppliedBy({ source: 'cli', user: 'alice', host: 'build-7' }); // 'cli alice@build-7'
 */
import { hostname, userInfo } from 'node:os';
import { defaultRunTrigger, describeRunTrigger, type RunTrigger } from '../runs/trigger.js';

export interface AppliedBy {
  readonly source: RunTrigger['source'];
  /** The API key of an HTTP apply, when it presented one. */
  readonly key_id?: string;
  readonly key_name?: string | null;
  /** The OS user and host of a CLI or SDK apply. */
  readonly user?: string;
  readonly host?: string;
}

/** This process: the CLI's or the SDK's source, with the OS user (null when the system has none for it) and host. */
export function localAppliedBy(): AppliedBy {
  let user: string | undefined;
  try {
    user = userInfo().username;
  } catch {
    user = process.env.USER ?? undefined; // a uid without a passwd entry (some containers)
  }
  return { source: defaultRunTrigger().source, ...(user ? { user } : {}), host: hostname() };
}

/** An HTTP request's: the trigger its runs record (`ctx.auth.runTrigger(c)`). */
export function httpAppliedBy(trigger: RunTrigger): AppliedBy {
  return { ...trigger };
}

/** As one phrase: `cli alice@build-7`, `api (key ci-bot, 3f2a…)`. */
export function describeAppliedBy(a: AppliedBy): string {
  if (a.key_id !== undefined || a.source === 'api') return describeRunTrigger(a);
  return `${a.source}${a.user || a.host ? ` ${a.user ?? '?'}@${a.host ?? '?'}` : ''}`;
}
