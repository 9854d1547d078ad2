/**
 * How the entity rows' errors name a row: by its index in the input order, counting from 0, as every `details.row`,
 * the online reads and the push refusals (`row 0 (counting from 0) at /0/event_timestamp`) do (`rowNumber`). A file's
 * first data row (below a CSV header), the first row object and the query's first row are row 0.
 *
 * @example
 * badEntityTimestamp('event_timestamp', '2026-02-30', 2, 'February 2026 has 28 days');
 */
import { InputError } from '../errors.js';
import { rowNumber } from '../row-number.js';

/** A timestamp value of the entity rows that is no time (`bad_entity_timestamp`): the value, its row and why. */
export function badEntityTimestamp(column: string, value: string, row: number, reason: string): InputError {
  return new InputError(`entity timestamp '${value}' in '${column}' at ${rowNumber(row)} is no valid time: ${reason}`, { column, value, row }, 'bad_entity_timestamp');
}
