/**
 * `featureguard/signature`: what a webhook receiver needs, without the SDK (which loads DuckDB's and better-sqlite3's
 * native bindings: most of a second and about 100 MB for an HMAC). Imports nothing beyond `node:crypto`.
 *
 * @example
 * import { verifySignature, SIGNATURE_HEADER, DELIVERY_HEADER } from 'featureguard/signature';
 * if (!verifySignature(rawBody, req.headers['x-featureguard-signature'], process.env.FG_WEBHOOK_SECRET)) res.writeHead(401);
 */
export { SIGNATURE_HEADER, verifySignature } from './alerts/signature.js';
export { DELIVERY_HEADER } from './alerts/delivery-id.js';
export { FeatureguardError } from './errors.js';
