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
