/**
 * The result of `sendDueRedeliveries` (redelivery.ts), apart from the implementation: the SDK's published
 * declarations import it from here, so a user's compiler never reaches better-sqlite3's types or the internal
 * `Project` through it.
 */
import type { AlertAttempt } from './attempts-types.js';

/** What one call did: the attempts made, and how many redeliveries are still waiting for a later round. */
export interface RedeliverResult {
  readonly attempts: AlertAttempt[];
  readonly delivered: number;
  readonly failed: number;
  /** Redeliveries that ended unsent or after a failed last round: the alert's `redeliver_for` ran out, or the alert has been gone for a week. */
  readonly given_up: number;
  /**
   * Deliveries kept before their alert got a `min_interval` (which is not redelivered): no longer kept, counted as
   * held back instead, so its next delivery (`suppressed`) or held-back summary reports them.
   */
  readonly held_back: number;
}
