/**
 * The online store interface. Small on purpose: every implementation passes the
 * same conformance suite (`conformance.case.ts`).
 */

/** One entity's values for one view. `values` is in the order of the view's feature names. */
export interface OnlineRow {
  /** Join key values in the view's join-key order, e.g. `['SEA']` or `['SEA', 'SFO']`. */
  readonly key: readonly (string | number)[];
  readonly values: readonly unknown[];
  /** Microseconds since epoch (UTC). */
  readonly eventTs: number;
  /** Microseconds since epoch (UTC); 0 when the source has no created timestamp. */
  readonly createdTs: number;
}

export interface StoredValue {
  readonly values: readonly unknown[];
  readonly eventTs: number;
  readonly createdTs: number;
}

export interface WriteResult {
  /** Rows that replaced an older (or absent) stored value. */
  readonly written: number;
  /** Rows skipped because the store holds a newer (event_ts, created_ts). */
  readonly skipped: number;
}

export interface OnlineStoreStats {
  readonly type: string;
  readonly views: Record<string, { readonly entities: number }>;
}

export interface OnlineStore {
  readonly type: string;
  /**
   * Write a batch for one view, atomically (readers see all of it or none) and
   * monotonically (never replace a newer (eventTs, createdTs) with an older one).
   * `features` names the columns of `values`.
   */
  writeBatch(view: string, features: readonly string[], rows: readonly OnlineRow[]): Promise<WriteResult>;
  /** Read many keys of one view; `undefined` where not found. Values follow `features` order. */
  readMany(view: string, features: readonly string[], keys: readonly (readonly (string | number)[])[]): Promise<(StoredValue | undefined)[]>;
  /** Remove everything stored for a view. */
  dropView(view: string): Promise<void>;
  stats(): Promise<OnlineStoreStats>;
  close(): Promise<void>;
}

export type OnlineStoreFactory<Options> = (options: Options) => Promise<OnlineStore>;
