/**
 * Definition objects: frozen data with a `kind`, identical whether they come from
 * YAML/JSON files or from the `define*` builders. The JSON Schemas in `schemas/`
 * describe exactly these shapes.
 */
import type { QualityConfig } from '../guards/config.js';

export type ScalarType = 'bool' | 'int32' | 'int64' | 'float32' | 'float64' | 'string' | 'timestamp';
export type ListType = 'float32[]' | 'float64[]';
export type FeatureType = ScalarType | ListType;
export type JoinKeyType = 'string' | 'int32' | 'int64';

export const FEATURE_TYPES: readonly FeatureType[] = [
  'bool', 'int32', 'int64', 'float32', 'float64', 'string', 'timestamp', 'float32[]', 'float64[]',
];

export interface JoinKey {
  readonly name: string;
  readonly type: JoinKeyType;
  readonly description?: string;
}

interface Described {
  readonly description?: string;
  readonly tags?: Readonly<Record<string, string>>;
  readonly owner?: string;
}

export interface EntityDef extends Described {
  readonly kind: 'entity';
  readonly name: string;
  readonly join_keys: readonly JoinKey[];
}

/** Exactly one of `path`, `database` + `table`, or `query` is set. */
export interface SourceDef extends Described {
  readonly kind: 'source';
  readonly name: string;
  /** Parquet or CSV file or glob, relative to the project root. */
  readonly path?: string;
  /** `parquet` or `csv`; inferred from the path's extension when absent. */
  readonly format?: 'parquet' | 'csv';
  /** A `.duckdb` file under the project root, opened read-only, with `table`. */
  readonly database?: string;
  readonly table?: string;
  /** A DuckDB SQL query over files under the project root. */
  readonly query?: string;
  readonly timestamp_field: string;
  readonly created_timestamp_field?: string;
  /** source column name -> name used in definitions. */
  readonly field_mapping?: Readonly<Record<string, string>>;
}

/** Where a source's rows come from, as `defineSource` takes it: exactly one of these (the schema's `oneOf`). */
export interface PathSourceSpec {
  /** Parquet or CSV file or glob, relative to the project root. */
  readonly path: string;
  /** `parquet` or `csv`; inferred from the path's extension when absent. */
  readonly format?: 'parquet' | 'csv';
  readonly database?: never;
  readonly table?: never;
  readonly query?: never;
}
export interface TableSourceSpec {
  /** A `.duckdb` file under the project root, opened read-only. */
  readonly database: string;
  /** Table (or `schema.table`) inside `database`. */
  readonly table: string;
  readonly path?: never;
  readonly format?: never;
  readonly query?: never;
}
export interface QuerySourceSpec {
  /** A DuckDB SQL query over files under the project root. */
  readonly query: string;
  readonly path?: never;
  readonly format?: never;
  readonly database?: never;
  readonly table?: never;
}
/** A source as `defineSource` takes it: its location (`path`, `database` + `table`, or `query`) and the rest. */
export type SourceSpec = Omit<SourceDef, 'kind' | 'path' | 'format' | 'database' | 'table' | 'query'> &
  (PathSourceSpec | TableSourceSpec | QuerySourceSpec);

export interface FeatureConstraints {
  readonly nullable?: boolean;
  readonly max_null_ratio?: number;
  readonly min?: number;
  readonly max?: number;
  readonly strict?: boolean;
  readonly allowed_values?: readonly (string | number | boolean)[];
  readonly pattern?: string;
  readonly min_length?: number;
  readonly max_length?: number;
  readonly mostly?: number;
  readonly allow_nan?: boolean;
  /** Personal data: the PII check passes, and the quality log keeps hashes of its (string) values only (guards/profile-mask.ts). */
  readonly pii?: boolean;
}

export interface FeatureDef extends FeatureConstraints {
  readonly name: string;
  readonly type: FeatureType;
  readonly description?: string;
  /** Per-feature overrides of the view's quality policy. */
  readonly quality?: QualityConfig;
}

