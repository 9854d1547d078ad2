/**
 * Where a dataset build's entity rows come from (entity-input.ts loads them), apart from the loader: the SDK's
 * published declarations import the type from here, so a user's compiler never reaches DuckDB's types through it.
 */
import type { Table as ArrowTable } from 'apache-arrow';

/** Where entity rows come from. */
export type EntityInput =
  | { readonly kind: 'file'; readonly path: string; readonly format?: 'parquet' | 'csv' }
  | { readonly kind: 'sql'; readonly sql: string }
  | { readonly kind: 'rows'; readonly rows: readonly object[] }
  | { readonly kind: 'arrow'; readonly table: ArrowTable };
