/**
 * The online store interface. Small on purpose: every implementation passes the
 * same conformance suite (`conformance.case.ts`).
 *
 * A store holds, per view and entity key, the latest feature vector with its
 * event and created timestamps. Writes are monotonic (a stored value with a newer
 * `(eventTs, createdTs)` is never replaced by an older one) and grouped in write
 * sessions (`beginWrite`): readers see all of a committed session or none of it.
 */

/** Join key values in the view's join-key order, e.g. `['SEA']` or `['SEA', 'SFO']`. */
export type OnlineKey = readonly (string | number)[];

/** How a write session is opened. */
export interface BeginWriteOptions {
  /**
   * The identity of the definitions the values were computed under (a hash of the view and its source). Under the
   * same definitions writes are monotonic on (event_ts, created_ts). A stored row written under other definitions
   * is replaced by a row of equal or newer event_ts, created_ts not compared (a feature added, a feature mapped to
   * another column, another or no created_timestamp_field: materializing the window again brings the values the
   * definitions give now).
   */
  readonly definition?: string;
  /**
   * The caller holds the view's materialization lease: an earlier exclusive session of the view still pending
   * can only be one whose process failed or died before its abort reached the store, and is dead from now
   * on (its records never shown, nor compared against). Pushes, which run beside materializations, are not
   * exclusive.
   */
  readonly exclusive?: boolean;
  /**
   * With `exclusive`: where the caller's lease lives (`stateIdentity` of the state database). An earlier
   * exclusive session of the same domain is dead at once; one of another domain (another state folder writing
   * to the same Redis) only once it stopped renewing.
   */
  readonly leaseDomain?: string;
  /**
   * Per feature (in the writer's order): a float feature (`float32`, `float64` or a list of them), whose whole
   * numbers are stored as `30.0`, not `30`, so that the online API writes them as floats (Feast's clients type a
   * value by its JSON form). Without it, values are stored as `JSON.stringify` writes them.
   */
  readonly floats?: readonly boolean[];
}

/** One entity's values for one view. `values` follow the `features` order given to the writer. */
export interface OnlineRow {
  readonly key: OnlineKey;
  /** JSON-friendly values: null, boolean, number (NaN and ±Infinity allowed), string, arrays of numbers. */
  readonly values: readonly unknown[];
  /** Microseconds since epoch (UTC). */
  readonly eventTs: number;
  /** Microseconds since epoch (UTC); 0 when the source has no created timestamp. */
  readonly createdTs: number;
}

export interface StoredValue {
  /** In the order of the `features` asked for; null for a stored null, undefined for a feature the record was written without (added to the view since). */
  readonly values: readonly unknown[];
  readonly eventTs: number;
  readonly createdTs: number;
}

/**
 * A stored vector as encoded (`record-codec.ts`), not decoded: what the online API
 * writes out as it is. `project(decodeValues(encoded), projection)` is the
 * `StoredValue`'s `values`; `decodeValueTexts(encoded, projection)` their JSON texts.
 */
export interface StoredEncoded {
  /** The vector as `encodeValues` wrote it, in the stored feature order. */
  readonly encoded: string;
  /** Positions of the features asked for in the stored vector (`-1`: absent), or `null` when they are the stored features in order. */
  readonly projection: Int32Array | null;
  readonly eventTs: number;
  readonly createdTs: number;
}

/** One view's part of a read of several views (`readManyEncodedViews`): what `readManyEncoded` takes. */
export interface OnlineReadRequest {
  readonly view: string;
  readonly features: readonly string[];
  readonly keys: readonly OnlineKey[];
}

export interface WriteResult {
  /** Rows that replaced an older (or absent) stored value. */
  readonly written: number;
  /** Rows skipped because the store holds a newer or equal (eventTs, createdTs). */
  readonly skipped: number;
}

export interface OnlineStoreStats {
  readonly type: string;
  readonly views: Record<string, { readonly entities: number }>;
}

/** A write session: nothing written through it is visible before `commit`. */
export interface OnlineWriter {
  write(rows: readonly OnlineRow[]): Promise<WriteResult>;
  /** Make every write of the session visible at once; resolves to the session's totals. */
  commit(): Promise<WriteResult>;
  /** Discard the session: readers keep seeing what they saw before it began. */
  abort(): Promise<void>;
}

export interface OnlineStore {
  readonly type: string;
  /**
   * Open a write session for one view; `features` names the columns of the rows'
   * `values` (the view's full feature vector). Sessions on one store instance run
   * one at a time (a second `beginWrite` waits for the first to end).
   */
  beginWrite(view: string, features: readonly string[], options?: BeginWriteOptions): Promise<OnlineWriter>;
  /** One-batch session: `beginWrite`, `write`, `commit`. */
  writeBatch(view: string, features: readonly string[], rows: readonly OnlineRow[], options?: BeginWriteOptions): Promise<WriteResult>;
  /** Read many keys of one view; `undefined` where not found. Values follow `features` order. */
  readMany(view: string, features: readonly string[], keys: readonly OnlineKey[]): Promise<(StoredValue | undefined)[]>;
  /** `readMany` without decoding the stored vectors (the HTTP API's read). */
  readManyEncoded(view: string, features: readonly string[], keys: readonly OnlineKey[]): Promise<(StoredEncoded | undefined)[]>;
  /**
   * `readManyEncoded` of several views in one call: per request, in request order, what `readManyEncoded` of it
   * returns (a view may be asked more than once). The online read of features spread over several views: one
   * SQLite pass, one Redis round trip (a cluster: the sessions' snapshot, then the records), not one call per view.
   */
  readManyEncodedViews(requests: readonly OnlineReadRequest[]): Promise<(StoredEncoded | undefined)[][]>;
  /** Remove everything stored for a view. */
  dropView(view: string): Promise<void>;
  stats(): Promise<OnlineStoreStats>;
  /**
   * An id of what the store holds: the same as long as what was written is there, a new one once it was lost
   * (a Redis restarted without persistence or flushed, a database file deleted, another store configured).
   * Materialized windows are recorded with it, so that `--incremental` does not take windows of lost values
   * for written. Created on first use (a write).
   */
  epoch(): Promise<string>;
  close(): Promise<void>;
}

export type OnlineStoreFactory<Options> = (options: Options, root: string) => Promise<OnlineStore>;
