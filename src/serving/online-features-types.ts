/**
 * The request, response and options of `getOnlineFeatures` (online-features.ts), apart from the implementation: the
 * SDK's published declarations import them from here, so a user's compiler never reaches the internal `Project`
 * through them.
 */

export type FeatureStatus = 'PRESENT' | 'NOT_FOUND' | 'NULL_VALUE' | 'OUTSIDE_MAX_AGE';

/** Columnar entity rows, one list of values per join key: an `interface` (`{ origin: string[] }`) or a type alias. */
export type EntityColumns<E> = { readonly [K in keyof E]: readonly unknown[] };

export interface OnlineFeaturesRequest<E extends EntityColumns<E> = Readonly<Record<string, readonly unknown[]>>> {
  /** Feature references `view:feature` or `view` (all its features). */
  readonly features?: readonly string[];
  /** A feature service name (instead of `features`). */
  readonly service?: string;
  /** Columnar entity rows, Feast's shape: `{origin: ['SEA', 'SFO']}`. */
  readonly entities: E;
  /** Name features `view__feature` (default: `feature`). */
  readonly fullFeatureNames?: boolean;
}

export interface OnlineFeatureVector {
  /**
   * One value per entity row, as stored: an `int64` key or feature is a `number`, or its decimal text
   * (`'9007199254740993'`) beyond ±(2^53 − 1), where a number would lose digits (`getHistoricalFeatures` gives
   * `bigint`s); `BigInt(v)` reads both.
   */
  values: unknown[];
  statuses: FeatureStatus[];
  event_timestamps: string[];
}

export interface OnlineFeaturesResponse {
  metadata: { feature_names: string[] };
  results: OnlineFeatureVector[];
}

export interface OnlineReadOptions {
  /** Cap on entity rows (default `server.max_entities` or 1000). */
  readonly maxEntities?: number;
  /**
   * Read keys as Feast's server does (its `/get-online-features`): an integer given for a string join key is its
   * decimal text (Feast converts with `str()`: a zip code sent as 94107 is "94107").
   */
  readonly feastKeys?: boolean;
  /**
   * The instant a view's ttl is measured from (default now): a value older than the ttl before it is
   * `OUTSIDE_MAX_AGE`. Not a read as of that instant: the online store keeps only the latest value per entity, so a
   * value stamped after `now` is still served `PRESENT`.
   */
  readonly now?: Date;
}
