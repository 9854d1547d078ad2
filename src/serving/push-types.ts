/**
 * The request and result of `push` (push.ts), apart from the implementation: the SDK's published declarations
 * import them from here, so a user's compiler never reaches DuckDB's types or the internal `Project` through them.
 */
import type { RunStatus } from '../runs/types.js';

export type PushTarget = 'online' | 'offline' | 'both';

export interface PushRequest {
  readonly view: string;
  /**
   * Rows with the view's join keys, `event_timestamp` (RFC 3339), optional `created_timestamp`, and features: plain
   * objects, typed by an `interface` or a type alias (checked against the view at run time).
   */
  readonly rows: readonly object[];
  /** Default `online`. Feast's `online_and_offline` is accepted as `both`. */
  readonly to?: PushTarget | 'online_and_offline';
  /**
   * Leave out columns that are no join key, timestamp or feature of the view, as Feast does (default: refused).
   * Rows must then carry every feature column of the view, as Feast's frames do (400 `missing_feature_columns`
   * otherwise, nothing written): a feature left out would be stored as null, and a misspelt one left out unnoticed.
   */
  readonly ignoreUnknownColumns?: boolean;
  /**
   * A key naming this push (HTTP: the `Idempotency-Key` header): a push of the same view with the same key and
   * request within 24 hours answers this push's answer again (`replayed: true`, same `run_id`) and writes nothing;
   * the same key with another request is a 409 `idempotency_key_reused`. 1 to 255 printable characters.
   */
  readonly idempotencyKey?: string;
}

export interface PushResult {
  readonly run_id: string;
  readonly view: string;
  readonly status: RunStatus;
  readonly to: PushTarget;
  readonly rows: number;
  /** Online rows that replaced an older value; `skipped` ones were not newer than what the store holds. */
  readonly written: number;
  readonly skipped: number;
  /** Rows of an entity that a newer row of the same entity in this push beat (not offered to the online store). */
  readonly superseded: number;
  /** The file appended to the offline source, if any. */
  readonly file: string | null;
  readonly blocked_reason: string | null;
  readonly counts: { pass: number; warn: number; fail: number; error: number; skipped: number };
  /** With `ignoreUnknownColumns`: the columns left out (absent when none were). */
  readonly ignored_columns?: readonly string[];
  /** True when this is the answer of an earlier push with the same idempotency key, replayed (nothing was written). */
  readonly replayed?: true;
}
