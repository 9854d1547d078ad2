/**
 * Why a Redis node refuses a TLS connection, asked directly. ioredis's cluster reads its slot map on a connection
 * of its own whose errors it drops, so a node whose certificate Node does not trust (self-signed, a private CA)
 * reads only "Failed to refresh slots cache. (Connection is closed.)"; a single node names the TLS error.
 *
 * @example
 * await tlsProblem('redis-0.internal', 6379, {}); // 'self-signed certificate (DEPTH_ZERO_SELF_SIGNED_CERT)'
 */
import { createConnection } from 'node:net';
import { connect, type ConnectionOptions } from 'node:tls';

/** How long the probe waits for a handshake before it says nothing. */
const PROBE_TIMEOUT_MS = 2_000;

/** How long the plain `PING` asked of a server that answered no handshake may take. */
const PLAIN_PING_TIMEOUT_MS = 1_000;

/**
 * Whether `host:port` answers a plain-text `PING` with a RESP reply (`+PONG`, `-NOAUTH …`, `-ERR …`) within
 * `timeoutMs`: a Redis without TLS. A hung server (SIGSTOP, a full accept queue) or another protocol does not.
 */
export function answersPlainRedis(host: string, port: number, timeoutMs = PLAIN_PING_TIMEOUT_MS): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host, port });
    const done = (plain: boolean) => {
      socket.destroy();
      resolve(plain);
    };
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', (b: Buffer) => done(/^[+\-]/.test(b.toString('latin1', 0, 1))));
    socket.once('error', () => done(false));
    socket.once('close', () => done(false));
    socket.setTimeout(timeoutMs, () => done(false));
  });
}

/** The start of `tlsProblem`'s answer for a server that took the connection but never answered the handshake. */
const NO_HANDSHAKE = 'no TLS handshake from';

/**
 * The error of a TLS handshake with `host:port` made as the store's node connections make it (`tls`: their TLS
 * options), or undefined when it succeeds or the connection is not even taken within `timeoutMs`. A server that
 * takes the TCP connection and never answers the handshake within `timeoutMs` may not speak TLS: a plain Redis
 * reads the client's hello as a command and waits for the rest (then ioredis said only `connect ETIMEDOUT`). That
 * is said only once it answers a plain `PING` (`answersPlainRedis`): a TLS Redis that is hung (SIGSTOP) takes the
 * connection too, and was told to use `redis://`; it gets undefined (the caller's "check that Redis is running").
 */
export function tlsProblem(host: string, port: number, tls: ConnectionOptions, timeoutMs = PROBE_TIMEOUT_MS): Promise<string | undefined> {
  return new Promise((resolve) => {
    const socket = connect({ ...tls, host, port });
    let connected = false;
    socket.once('connect', () => (connected = true));
    const done = (problem?: string) => {
      socket.destroy();
      resolve(problem);
    };
    socket.once('secureConnect', () => done());
    socket.once('error', (e: Error & { code?: string }) => done(`${e.message.split('\n')[0]}${e.code && !e.message.includes(e.code) ? ` (${e.code})` : ''}`));
    socket.setTimeout(timeoutMs, () => {
      socket.destroy();
      if (!connected) return resolve(undefined);
      void answersPlainRedis(host, port).then((plain) =>
        resolve(plain ? `${NO_HANDSHAKE} ${host}:${port}: does this server use TLS? (it took the connection but answered no TLS handshake within ${timeoutMs / 1000} s, and answers a plain PING)` : undefined),
      );
    });
  });
}

/** A `tlsProblem` answer saying the server does not speak TLS. */
export const NO_TLS_HANDSHAKE = new RegExp(`^${NO_HANDSHAKE} `);

/** The problem of the first of `nodes` that has one, naming it; all asked at once (at most `PROBE_TIMEOUT_MS` and a plain PING's 1 s). */
export async function firstTlsProblem(nodes: readonly { host: string; port: number }[], tls: ConnectionOptions): Promise<string | undefined> {
  const problems = await Promise.all(nodes.map((n) => tlsProblem(n.host, n.port, tls)));
  const i = problems.findIndex((p) => p !== undefined);
  if (i < 0) return undefined;
  return NO_TLS_HANDSHAKE.test(problems[i]!) ? problems[i] : `${nodes[i].host}:${nodes[i].port}: ${problems[i]}`;
}

/** A TLS error saying Node does not trust a server's certificate, or that it names another host. */
export const CERTIFICATE_PROBLEM = /certificate|self[- ]signed|unable to verify|altnames|CERT_|ERR_TLS_CERT/i;
