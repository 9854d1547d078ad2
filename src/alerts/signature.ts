/**
 * Webhook signatures: `X-Featureguard-Signature: sha256=<hex HMAC-SHA256 of the raw body>`,
 * keyed with the secret from the environment variable named by the alert's `secret_env`.
 *
 * @example
 * // receiver side
 * verifySignature(rawBody, req.headers['x-featureguard-signature'], process.env.FG_WEBHOOK_SECRET!);
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export const SIGNATURE_HEADER = 'X-Featureguard-Signature';

/** `sha256=<hex>` for a body. */
export function signBody(body: string | Buffer, secret: string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

/** Constant-time check of a received signature header against the body. */
export function verifySignature(body: string | Buffer, header: string | readonly string[] | undefined | null, secret: string): boolean {
  // Node gives a header sent twice as an array: never a valid signature.
  if (!header || typeof header !== 'string') return false;
  const expected = Buffer.from(signBody(body, secret));
  const got = Buffer.from(header);
  return expected.length === got.length && timingSafeEqual(expected, got);
}
