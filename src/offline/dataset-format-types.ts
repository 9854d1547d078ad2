/**
 * The file formats a dataset build writes (dataset-output.ts writes them), apart from the writers: the SDK's
 * published declarations import the type from here, so a user's compiler never reaches DuckDB's types through it.
 */

export type DatasetFormat = 'parquet' | 'arrow' | 'csv' | 'json';
