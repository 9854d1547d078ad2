/**
 * How an error names a row of its input: by its index in the input order, counting from 0, and saying so (a CSV
 * file's line numbers count from 1). One wording for the dataset's entity rows, an online read's entity rows and a
 * push refusal's rows; their `details.row` is the same number.
 *
 * @example
 * rowNumber(2); // 'row 2 (counting from 0)'
 */
export const rowNumber = (row: number): string => `row ${row} (counting from 0)`;
