/**
 * What the typed builders accept and refuse under `tsc --strict` (test/sdk/builder-types.test.ts compiles this file,
 * and `npm run typecheck` does too). Every `@ts-expect-error` marks a definition that plan/apply would refuse; an
 * unused one is itself an error, so a type that lets such a definition through again fails the check. Keep each case
 * on one line: the test checks that each directive covers an error on its own next line.
 */
import { defineFeatureService, defineFeatureView, defineSource, type SourceDef } from '../../src/sdk/index.js';

const base = { name: 'flights', timestamp_field: 'dep_time' };

// Sources: exactly one of `path` (with an optional `format`), `database` + `table`, or `query`.
export const sources = [
  defineSource({ ...base, path: 'data/flights.parquet' }),
  defineSource({ ...base, path: 'data/flights/*.csv', format: 'csv', created_timestamp_field: 'loaded_at' }),
  defineSource({ ...base, database: 'data/warehouse.duckdb', table: 'main.flights' }),
  defineSource({ ...base, query: "SELECT * FROM 'data/flights.parquet'", field_mapping: { Origin: 'origin' } }),
  // @ts-expect-error neither a path, a table nor a query
  defineSource({ ...base }),
  // @ts-expect-error both a path and a query
  defineSource({ ...base, path: 'data/flights.parquet', query: 'SELECT 1' }),
  // @ts-expect-error both a path and a table
  defineSource({ ...base, path: 'data/flights.parquet', database: 'data/w.duckdb', table: 'flights' }),
  // @ts-expect-error both a table and a query
  defineSource({ ...base, database: 'data/w.duckdb', table: 'flights', query: 'SELECT 1' }),
  // @ts-expect-error a database without its table
  defineSource({ ...base, database: 'data/w.duckdb' }),
  // @ts-expect-error a table without its database
  defineSource({ ...base, table: 'flights' }),
  // @ts-expect-error a format is for a path only
  defineSource({ ...base, query: 'SELECT 1', format: 'csv' }),
  // @ts-expect-error not a format
  defineSource({ ...base, path: 'data/flights.json', format: 'json' }),
  // @ts-expect-error the timestamp field is required
  defineSource({ name: 'flights', path: 'data/flights.parquet' }),
];

// A copy of a source (it has its `kind`) is taken as a SourceDef: redefining one needs no cast.
const loaded: SourceDef = sources[0];
export const copies = [
  defineSource({ ...loaded, description: 'Flights, one row per departure' }),
  defineSource({ ...loaded, timestamp_field: 'arr_time' }),
];

const view = { name: 'delays', entities: ['airport'], source: 'flights' };
const mean = { name: 'mean_delay', type: 'float64' } as const;

// Durations: 0 (the number, as YAML's unquoted 0), '0', or a whole number with unit s, m, h or d (typed as strings).
export const durations = [
  defineFeatureView({ ...view, ttl: '6h', allowed_lateness: '2h', features: [mean] }),
  defineFeatureView({ ...view, ttl: 0, allowed_lateness: 0, features: [mean] }),
  defineFeatureView({ ...view, ttl: '0', allowed_lateness: '0s', features: [mean] }),
  defineFeatureView({ ...view, ttl: '36500d', allowed_lateness: '90m', features: [mean] }),
  defineFeatureView({ ...view, ttl: '3600s', quality: { provenance: { max_clock_skew: '5m', landing_delay: 0 } }, features: [mean] }),
  defineFeatureView({ ...view, quality: { anomaly: { max_staleness: '2d' } }, features: [mean] }),
];

/** Durations held in variables typed as strings still go through (checked when planned or applied). */
const hourly: string = '1h';
export const typedDuration = defineFeatureView({ ...view, ttl: hourly, features: [mean] });

// Constraints that fit the feature's type (typed on any feature; validate refuses the others).
export const features = [
  defineFeatureView({ ...view, features: [{ name: 'delay', type: 'float64', min: -60, max: 1440, strict: true, allow_nan: true, mostly: 0.99 }] }),
  defineFeatureView({ ...view, features: [{ name: 'count', type: 'int64', min: 0, allowed_values: [1, 2, 3], nullable: false }] }),
  defineFeatureView({ ...view, features: [{ name: 'carrier', type: 'string', pattern: '^[A-Z]{2}$', min_length: 2, max_length: 2, allowed_values: ['AA', 'UA'], pii: false }] }),
  defineFeatureView({ ...view, features: [{ name: 'embedding', type: 'float32[]', allow_nan: false, max_null_ratio: 0.1 }] }),
  defineFeatureView({ ...view, features: [{ name: 'cancelled', type: 'bool', allowed_values: [true, false], quality: { schema: 'warn' } }] }),
  defineFeatureView({ ...view, features: [{ name: 'departed', type: 'timestamp', nullable: true, description: 'UTC' }] }),
];

export const service = defineFeatureService({ name: 'delay_model', features: ['delays:mean_delay'], label: 'labels:late' });
