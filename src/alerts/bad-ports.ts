/**
 * The ports Node's `fetch` (undici) refuses to connect to: the WHATWG Fetch standard's "bad ports", kept from
 * protocols a browser's request could be abused against (SMTP, IRC, SIP, X11, …). A webhook on one of them could
 * never be delivered (every try fails with `fetch failed: bad port`), so featureguard.yaml refuses it at load.
 * `bad-ports.test.ts` checks the list against this Node's fetch.
 *
 * @example
 * fetchBlockedPort('http://10.0.0.5:10080/hook'); // 10080
 */

/** https://fetch.spec.whatwg.org/#port-blocking, as Node 20's fetch enforces it. */
export const FETCH_BAD_PORTS: readonly number[] = [
  1, 7, 9, 11, 13, 15, 17, 19, 20, 21, 22, 23, 25, 37, 42, 43, 53, 69, 77, 79, 87, 95, 101, 102, 103, 104, 109, 110,
  111, 113, 115, 117, 119, 123, 135, 137, 139, 143, 161, 179, 389, 427, 465, 512, 513, 514, 515, 526, 530, 531, 532,
  540, 548, 554, 556, 563, 587, 601, 636, 989, 990, 993, 995, 1719, 1720, 1723, 2049, 3659, 4045, 4190, 5060, 5061,
  6000, 6566, 6665, 6666, 6667, 6668, 6669, 6679, 6697, 10080,
];

const BAD = new Set(FETCH_BAD_PORTS);

/** The URL's port when fetch refuses it, else null (a scheme's default port, 80 or 443, never is). */
export function fetchBlockedPort(url: string): number | null {
  if (!URL.canParse(url)) return null;
  const port = Number(new URL(url).port);
  return port > 0 && BAD.has(port) ? port : null;
}
