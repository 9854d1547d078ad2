import { describe, expect, it } from 'vitest';
import { detectPii, ibanValid, luhnValid, scanPii, ssnInvalid } from './pii-detectors.js';

describe('PII detectors', () => {
  it('Luhn: valid test card numbers pass, a changed digit fails', () => {
    expect(luhnValid('4111111111111111')).toBe(true);
    expect(luhnValid('5500000000000004')).toBe(true);
    expect(luhnValid('378282246310005')).toBe(true);
    expect(luhnValid('4111111111111112')).toBe(false);
    expect(luhnValid('')).toBe(false);
  });

  it('credit cards: Presidio pattern with separators, then Luhn', () => {
    expect(detectPii('4111-1111-1111-1111')).toEqual(['credit_card']);
    expect(detectPii('paid with 5500 0000 0000 0004 yesterday')).toEqual(['credit_card']);
    expect(detectPii('4111-1111-1111-1112')).toEqual([]);
    expect(detectPii('1234567890123')).toEqual([]);
  });

  it('US SSN: valid numbers match; Presidio invalidation rules reject the rest', () => {
    expect(detectPii('536-90-4399')).toEqual(['us_ssn']);
    expect(detectPii('536 90 4399')).toEqual(['us_ssn']);
    for (const bad of ['666-12-3456', '000-12-3456', '912-12-3456', '123-00-4567', '123-45-0000', '111-11-1111', '536-90.4399', '078-05-1120']) {
      expect(ssnInvalid(bad), bad).toBe(true);
      expect(detectPii(bad), bad).not.toContain('us_ssn');
    }
    expect(detectPii('536904399')).toEqual([]); // bare 9 digits: too often an ID
  });

  it('IBAN: mod-97', () => {
    expect(ibanValid('GB82 WEST 1234 5698 7654 32')).toBe(true);
    expect(ibanValid('DE89370400440532013000')).toBe(true);
    expect(ibanValid('GB82 WEST 1234 5698 7654 33')).toBe(false);
    expect(detectPii('iban: DE89 3704 0044 0532 0130 00')).toEqual(['iban']);
    // Inside free text, where the pattern runs on into the words around it.
    expect(detectPii('pay DE89370400440532013000 now')).toEqual(['iban']);
    expect(detectPii('IBAN GB82 WEST 1234 5698 7654 32 paid')).toEqual(['iban']);
    expect(detectPii('ref AB12 DE89370400440532013000')).toEqual(['iban']);
    expect(detectPii('pay DE89370400440532013001 now')).toEqual([]);
  });

  it('email, phone, IP addresses', () => {
    expect(detectPii('john.doe+x@example.co.uk')).toEqual(['email']);
    expect(detectPii('+1 415 555 2671')).toEqual(['phone']);
    expect(detectPii('+44 20 7946 0958')).toEqual(['phone']);
    expect(detectPii('(415) 555-2671')).toEqual(['phone']);
    expect(detectPii('192.168.0.1')).toEqual(['ip_address']);
    expect(detectPii('from 2001:db8::ff00:42:8329 at noon')).toEqual(['ip_address']);
    // A bracketed IPv6 address with a port, as URLs and logs print it; a dotted quad at a sentence's end or with a port.
    expect(detectPii('connect to [2001:db8::1]:443 failed')).toEqual(['ip_address']);
    expect(detectPii('from 10.0.0.1.')).toEqual(['ip_address']);
    expect(detectPii('10.0.0.1:8080')).toEqual(['ip_address']);
    // Four parts of a longer dotted number are no address (a version string).
    for (const v of ['4.1.2.0.1', '1.2.3.4.5', 'build 10.0.0.1.7', 'v2.10.0.0.1']) expect(detectPii(v), v).toEqual([]);
    expect(detectPii('999.1.1.1')).toEqual([]);
  });

  it('ordinary feature values are not PII', () => {
    for (const v of ['AA1234', 'SFO', '2001-05-12 10:30:00', '12.5', '3.14159', 'delayed', '12345678', 'N/A', '10:30:45', 'ORD-LAX']) {
      expect(detectPii(v), v).toEqual([]);
    }
  });

  it('a column is PII at ≥ 1% of values, or with any Luhn-valid card number', () => {
    const plain = { value: 'hello', count: 990 };
    expect(scanPii([plain, { value: 'a@b.io', count: 5 }], 0.01).kinds).toEqual([]);
    expect(scanPii([plain, { value: 'a@b.io', count: 10 }], 0.01).kinds).toEqual(['email']);
    expect(scanPii([plain, { value: '4111 1111 1111 1111', count: 1 }], 0.01).kinds).toEqual(['credit_card']);
    expect(scanPii([plain, { value: '4111 1111 1111 1112', count: 500 }], 0.01).kinds).toEqual([]);
    const masked = scanPii([{ value: 'john@example.com', count: 1 }], 0.01).examples.email?.[0];
    expect(masked).not.toContain('john');
  });

  it('a lookalike share needs 3 matching values: one in a tiny sample is too few to judge; an email or a card number is not', () => {
    // A version string reads as an IPv4 address: 1 of 1 is 100%, yet no evidence of a column of addresses.
    expect(scanPii([{ value: '4.1.2.0', count: 1 }], 0.01)).toMatchObject({ kinds: [], tooFew: ['ip_address'], matches: { ip_address: 1 } });
    expect(scanPii([{ value: '4.1.2.0', count: 1 }, { value: '4.1.3', count: 2 }], 0.01)).toMatchObject({ kinds: [], tooFew: ['ip_address'] });
    expect(scanPii([{ value: '10.0.0.1', count: 2 }, { value: '10.0.0.2', count: 1 }], 0.01)).toMatchObject({ kinds: ['ip_address'], tooFew: [] });
    expect(scanPii([{ value: '(415) 555-2671', count: 2 }], 0.01)).toMatchObject({ kinds: [], tooFew: ['phone'] });
    expect(scanPii([{ value: 'a@b.io', count: 1 }], 0.01)).toMatchObject({ kinds: ['email'], tooFew: [] });
    expect(scanPii([{ value: '4111 1111 1111 1111', count: 1 }], 0.01)).toMatchObject({ kinds: ['credit_card'], tooFew: [] });
    // Under the share, fewer matches are no finding at all.
    expect(scanPii([{ value: 'hello', count: 990 }, { value: '10.0.0.1', count: 2 }], 0.01)).toMatchObject({ kinds: [], tooFew: [] });
  });
});
