/**
 * Quality policy configuration: project defaults in `featureguard.yaml`,
 * overridden per view and per feature. (Filled in by the guards module.)
 */
export type Policy = 'block' | 'warn' | 'off';

export interface QualityConfig {
  readonly [family: string]: unknown;
}
