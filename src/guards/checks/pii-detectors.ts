/**
 * PII detectors for string values (pure functions): email, credit card
 * (Presidio's pattern, then Luhn), US SSN (Presidio's invalidation rules), IBAN
 * (ISO 13616 mod-97), phone (E.164-like) and IPv4/IPv6. Each scans the text of a
 * value, so free-text columns with embedded PII are caught too.
 */
import { isIPv4, isIPv6 } from 'node:net';

export type PiiKind = 'email' | 'credit_card' | 'us_ssn' | 'iban' | 'phone' | 'ip_address';
export const PII_KINDS: readonly PiiKind[] = ['email', 'credit_card', 'us_ssn', 'iban', 'phone', 'ip_address'];

const EMAIL = /(?:^|[^\w.+-])[\w!#$%&'*+/=?^`{|}~-]+(?:\.[\w!#$%&'*+/=?^`{|}~-]+)*@[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*\.[a-z]{2,24}\b/i;
/** Presidio's "All Credit Cards (weak)" pattern. */
const CREDIT_CARD = /\b(?!1\d{12}(?!\d))((4\d{3})|(5[0-5]\d{2})|(6\d{3})|(1\d{3})|(3\d{3}))[- ]?(\d{3,4})[- ]?(\d{3,4})[- ]?(\d{3,5})\b/g;
/** Presidio's "SSN (medium)" pattern: 3-2-4 digits with delimiters (bare 9-digit numbers are too often IDs). */
const SSN = /\b([0-9]{3})[- .]([0-9]{2})[- .]([0-9]{4})\b/g;
const IBAN = /\b[A-Z]{2}[0-9]{2}(?: ?[A-Z0-9]){11,30}\b/g;
const PHONE_INTL = /(?:^|[^\w+])\+[1-9][0-9 ().-]{6,20}[0-9]\b/g;
const PHONE_NANP = /(?:^|[^\w])\(?[2-9][0-9]{2}\)?[ .-][2-9][0-9]{2}[ .-][0-9]{4}\b/;
/** A dotted quad standing alone: not four parts of a longer dotted number (a version `4.1.2.0.1`, `1.2.3.4.5`). */
const IPV4 = /\b(?<![\d.])(?:(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])\.){3}(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])\b(?!\.\d)/;

/**
 * Luhn checksum (ISO/IEC 7812) of a digit string.
 *
 * @example
 * luhnValid('4111111111111111'); // true
 */
export function luhnValid(digits: string): boolean {
  let sum = 0;
  let double = false;
  for (let i = digits.length - 1; i >= 0; i--) {
    let d = digits.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return false;
    if (double) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    double = !double;
  }
  return digits.length > 0 && sum % 10 === 0;
}

/**
 * Presidio's SSN invalidation: mixed delimiters, all digits the same, area 000,
 * 666 or 9xx, group 00, serial 0000, and the well-known sample numbers.
 *
 * @example
 * ssnInvalid('666-12-3456'); // true
 * ssnInvalid('536-90-4399'); // false
 */
export function ssnInvalid(text: string): boolean {
  const delimiters = new Set([...text].filter((c) => c === '.' || c === '-' || c === ' '));
  if (delimiters.size > 1) return true;
  const digits = text.replace(/[^0-9]/g, '');
  if (digits.length !== 9) return true;
  if ([...digits].every((c) => c === digits[0])) return true;
  const area = digits.slice(0, 3);
  if (area === '000' || area === '666' || area[0] === '9') return true;
  if (digits.slice(3, 5) === '00' || digits.slice(5) === '0000') return true;
  return ['123456789', '078051120', '219099999'].includes(digits);
}

/**
 * ISO 13616 IBAN check: move the first four characters to the end, letters to
 * 10..35, and the number mod 97 must be 1.
 *
 * @example
 * ibanValid('GB82 WEST 1234 5698 7654 32'); // true
 */
export function ibanValid(text: string): boolean {
  const s = text.replace(/ /g, '').toUpperCase();
  if (!/^[A-Z]{2}[0-9]{2}[A-Z0-9]{11,30}$/.test(s)) return false;
  const r = s.slice(4) + s.slice(0, 4);
  let rem = 0;
  for (const ch of r) {
    const code = ch.charCodeAt(0);
    const v = code >= 65 ? String(code - 55) : ch;
    for (const d of v) rem = (rem * 10 + (d.charCodeAt(0) - 48)) % 97;
  }
  return rem === 1;
}

/**
 * Whether a candidate the IBAN pattern matched holds an IBAN: the pattern runs on into the words after it
 * ('DE89 3704 0044 0532 0130 00 PAID'), so shorter runs of its space-separated groups are tried too.
 */
function ibanIn(match: string): boolean {
  const groups = match.split(' ');
  // Any run of groups that starts like an IBAN (a word before it may have started the match: 'AB12 DE89…').
  // Only the forms IBANs are written in (one word, or groups of four with a shorter last one): every other
  // run of words would be one more chance for a 1-in-97 checksum to pass by accident.
  const printed = (run: string[]) => run.length === 1 || (run.slice(0, -1).every((w) => w.length === 4) && run[run.length - 1].length <= 4);
  for (let i = 0; i < groups.length; i++) {
    if (!/^[A-Z]{2}[0-9]{2}/.test(groups[i])) continue;
    for (let k = groups.length; k > i; k--) {
      const run = groups.slice(i, k);
      if (printed(run) && ibanValid(run.join(' '))) return true;
    }
  }
  return false;
}

