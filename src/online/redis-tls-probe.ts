/**
 * Why a Redis node refuses a TLS connection, asked directly. ioredis's cluster reads its slot map on a connection
 * of its own whose errors it drops, so a node whose certificate Node does not trust (self-signed, a private CA)
 * reads only "Failed to refresh slots cache. (Connection is closed.)"; a single node names the TLS error.
 *
 * @example
 * await tlsProblem('redis-0.internal', 6379, {}); // 'self-signed certificate (DEPTH_ZERO_SELF_SIGNED_CERT)'
 */
import { connect, type ConnectionOptions } from 'node:tls';

/** How long the probe waits for a handshake before it says nothing. */
const PROBE_TIMEOUT_MS = 2_000;

/**
 * The error of a TLS handshake with `host:port` made as the store's node connections make it (`tls`: their TLS
 * options), or undefined when it succeeds or does not end within `timeoutMs`.
 */
export function tlsProblem(host: string, port: number, tls: ConnectionOptions, timeoutMs = PROBE_TIMEOUT_MS): Promise<string | undefined> {
  return new Promise((resolve) => {
    const socket = connect({ ...tls, host, port });
    const done = (problem?: string) => {
      socket.destroy();
      resolve(problem);
    };
    socket.once('secureConnect', () => done());
    socket.once('error', (e: Error & { code?: string }) => done(`${e.message.split('\n')[0]}${e.code && !e.message.includes(e.code) ? ` (${e.code})` : ''}`));
    socket.setTimeout(timeoutMs, () => done());
  });
}

/** The problem of the first of `nodes` that has one, naming it; all asked at once (at most `PROBE_TIMEOUT_MS`). */
export async function firstTlsProblem(nodes: readonly { host: string; port: number }[], tls: ConnectionOptions): Promise<string | undefined> {
  const problems = await Promise.all(nodes.map((n) => tlsProblem(n.host, n.port, tls)));
  const i = problems.findIndex((p) => p !== undefined);
  return i < 0 ? undefined : `${nodes[i].host}:${nodes[i].port}: ${problems[i]}`;
}

/** A TLS error saying Node does not trust a server's certificate, or that it names another host. */
export const CERTIFICATE_PROBLEM = /certificate|self[- ]signed|unable to verify|altnames|CERT_|ERR_TLS_CERT/i;
