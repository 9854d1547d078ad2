/**
 * The age of a timestamp feature: the row's event time minus the feature's value, in seconds. Raw timestamps
 * cannot be compared across windows (every later window holds later values), but the age at the row's time is what
 * a model sees, and what drifts when an upstream job stalls (ages grow) or writes values from the future (negative
 * ages). A timestamp column's profile carries the numeric profile of its age (`ColumnProfile.age`), profiled with
 * the other columns: the age is one more expression column (`ProfiledColumn.sql`) of the same sample rows, and its
 * aggregates take one extra aggregate query over the rows (one expression per timestamp feature).
 *
 * @example
 * const profiles = await profileTable(conn, 'rows', { age: ageOptions(columns, 'event_timestamp', ['last_departure_at']) });
 * profiles.get('last_departure_at')?.age?.quantiles?.p50; // seconds
 */
import { ident } from '../offline/engine.js';
import type { TableColumn } from './check.js';
import { columnKind, type ProfiledColumn } from './profile-sql.js';

/** Which columns of a table get an age, against which event time column. */
export interface AgeOptions {
  /** The rows' event time (a timestamp column of the table). */
  readonly eventTimestamp: string;
  /** Columns to age; those that are no timestamp (or are the event time itself) get none. */
  readonly columns: readonly string[];
}

/**
 * The age options of a table's `features` against its event time column; undefined when the table has no event
 * time, it is no timestamp, or no feature is one.
 */
export function ageOptions(columns: readonly TableColumn[], eventTimestamp: string | null, features: readonly string[]): AgeOptions | undefined {
  const type = (name: string) => columns.find((c) => c.name === name)?.type;
  const evt = eventTimestamp === null ? undefined : type(eventTimestamp);
  if (eventTimestamp === null || evt === undefined || columnKind(evt) !== 'timestamp') return undefined;
  const aged = features.filter((f) => f !== eventTimestamp && columnKind(type(f) ?? '') === 'timestamp');
  return aged.length > 0 ? { eventTimestamp, columns: aged } : undefined;
}

/**
 * Seconds from a timestamp column's value to the event time (event time − value) as DOUBLE; NULL when either is
 * NULL or ±infinity. `epoch_us` reads TIMESTAMP (as UTC), TIMESTAMPTZ (the instant), TIMESTAMP_S/MS/NS and DATE
 * (its midnight UTC) alike. The difference is taken in DOUBLE, which no two timestamps overflow (BIGINT would
 * throw) and which is exact to the microsecond until 2255; HUGEINT made the aggregate pass about 1.5× slower.
 */
export function ageSecondsSql(eventTimestamp: string, column: string): string {
  return `(epoch_us(${ident(eventTimestamp)})::DOUBLE - epoch_us(${ident(column)})::DOUBLE) / 1e6`;
}

/** Prefix of the age columns' names in the profiling queries (featureguard's hidden `__fg_` names). */
const AGE_PREFIX = '__fg_age:';

/** The age expression columns of the timestamp columns among `columns` named by `age` (DOUBLE, numeric). */
export function ageColumns(columns: readonly TableColumn[], age: AgeOptions | undefined): { column: string; aged: ProfiledColumn }[] {
  if (!age) return [];
  const wanted = new Set(age.columns);
  return columns
    .filter((c) => wanted.has(c.name) && c.name !== age.eventTimestamp && columnKind(c.type) === 'timestamp')
    .map((c) => ({ column: c.name, aged: { name: `${AGE_PREFIX}${c.name}`, type: 'DOUBLE', sql: ageSecondsSql(age.eventTimestamp, c.name), finite: true } }));
}
