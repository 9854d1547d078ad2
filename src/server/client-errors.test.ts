import { createServer, type Server } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { answerClientErrors } from './client-errors.js';

let server: Server | undefined;
afterEach(() => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())));

async function listen(): Promise<number> {
  // Timeouts checked every 50 ms instead of Node's 30 s, so that they expire within the test.
  server = createServer({ requestTimeout: 400, headersTimeout: 300, connectionsCheckingInterval: 50 }, (req, res) => {
    req.resume();
    req.on('end', () => res.end('ok'));
  });
  answerClientErrors(server);
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

/** Sends `text` raw and collects what comes back until the server closes; `ignoreClose` keeps our side open. */
function raw(port: number, text: string, ignoreClose = false): Promise<string> {
  return new Promise((resolve, reject) => {
    const sock = connect({ port, host: '127.0.0.1', allowHalfOpen: ignoreClose }, () => sock.write(text));
    let got = '';
    sock.on('data', (d) => (got += String(d))).on('end', () => resolve(got)).on('error', reject);
  });
}

const connections = () => new Promise<number>((resolve, reject) => server!.getConnections((e, n) => (e ? reject(e) : resolve(n))));

describe('answerClientErrors', () => {
  it('answers a body that stalls with a JSON 408, and closes the connection', async () => {
    const port = await listen();
    const got = await raw(port, 'POST / HTTP/1.1\r\nhost: x\r\ncontent-length: 100\r\n\r\nabc');
    expect(got).toMatch(/^HTTP\/1\.1 408 Request Timeout\r\n/);
    expect(JSON.parse(got.slice(got.indexOf('\r\n\r\n') + 4)).error.code).toBe('request_timeout');
  });

  it('does not let a client that trickles headers and ignores the close keep its socket', async () => {
    const port = await listen();
    const replies = await Promise.all(Array.from({ length: 5 }, () => raw(port, 'GET / HTTP/1.1\r\nhost: x\r\n', true)));
    for (const r of replies) expect(r).toMatch(/^HTTP\/1\.1 408 /);
    // Our side never closed: the server's sockets are gone all the same.
    await new Promise((r) => setTimeout(r, 100));
    expect(await connections()).toBe(0);
  });

  it('writes nothing after a response on the same connection', async () => {
    const port = await listen();
    // A request answered, then garbage on the same keep-alive connection: closed without a stray error text.
    const got = await new Promise<string>((resolve, reject) => {
      const sock = connect(port, '127.0.0.1', () => sock.write('GET / HTTP/1.1\r\nhost: x\r\n\r\n'));
      let text = '';
      sock.once('data', () => sock.write('GARBAGE\r\n\r\n'));
      sock.on('data', (d) => (text += String(d))).on('end', () => resolve(text)).on('error', reject);
    });
    expect(got).toMatch(/^HTTP\/1\.1 200 OK\r\n[\s\S]*\r\n\r\nok$/);
  });
});
