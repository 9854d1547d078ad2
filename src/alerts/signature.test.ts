import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { FeatureguardError } from '../errors.js';
import { signBody, verifySignature } from './signature.js';

describe('verifySignature', () => {
  const body = '{"event":"featureguard.run","alert":"retrain","run":{"id":"r"}}';

  it('accepts the signature made with the secret, refuses another or a header sent twice', () => {
    expect(verifySignature(body, signBody(body, 's3cret'), 's3cret')).toBe(true);
    expect(verifySignature(Buffer.from(body), signBody(body, 's3cret'), 's3cret')).toBe(true);
    expect(verifySignature(body, signBody(body, 'other'), 's3cret')).toBe(false);
    expect(verifySignature(body, [signBody(body, 's3cret'), signBody(body, 's3cret')], 's3cret')).toBe(false);
  });

  it("refuses to verify anything against an empty or unset secret (a receiver's missing variable), with a clear error", () => {
    // A body "signed" with an empty key: anyone can make it.
    const forged = `sha256=${createHmac('sha256', '').update(body).digest('hex')}`;
    for (const secret of ['', undefined, null]) {
      let thrown: unknown;
      try {
        verifySignature(body, forged, secret);
      } catch (e) {
        thrown = e;
      }
      expect(thrown).toBeInstanceOf(FeatureguardError);
      expect(thrown).toMatchObject({ code: 'webhook_secret_missing', message: expect.stringMatching(/secret is empty or unset/) });
    }
  });
});
