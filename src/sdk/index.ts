/** featureguard's public SDK. */
export { openFeatureStore, type FeatureStore } from './feature-store.js';
export { defineEntity, defineSource, defineFeatureView, defineFeatureService } from '../definitions/define.js';
export type * from '../definitions/types.js';
export type * from '../runs/types.js';
export { FeatureguardError, DefinitionError, InputError, NotFoundError, ConflictError, AuthError } from '../errors.js';
export type { MaterializeOptions, MaterializeResult, MaterializeStatus } from '../materialize/types.js';
export type { OnlineFeaturesRequest, OnlineFeaturesResponse, OnlineFeatureVector, FeatureStatus, OnlineReadOptions } from '../serving/online-features.js';
export type { HistoricalFeaturesRequest, HistoricalFeaturesResult, EntitySpec, DatasetProgress } from '../offline/historical.js';
export type { EntityInput } from '../offline/entity-input.js';
export type { DatasetManifest, ManifestOutput } from '../offline/manifest.js';
export type { DatasetFormat } from '../offline/dataset-output.js';
export type { PruneOptions, PruneResult } from '../runs/prune.js';
export type { DatasetVerification, DatasetDifference } from '../offline/verify-dataset.js';
