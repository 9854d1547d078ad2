/**
 * What a Redis URL's query string may hold. ioredis reads every query parameter as a client option, as a string
 * and ahead of the options featureguard gives it: `?connectTimeout=2000` became the string '2000', which crashed
 * every command with a TypeError, and others would silently replace the timeouts, offline queue and retries that
 * featureguard's fail-fast behaviour depends on. Only the options below, which ioredis reads safely from text,
 * are taken; a URL with any other is refused when the configuration is read and when the store opens.
 *
 * @example
 * redisUrlProblem('redis://cache:6379/0?password=pw&db=2'); // undefined
 * redisUrlProblem('redis://cache:6379/0?connectTimeout=2000'); // "query option 'connectTimeout' is not supported: …"
 */

/** The query options a Redis URL may hold (ioredis reads them as the client's options of those names). */
export const REDIS_URL_QUERY_OPTIONS = ['username', 'password', 'db', 'family', 'name'] as const;

const CHECKS: Record<string, (value: string) => string | undefined> = {
  db: (v) => (/^\d+$/.test(v) ? undefined : 'must be a database index (a whole number)'),
  family: (v) => (/^[046]$/.test(v) ? undefined : 'must be 4 (IPv4), 6 (IPv6) or 0 (either)'),
};

/** The query of a URL as ioredis parses it, or undefined when ioredis could not parse it. */
function queryOf(url: string): URLSearchParams | undefined {
  if (/^\d+$/.test(url)) return new URLSearchParams(); // a bare port
  if (url.startsWith('/') && !url.startsWith('//')) return new URLSearchParams(url.includes('?') ? url.slice(url.indexOf('?') + 1) : '');
  try {
    return new URL(/^rediss?:\/\//i.test(url) ? url : url.startsWith('//') ? `redis:${url}` : `redis://${url}`).searchParams;
  } catch {
    return undefined;
  }
}

/**
 * Why featureguard does not hand `url` to ioredis, or undefined when it can: a URL ioredis cannot parse, or a query
 * option other than `REDIS_URL_QUERY_OPTIONS` or with a value ioredis would misread. Never quotes the URL or a
 * value (they may hold a password).
 */
export function redisUrlProblem(url: string): string | undefined {
  const query = queryOf(url);
  if (query === undefined) return 'cannot be parsed as a URL: give redis://[USER:PASSWORD@]HOST[:PORT][/DB], with reserved characters of the user name and password percent-encoded';
  for (const [key, value] of query) {
    if (!(REDIS_URL_QUERY_OPTIONS as readonly string[]).includes(key)) {
      return `query option '${key}' is not supported: ioredis would read it as text, over the connection settings featureguard sets (2 s connect and command timeouts, no offline queue); the query may hold ${REDIS_URL_QUERY_OPTIONS.join(', ')}`;
    }
    const bad = CHECKS[key]?.(value);
    if (bad) return `query option '${key}' ${bad}`;
  }
  return undefined;
}
