/**
 * How messages name a Redis online store: scheme, host, port and database only. A URL's user info and its
 * query string are left out, as ioredis reads a password from either (`redis://:pw@host` and
 * `redis://host?password=pw` alike), and messages reach `/ready`, 503 answers, run records and logs.
 *
 * @example
 * redisAddress('redis://u:pw@10.0.0.5:6380/2?password=pw'); // 'redis://10.0.0.5:6380/2'
 */

const DEFAULT_PORT = 6379;

/** The address of a Redis URL (as ioredis parses it) for messages, without any credential. */
export function redisAddress(url: string): string {
  if (/^\d+$/.test(url)) return `redis://127.0.0.1:${url}/0`; // ioredis takes a bare number as the port
  // A Unix socket path: ioredis reads its query string as options too.
  if (url.startsWith('/') && !url.startsWith('//')) return `unix:${url.split('?')[0]}`;
  let u: URL;
  try {
    u = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(url) ? url : url.startsWith('//') ? `redis:${url}` : `redis://${url}`);
  } catch {
    return 'redis (an online_store.url that is not a URL)';
  }
  const fromPath = u.pathname.slice(1);
  const db = /^\d+$/.test(fromPath) ? fromPath : /^\d+$/.test(u.searchParams.get('db') ?? '') ? u.searchParams.get('db')! : '0';
  return `${u.protocol}//${u.hostname || '127.0.0.1'}:${u.port || DEFAULT_PORT}/${db}`;
}

/**
 * Where an earlier version's messages named a single-node store: the address as given (its `redactUrl` masked
 * only a `user:pass@` password and kept the user name and the query, `?password=` included). Matched whole, up to
 * the words that follow it, so a password holding `)` or spaces is not cut in two.
 */
const OLD_ADDRESS_IN =
  /(online store \()(.+?)(\) (?:is unavailable|may not run|lost the write session|holds records))|(, which )(\S+)( does not have)|(' on )(\S+)( holds the online values)/g;
/** Any other Redis URL in a text: up to a space, a quote or a markup character. */
const REDIS_URL_IN = /rediss?:\/\/[^\s"'`\\<>]+/gi;

/**
 * A text with every Redis address in it named as `redisAddress` names it: for records written before messages
 * did (run messages, check results, lineage and options of runs stored by an earlier version). Text without one
 * is returned as is.
 *
 * @example
 * redactRedisAddresses('the redis online store (redis://u:***@cache:6379/0?password=pw) is unavailable: down');
 * // 'the redis online store (redis://cache:6379/0) is unavailable: down'
 */
export function redactRedisAddresses(text: string): string {
  if (!/redis|online store/i.test(text)) return text;
  return text
    .replace(OLD_ADDRESS_IN, (_m, ...g: (string | undefined)[]) => {
      const [before, address, after] = g[0] !== undefined ? g.slice(0, 3) : g[3] !== undefined ? g.slice(3, 6) : g.slice(6, 9);
      return `${before}${storeAddress(address!)}${after}`;
    })
    .replace(REDIS_URL_IN, (url) => {
      // A closing parenthesis or a sentence's punctuation right after the URL is the text's, not the URL's.
      const tail = /\)?[.,;:]?$/.exec(url)![0];
      return redisAddress(url.slice(0, url.length - tail.length)) + tail;
    });
}

/** A store's address in a message, as `redisAddress` names it: a cluster's seed nodes and a socket's path stay. */
function storeAddress(address: string): string {
  if (address.startsWith('cluster ')) return address;
  return address.startsWith('unix:') ? address.split('?')[0] : redisAddress(address);
}

/** `redactRedisAddresses` over every string of a JSON value (a run's lineage or options, a check result). */
export function redactRedisAddressesIn<T>(value: T): T {
  if (typeof value === 'string') return redactRedisAddresses(value) as T;
  if (Array.isArray(value)) return value.map((v) => redactRedisAddressesIn(v)) as T;
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redactRedisAddressesIn(v)])) as T;
  return value;
}
