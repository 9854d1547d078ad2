/**
 * Webhook signatures: `X-Featureguard-Signature: sha256=<hex HMAC-SHA256 of the raw body>`,
 * keyed with the secret from the environment variable named by the alert's `secret_env`.
 *
 * @example
 * // receiver side (throws `webhook_secret_missing` while FG_WEBHOOK_SECRET is unset or empty)
 * verifySignature(rawBody, req.headers['x-featureguard-signature'], process.env.FG_WEBHOOK_SECRET);
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { FeatureguardError } from '../errors.js';

export const SIGNATURE_HEADER = 'X-Featureguard-Signature';

/** `sha256=<hex>` for a body. */
export function signBody(body: string | Uint8Array, secret: string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

/**
 * Constant-time check of a received signature header against the body (text, or its bytes: a `Buffer` is a
 * `Uint8Array`, so the declarations need no Node types). An empty or unset `secret` (a receiver's
 * variable missing, or set to nothing) throws `FeatureguardError` `webhook_secret_missing`: anyone can sign with an
 * empty key, so nothing is verified against it (featureguard itself sends unsigned when its secret is empty).
 */
export function verifySignature(body: string | Uint8Array, header: string | readonly string[] | undefined | null, secret: string | undefined | null): boolean {
  if (typeof secret !== 'string' || secret.length === 0) {
    throw new FeatureguardError('webhook_secret_missing', 'verifySignature: the secret is empty or unset: nothing can be verified against it (set the variable the receiver reads the webhook secret from, as featureguard\'s secret_env)');
  }
  // Node gives a header sent twice as an array: never a valid signature.
  if (!header || typeof header !== 'string') return false;
  const expected = Buffer.from(signBody(body, secret));
  const got = Buffer.from(header);
  return expected.length === got.length && timingSafeEqual(expected, got);
}