function anyMatch(re: RegExp, text: string, valid: (m: string) => boolean): boolean {
  re.lastIndex = 0;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    if (valid(m[0])) return true;
    if (m[0].length === 0) re.lastIndex++;
  }
  return false;
}

const digitCount = (s: string): number => s.replace(/[^0-9]/g, '').length;

/**
 * The PII kinds found in one value.
 *
 * @example
 * detectPii('card 4111-1111-1111-1111, mail a@b.io'); // ['email', 'credit_card']
 */
export function detectPii(value: string): PiiKind[] {
  const found: PiiKind[] = [];
  if (value.includes('@') && EMAIL.test(value)) found.push('email');
  if (anyMatch(CREDIT_CARD, value, (m) => luhnValid(m.replace(/[- ]/g, '')))) found.push('credit_card');
  if (anyMatch(SSN, value, (m) => !ssnInvalid(m))) found.push('us_ssn');
  if (anyMatch(IBAN, value.toUpperCase(), ibanIn)) found.push('iban');
  if (
    anyMatch(PHONE_INTL, value, (m) => {
      const n = digitCount(m);
      return n >= 8 && n <= 15;
    }) ||
    PHONE_NANP.test(value)
  ) {
    found.push('phone');
  }
  if (IPV4.test(value) || (value.includes(':') && value.split(/[\s,;]+/).some((t) => isIPv6(t.replace(/^\[([^\]]+)\](?::\d+)?$/, '$1').replace(/^[[(]|[\])]$/g, ''))))) {
    found.push('ip_address');
  } else if (isIPv4(value.trim())) {
    found.push('ip_address');
  }
  return found;
}

/** What a column's sample holds: per kind, the share of sampled values that match. */
export interface PiiScan {
  /** Sampled non-null values (rows, counting repeats). */
  readonly values: number;
  readonly shares: Record<PiiKind, number>;
  /** Per kind, the sampled values (rows) that match. */
  readonly matches: Record<PiiKind, number>;
  /** Rows whose value holds a Luhn-valid card number. */
  readonly cardMatches: number;
  /** Kinds that make the column PII: share ≥ `minShare` (for `LOOKALIKE_KINDS`, in at least `minMatches` values), or any Luhn-valid card number. */
  readonly kinds: PiiKind[];
  /** Lookalike kinds whose share reached `minShare` in fewer than `minMatches` values: too few to judge (a tiny push). */
  readonly tooFew: PiiKind[];
  /** Up to 3 masked examples per detected kind. */
  readonly examples: Partial<Record<PiiKind, string[]>>;
}

/** Keep the shape of an example but hide most characters. */
export function maskExample(value: string): string {
  const v = value.length > 40 ? `${value.slice(0, 40)}…` : value;
  return v.replace(/[A-Za-z0-9]/g, (c, i: number) => (i < 2 || i >= v.length - 2 ? c : c >= '0' && c <= '9' ? '#' : 'x'));
}

/** Values with how often each occurs, the form `scanPii` takes. */
export function countedValues(values: Iterable<string>): { value: string; count: number }[] {
  const counts = new Map<string, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  return [...counts].map(([value, count]) => ({ value, count }));
}

/**
 * Sampled values a share of a lookalike kind needs before it makes a column PII. In a small sample one
 * stray lookalike (a version string `4.1.2.0` read as an IP address) is already ≥ 1%: a 1-row push would
 * be blocked, and the column remembered as PII, for a value a materialization of the same rows passes.
 */
export const PII_MIN_MATCHES = 3;

/**
 * Kinds whose patterns ordinary feature values also take: dotted versions, digit groups, codes (an IBAN's
 * checksum passes one random code in 97). An email (`local@domain.tld`) or a Luhn-valid card number is no
 * accident: one match counts.
 */
export const LOOKALIKE_KINDS: readonly PiiKind[] = ['us_ssn', 'iban', 'phone', 'ip_address'];

/**
 * Scan a column's sample, given as distinct values with their row counts.
 *
 * @example
 * scanPii([{ value: '4111 1111 1111 1111', count: 1 }, { value: 'x', count: 999 }], 0.01).kinds; // ['credit_card']
 */
export function scanPii(sample: readonly { value: string; count: number }[], minShare: number, minMatches = PII_MIN_MATCHES): PiiScan {
  const matched = Object.fromEntries(PII_KINDS.map((k) => [k, 0])) as Record<PiiKind, number>;
  const examples: Partial<Record<PiiKind, string[]>> = {};
  let total = 0;
  for (const { value, count } of sample) {
    total += count;
    for (const kind of detectPii(value)) {
      matched[kind] += count;
      const ex = (examples[kind] ??= []);
      if (ex.length < 3) ex.push(maskExample(value));
    }
  }
  const shares = Object.fromEntries(PII_KINDS.map((k) => [k, total ? matched[k] / total : 0])) as Record<PiiKind, number>;
  const reached = (k: PiiKind) => total > 0 && shares[k] >= minShare;
  const tooFewOf = (k: PiiKind) => LOOKALIKE_KINDS.includes(k) && matched[k] < minMatches;
  const kinds = PII_KINDS.filter((k) => (k === 'credit_card' ? matched[k] > 0 : reached(k) && !tooFewOf(k)));
  const tooFew = PII_KINDS.filter((k) => k !== 'credit_card' && reached(k) && tooFewOf(k));
  return { values: total, shares, matches: matched, cardMatches: matched.credit_card, kinds, tooFew, examples };
}
