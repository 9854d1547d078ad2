/**
 * Every spelling of the full feature names option (`view__feature`), for the messages of a feature name two
 * views share: a dataset build's and an online read's say it alike. A module of its own: the online read path
 * does not load the dataset planner (and DuckDB with it).
 *
 * @example
 * throw new InputError(`… use full feature names (${FULL_NAMES})`);
 */
export const FULL_NAMES = 'CLI --full-feature-names, SDK fullFeatureNames, API full_feature_names';
