/**
 * The result of `applyDefinitions` (apply-definitions.ts), apart from the implementation: the SDK's published
 * declarations import it from here, so a user's compiler never reaches DuckDB's types or the internal `Project`
 * through it.
 */
import type { DefinitionProblem } from '../errors.js';
import type { ApplyResult } from './types.js';

export interface ApplyDefinitionsResult extends ApplyResult {
  /** Views whose online values were dropped (and materialized windows forgotten), sorted. */
  readonly dropped: readonly string[];
  /**
   * Views being materialized or pushed to right now: that writer drops the
   * values (and writes none of the old definition) instead, see `online-drops.ts`.
   */
  readonly deferred: readonly string[];
  /** What `validate` finds wrong with the sources (missing file, column, type): applied anyway, said now. */
  readonly source_problems: readonly DefinitionProblem[];
  /** Alerts of featureguard.yaml filtering on a view or service no longer defined (they never fire for it): applied anyway, said now. */
  readonly alert_problems: readonly DefinitionProblem[];
}
