import { describe, expect, it } from 'vitest';
import { FETCH_BAD_PORTS, fetchBlockedPort } from './bad-ports.js';

/** What this Node's fetch says of a port: 'bad port', or another failure (nothing listens: refused). */
async function fetchOutcome(port: number): Promise<string> {
  try {
    await fetch(`http://127.0.0.1:${port}/`, { method: 'POST', body: '{}', signal: AbortSignal.timeout(2000) });
    return 'answered';
  } catch (e) {
    const cause = (e as { cause?: { message?: string } }).cause?.message ?? String(e);
    return cause.includes('bad port') ? 'bad port' : 'other';
  }
}

describe('fetchBlockedPort', () => {
  it("names exactly the ports this Node's fetch refuses (each listed one, and the port after it when unlisted)", async () => {
    const unlisted = FETCH_BAD_PORTS.map((p) => p + 1).filter((p) => !FETCH_BAD_PORTS.includes(p));
    const outcomes = await Promise.all([...FETCH_BAD_PORTS, ...unlisted].map(async (p) => [p, await fetchOutcome(p)] as const));
    expect(outcomes.filter(([p, o]) => (o === 'bad port') !== FETCH_BAD_PORTS.includes(p))).toEqual([]);
  });

  it('reads the port of a URL: an explicit one, not the scheme default', () => {
    expect(fetchBlockedPort('http://127.0.0.1:10080/hook')).toBe(10080);
    expect(fetchBlockedPort('https://hooks.example.com:6667/x')).toBe(6667);
    expect(fetchBlockedPort('http://127.0.0.1:8080/hook')).toBeNull();
    expect(fetchBlockedPort('https://hooks.example.com/x')).toBeNull();
    expect(fetchBlockedPort('not a url')).toBeNull();
  });
});
