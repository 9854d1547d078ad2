/**
 * The methods each check family records (`CheckResult.method`): what an alert's `checks: [family.method]` filter
 * can match. A method missing here would make `validate` refuse a valid filter; `check-methods.test.ts` reads
 * every method the checks' source can record and fails on one this table lacks.
 */
import type { QualityFamily } from './config.js';

export const CHECK_METHODS: Readonly<Record<QualityFamily, readonly string[]>> = {
  schema: ['rows', 'missing_column', 'extra_column', 'type', 'null_key', 'null_timestamp', 'nan', 'not_null', 'max_null_ratio', 'range', 'allowed_values', 'pattern', 'length'],
  provenance: ['fingerprint', 'timestamps', 'future_timestamps', 'created_before_event', 'duplicates', 'future_source_rows', 'tampering'],
  drift: ['drift_share', 'ks', 'chisquare', 'z', 'jensenshannon', 'wasserstein', 'psi'],
  anomaly: ['volume', 'freshness', 'null_rate', 'outliers'],
  class_imbalance: ['imbalance', 'labelled_rows'],
  leakage: ['target', 'temporal', 'overlap', 'pii'],
};
