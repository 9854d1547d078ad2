/**
 * Requests Node's HTTP parser refuses before any route sees them (headers over
 * 16 KB, a malformed request line, headers that never finish) answered in the
 * one JSON error shape, instead of Node's bare status line.
 *
 * @example
 * answerClientErrors(server); // 431 {"error": {"code": "headers_too_large", …}}
 */
import { STATUS_CODES, type Server } from 'node:http';
import type { Duplex } from 'node:stream';

function refusal(err: NodeJS.ErrnoException): [status: number, code: string, message: string] {
  switch (err.code) {
    case 'HPE_HEADER_OVERFLOW':
      return [431, 'headers_too_large', 'the request headers are larger than the server accepts (16 KB in all)'];
    case 'HPE_CHUNK_EXTENSIONS_OVERFLOW':
      return [413, 'payload_too_large', 'the chunk extensions of the request body are larger than the server accepts'];
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return [408, 'request_timeout', 'the request did not arrive in time'];
    default:
      return [400, 'bad_request', `malformed HTTP request (${err.code ?? err.message})`];
  }
}

/** Node's own handling, with a JSON body: answer when nothing was written on the connection yet, then close it. */
export function answerClientErrors(server: Pick<Server, 'on'>): void {
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex & { bytesWritten?: number }) => {
    if (err.code !== 'ECONNRESET' && socket.writable && (socket.bytesWritten ?? 0) === 0) {
      const [status, code, message] = refusal(err);
      const body = JSON.stringify({ error: { code, message, details: null } });
      socket.write(
        `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
      );
    }
    // Destroyed, not ended: a client that ignores the close must not keep the socket (a slow-headers attack).
    socket.destroy();
  });
}
