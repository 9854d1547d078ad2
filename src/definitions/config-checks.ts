/**
 * Checks of `featureguard.yaml` whose messages say more than the JSON Schema's (which refuses the same values, so
 * editors flag them): a Redis URL's scheme, `url` with `cluster`, an alert's `checks` and `server.public_url`. They read the raw
 * config defensively, so they run even when other parts of it fail the schema, and `loadConfig` shows their
 * message in place of the schema's at the same path.
 *
 * @example
 * configProblems({ project: 'p', online_store: { type: 'redis', url: 'http://x' } });
 * // [{ path: '/online_store/url', message: 'a Redis URL is redis:// or rediss:// (TLS), not http://' }]
 */
import { CHECK_METHODS } from '../guards/check-methods.js';
import { QUALITY_FAMILIES, type QualityFamily } from '../guards/config.js';
import { closest, didYouMean } from './suggest.js';

export interface ConfigProblem {
  readonly path: string;
  readonly message: string;
}

/** Also the schema's `errorMessage` (project.schema.json): one sentence wherever the user meets it. */
export const URL_WITH_CLUSTER =
  'set either url (one Redis server) or cluster (the seed nodes of a Redis Cluster), not both: with cluster, url and any password in it would be ignored';

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

export function configProblems(config: unknown): ConfigProblem[] {
  if (!isObject(config)) return [];
  return [...onlineStoreProblems(config.online_store), ...alertCheckProblems(config.alerts), ...publicUrlProblems(config.server)];
}

/**
 * `server.public_url`: the base of the links webhook bodies carry, so an absolute http(s) URL. A query or fragment
 * would end up in the middle of every link, and a user name or password in every receiver's log.
 */
function publicUrlProblems(server: unknown): ConfigProblem[] {
  if (!isObject(server) || server.public_url === undefined) return [];
  const path = '/server/public_url';
  const value = server.public_url;
  if (typeof value !== 'string') return [{ path, message: 'must be text: an absolute http or https URL (e.g. https://featureguard.example.com)' }];
  const u = URL.canParse(value) ? new URL(value) : null;
  if (u === null || !/^[a-z][a-z0-9+.-]*:\/\//i.test(value)) return [{ path, message: 'not an absolute http or https URL (e.g. https://featureguard.example.com)' }];
  if (u.protocol !== 'http:' && u.protocol !== 'https:') return [{ path, message: `the server's public URL is http or https, not ${u.protocol.slice(0, -1)}` }];
  if (u.username !== '' || u.password !== '') return [{ path, message: 'no user name or password in the public URL: every webhook body would carry them' }];
  if (value.includes('?')) return [{ path, message: 'no query in the public URL: the run links are paths under it' }];
  if (value.includes('#')) return [{ path, message: 'no fragment in the public URL: the run links are paths under it' }];
  return [];
}

function onlineStoreProblems(store: unknown): ConfigProblem[] {
  if (!isObject(store) || store.type !== 'redis') return [];
  const out: ConfigProblem[] = [];
  // The scheme only, never the URL: it may hold a password.
  const scheme = typeof store.url === 'string' ? /^([a-z][a-z0-9+.-]*):\/\//i.exec(store.url)?.[1].toLowerCase() : undefined;
  if (scheme !== undefined && scheme !== 'redis' && scheme !== 'rediss') {
    out.push({ path: '/online_store/url', message: `a Redis URL is redis:// or rediss:// (TLS), not ${scheme}://` });
  }
  // With cluster the store reads the seed nodes only: url, and the password in it, were silently ignored.
  if (store.url !== undefined && store.cluster !== undefined) out.push({ path: '/online_store', message: URL_WITH_CLUSTER });
  return out;
}

/** A misspelt family or method would make the alert silently never fire (a retraining trigger that is dead). */
function alertCheckProblems(alerts: unknown): ConfigProblem[] {
  if (!Array.isArray(alerts)) return [];
  const out: ConfigProblem[] = [];
  alerts.forEach((alert, i) => {
    if (!isObject(alert) || !Array.isArray(alert.checks)) return;
    alert.checks.forEach((check, j) => {
      if (typeof check !== 'string' || check === '') return;
      const path = `/alerts/${i}/checks/${j}`;
      const dot = check.indexOf('.');
      const family = dot < 0 ? check : check.slice(0, dot);
      if (!(QUALITY_FAMILIES as readonly string[]).includes(family)) {
        out.push({ path, message: `unknown check '${family}': use a family (${QUALITY_FAMILIES.join(', ')}) or family.method${didYouMean(family, QUALITY_FAMILIES)}` });
        return;
      }
      if (dot < 0) return;
      const methods = CHECK_METHODS[family as QualityFamily];
      const method = check.slice(dot + 1);
      if (methods.includes(method)) return;
      const near = closest(method, methods);
      out.push({ path, message: `unknown check '${check}': the ${family} checks record the methods ${methods.join(', ')}${near ? ` (did you mean '${family}.${near}'?)` : ''}; the alert would never fire` });
    });
  });
  return out;
}
