/**
 * An instant given in a URL's query string (`GET /v1/runs?since=…`, `/ui/runs?since=…`): `parseInstant`, after
 * reading an offset whose '+' was sent unencoded (a query string decodes '+' as a space) as the '+' it was.
 */
import { InputError } from '../errors.js';
import { parseInstant } from './instant.js';

/** A time, then a space and `HH:MM` (or `HHMM`): an offset whose '+' was not encoded (a query string reads it as a space). */
const SPACED_OFFSET = /^(\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?) (\d{2}:?\d{2})$/;

/**
 * `parseInstant(raw, what, detailsKey)` for a query-string value: after a time, a space and an offset can only be
 * a '+' sent unencoded, so it is read as one. A value with a space that still names no instant is an `InputError`
 * that says to encode the '+' as `%2B`.
 *
 * @example
 * readQueryInstant('2026-01-01T00:00:00 01:00', "query parameter 'since'", 'since'); // 2025-12-31T23:00:00.000Z
 */
export function readQueryInstant(raw: string, what: string, detailsKey = what): Date {
  const text = raw.replace(SPACED_OFFSET, '$1+$2');
  try {
    return parseInstant(text, what, detailsKey);
  } catch (e) {
    if (!(e instanceof InputError) || !raw.includes(' ')) throw e;
    throw new InputError(`${e.message} (a '+' in a query string is read as a space: encode it as %2B)`, e.details, e.code);
  }
}