export interface FeatureViewDef extends Described {
  readonly kind: 'feature_view';
  readonly name: string;
  readonly entities: readonly string[];
  readonly source: string;
  /** `0` (unlimited) or a number with unit s, m, h, d, e.g. `6h`. */
  readonly ttl?: string;
  /**
   * How late a row may land and still be materialized by incremental runs: each starts this long before the last
   * window's end (never before now − ttl, or the source's earliest row for a ttl of 0). `0` (none, the default) or a
   * number with unit s, m, h, d, e.g. `2h`.
   */
  readonly allowed_lateness?: string;
  readonly online?: boolean;
  /** `label` makes this a label view. */
  readonly role?: 'feature' | 'label';
  readonly schedule?: string;
  readonly features: readonly FeatureDef[];
  readonly quality?: QualityConfig;
  readonly slices?: readonly string[];
}

export interface FeatureServiceDef extends Described {
  readonly kind: 'feature_service';
  readonly name: string;
  /** `view` (all features) or `view:feature`. */
  readonly features: readonly string[];
  /** `label_view:feature`. */
  readonly label?: string;
  readonly quality?: QualityConfig;
}

export type Definition = EntityDef | SourceDef | FeatureViewDef | FeatureServiceDef;
export type DefinitionKind = Definition['kind'];

export type OnlineStoreConfig =
  | { readonly type: 'sqlite'; readonly path?: string }
  | {
      readonly type: 'redis';
      readonly url?: string;
      readonly cluster?: readonly string[];
      readonly key_prefix?: string;
      /** With `cluster`: the nodes' ACL user. */
      readonly username?: string;
      /** With `cluster`: name of the environment variable holding the nodes' password. */
      readonly password_env?: string;
      /** With `cluster`: TLS to the nodes. */
      readonly tls?: boolean;
    };

export interface AlertConfig {
  readonly name: string;
  readonly url: string;
  /** Name of the environment variable holding the HMAC secret. */
  readonly secret_env?: string;
  /** At most one delivery per view or service within this duration (`10m`); default `0`: every match. */
  readonly min_interval?: string;
  /**
   * How long a delivery that did not arrive (every try failed, or its process stopped meanwhile) is sent again, one try per round, 1, 2, 4, … minutes apart (at
   * most an hour): default `24h`; `0`: never. Not with `min_interval` (its failed matches count in the next delivery).
   */
  readonly redeliver_for?: string;
  readonly checks?: readonly string[];
  readonly statuses?: readonly string[];
  /** Only runs of these views. */
  readonly views?: readonly string[];
  /**
   * Only runs of these services: their dataset builds and checks, and the runs of
   * every view they consume (features and label), judged on the features the
   * service uses. This is how drift of serving data triggers retraining.
   */
  readonly services?: readonly string[];
}

export interface ServerConfig {
  readonly host?: string;
  readonly port?: number;
  readonly max_entities?: number;
  readonly body_limit?: number;
  /** The address webhook receivers reach the server at: alert bodies' `links` are absolute URLs under it. */
  readonly public_url?: string;
  /**
   * Accept sources with a new or changed `query` through `POST /v1/registry/apply`
   * (default false: a query runs its SQL on the server, which can read any file the
   * server can; apply such sources from the project folder with the CLI instead).
   */
  readonly allow_query_sources?: boolean;
}

/** `featureguard.yaml`. */
export interface ProjectConfig {
  readonly project: string;
  readonly description?: string;
  /** Folder (relative to the project root) holding definition files. Default `features`. */
  readonly definitions?: string;
  /** Folders outside the project (absolute, or relative to the project root) that sources may read from. */
  readonly data_roots?: readonly string[];
  readonly online_store?: OnlineStoreConfig;
  readonly quality?: QualityConfig;
  readonly alerts?: readonly AlertConfig[];
  readonly server?: ServerConfig;
  readonly quality_log?: QualityLogConfig;
}

/** Retention of the quality log (`quality_log:` in featureguard.yaml). */
export interface QualityLogConfig {
  /** `serve` removes runs older than this many days, at start and daily. */
  readonly keep_days: number;
  /** Newest successful runs kept per (kind, view, service) whatever their age (default 100). */
  readonly keep_runs?: number;
}

/** All definitions of a project, by kind and name. */
export interface DefinitionSet {
  readonly entities: ReadonlyMap<string, EntityDef>;
  readonly sources: ReadonlyMap<string, SourceDef>;
  readonly views: ReadonlyMap<string, FeatureViewDef>;
  readonly services: ReadonlyMap<string, FeatureServiceDef>;
}
