/**
 * Credentials and TLS of a Redis Cluster online store (`online_store.username`, `password_env`, `tls`), and what a
 * node refusing them means. A single node takes them in its URL (`rediss://user:password@host`); a cluster's
 * nodes are `host:port` only, so these keys carry them. The password itself is never in the YAML: `password_env`
 * names the environment variable holding it, as an alert's `secret_env` does.
 *
 * @example
 * // online_store: { type: redis, cluster: ["10.0.0.1:6379"], username: app, password_env: REDIS_PASSWORD, tls: true }
 * const { redisOptions } = clusterCredentials(config); // { username: 'app', password: process.env.REDIS_PASSWORD, tls: {} }
 */
import type { RedisOptions } from 'ioredis';
import { FeatureguardError } from '../errors.js';

export interface RedisCredentialsConfig {
  /** The ACL user of a cluster's nodes (default: Redis's `default` user). */
  readonly username?: string;
  /** The name of the environment variable holding the password of a cluster's nodes. */
  readonly password_env?: string;
  /** Connect to a cluster's nodes over TLS. */
  readonly tls?: boolean;
}

/** The node options of a cluster's credentials; `bad_online_store` when `password_env` names an unset variable. */
export function clusterCredentials(config: RedisCredentialsConfig): Pick<RedisOptions, 'username' | 'password' | 'tls'> {
  const out: Pick<RedisOptions, 'username' | 'password' | 'tls'> = {};
  if (config.username !== undefined) out.username = config.username;
  if (config.password_env !== undefined) {
    const password = process.env[config.password_env];
    if (password === undefined || password === '') {
      const named = envName(config.password_env);
      throw new FeatureguardError('bad_online_store', `online_store.password_env names ${named ?? 'a variable'}, which is not set in this process's environment: set it to the Redis password${named ? '' : ` (the name is not quoted: it is no UPPER_CASE name and may be the password itself; password_env takes the variable's name, not the password)`}`, {
        status: 500, exitCode: 2, details: named ? { password_env: named } : {},
      });
    }
    out.password = password;
  }
  // Node's defaults: the host name is checked against the certificate (see `dnsLookup` in redis-connection.ts).
  if (config.tls) out.tls = {};
  return out;
}

/**
 * `password_env` as it may be quoted: an UPPER_CASE variable name. Anything else may be the password itself,
 * written where its variable's name goes, and is never repeated in a message, its details or a run record.
 */
function envName(name: string): string | undefined {
  return /^[A-Z_][A-Z0-9_]*$/.test(name) ? name : undefined;
}

/** A Redis reply refusing the connection's credentials (or their absence). */
const AUTH_REPLY = /\b(NOAUTH|WRONGPASS)\b/;

/**
 * The configuration error (`online_store_auth`, exit 2) for a Redis that refused this store's credentials, or
 * undefined when `e` is something else. A cluster hides its nodes' reply behind "Failed to refresh slots cache"
 * (`lastNodeError`); `lastError` is the client's last `error` event. Never quotes a password.
 */
export function authProblem(e: unknown, where: string, config: RedisCredentialsConfig & { readonly cluster?: readonly string[] }, lastError?: string): FeatureguardError | undefined {
  const texts = [e instanceof Error ? e.message : '', (e as { lastNodeError?: Error } | null)?.lastNodeError?.message ?? '', lastError ?? ''];
  const reply = texts.map((t) => AUTH_REPLY.exec(t)?.[1]).find((x) => x !== undefined);
  if (reply === undefined) return undefined;
  const cluster = (config.cluster?.length ?? 0) > 0;
  const message =
    reply === 'NOAUTH'
      ? cluster
        ? `the redis online store (${where}) needs a password: set online_store.password_env to the name of an environment variable holding it (and online_store.username for an ACL user)`
        : `the redis online store (${where}) needs a password: give it in online_store.url (redis://:PASSWORD@HOST:PORT/DB, or redis://USER:PASSWORD@… for an ACL user)`
      : cluster
        ? `the redis online store (${where}) refused the user name and password (online_store.username ${config.username ?? 'default'}, the password in ${config.password_env === undefined ? '(none)' : (envName(config.password_env) ?? 'online_store.password_env')}): WRONGPASS; check them`
        : `the redis online store (${where}) refused the user name and password of online_store.url: WRONGPASS; check them`;
  return new FeatureguardError('online_store_auth', message, { status: 500, exitCode: 2, details: { store: 'redis', address: where }, cause: e });
}
