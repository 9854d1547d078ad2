/**
 * A dataset build's request (`HistoricalFeaturesRequest`, declared in `historical-types.ts`) and how it is read:
 * the entity rows as an `EntityInput` (`normalizeEntities`), "no split" given as null or '' (`withoutEmptySplit`),
 * the split and availability options checked (`checkedBuildOptions`), the run's recorded options (`runOptions`),
 * and the error of a cancelled build (`cancelled`). Pure: nothing here opens a connection or writes.
 *
 * @example
 * const request = withoutEmptySplit(given);
 * const { availability, splitAtMicros } = checkedBuildOptions(request);
 */
import type { Table } from 'apache-arrow';
import { resolve } from 'node:path';
import { FeatureguardError, InputError } from '../errors.js';
import { parseInstantMicros } from '../time/instant.js';
import type { EntityInput } from './entity-input-types.js';
import type { EntitySpec, HistoricalFeaturesRequest } from './historical-types.js';
import type { BuildFacts } from './manifest.js';
import type { DatasetManifest } from './manifest-types.js';
import type { DefinitionSet } from '../definitions/types.js';
import type { Project } from '../project.js';
import { ENTITY_TS } from './point-in-time.js';

/**
 * The error of a build whose signal aborted. A stream is what the HTTP API builds (its signal is the request's:
 * the client went away); a build through the SDK was cancelled by its caller's signal.
 */
export function cancelled(outputKind: string): FeatureguardError {
  const why = outputKind.startsWith('stream:') ? 'the client went away' : 'its signal was aborted';
  return new FeatureguardError('cancelled', `the dataset build was cancelled (${why})`, { status: 499, exitCode: 130 });
}

/** The entity rows of a request as an `EntityInput`; anything else (untyped JavaScript) is a `bad_entities` `InputError`. */
export function normalizeEntities(spec: EntitySpec): EntityInput {
  if (typeof spec === 'string') return { kind: 'file', path: spec };
  if (Array.isArray(spec)) return { kind: 'rows', rows: spec as readonly Record<string, unknown>[] };
  if (spec !== null && typeof spec === 'object') {
    if (typeof (spec as Table).schema === 'object' && typeof (spec as Table).getChildAt === 'function') return { kind: 'arrow', table: spec as Table };
    const input = spec as Partial<EntityInput> & { kind?: unknown };
    if (input.kind === 'file' && typeof (input as { path?: unknown }).path === 'string') return input as EntityInput;
    if (input.kind === 'sql' && typeof (input as { sql?: unknown }).sql === 'string') return input as EntityInput;
    if (input.kind === 'rows' && Array.isArray((input as { rows?: unknown }).rows)) return input as EntityInput;
    if (input.kind === 'arrow' && typeof (input as { table?: Table }).table?.getChildAt === 'function') return input as EntityInput;
  }
  // Untyped JavaScript: a clear error rather than a TypeError from deep inside.
  throw new InputError(
    `entities must be a file path, an array of row objects, an apache-arrow Table, or {kind: 'file', path} / {kind: 'sql', sql} / {kind: 'rows', rows}; got ${describeValue(spec)}`,
    undefined,
    'bad_entities',
  );
}

function describeValue(v: unknown): string {
  if (v === null || v === undefined) return String(v);
  if (typeof v !== 'object') return `a ${typeof v}`;
  const kind = (v as { kind?: unknown }).kind;
  return kind === undefined ? 'an object without kind (columns are given as an array of row objects)' : `{kind: ${JSON.stringify(kind)}} without its ${kind === 'file' ? 'path' : kind === 'sql' ? 'sql' : kind === 'rows' ? 'rows array' : 'fields'}`;
}

/** `splitAt` and `testFraction` given as null or '' by JavaScript callers mean "no split", as before strict parsing. */
export function withoutEmptySplit(request: HistoricalFeaturesRequest): HistoricalFeaturesRequest {
  const empty = (v: unknown) => v === null || v === '';
  if (!empty(request.splitAt) && !empty(request.testFraction)) return request;
  return { ...request, splitAt: empty(request.splitAt) ? undefined : request.splitAt, testFraction: empty(request.testFraction) ? undefined : request.testFraction };
}

/** Whether a request (read by `withoutEmptySplit`) splits its rows into train and test parts. */
export function isSplit(request: HistoricalFeaturesRequest): boolean {
  return request.splitAt !== undefined || request.testFraction !== undefined;
}

/**
 * The availability and the split point of a request (read by `withoutEmptySplit`), checked: an `InputError` for an
 * unknown availability, both split options, a test fraction outside (0, 1), or a split point that is no instant.
 */
export function checkedBuildOptions(request: HistoricalFeaturesRequest): { readonly availability: 'event' | 'created'; readonly splitAtMicros: string | null } {
  const availability = request.availability ?? 'event';
  if (availability !== 'event' && availability !== 'created') throw new InputError(`availability must be 'event' or 'created', not '${String(availability)}'`);
  if (request.splitAt !== undefined && request.testFraction !== undefined) throw new InputError('give splitAt or testFraction, not both');
  if (request.testFraction !== undefined && !(request.testFraction > 0 && request.testFraction < 1)) throw new InputError(`test fraction must be between 0 and 1 (exclusive), got ${request.testFraction}`);
  const splitAtMicros = request.splitAt === undefined ? null : parseInstantMicros(request.splitAt, 'splitAt');
  return { availability, splitAtMicros };
}

/** The options a build's run records (`runs show`): the request as the build read it. */
export function runOptions(
  request: HistoricalFeaturesRequest, outputKind: string, availability: 'event' | 'created', splitAtMicros: string | null,
): BuildFacts['options'] & { readonly availability: 'event' | 'created'; readonly guards?: false } {
  return {
    features: request.features ?? null, service: request.service ?? null, full_feature_names: request.fullFeatureNames ?? false, availability,
    timestamp_column: request.timestampColumn ?? ENTITY_TS, split_at: splitAtMicros,
    test_fraction: request.testFraction ?? null, output: outputKind, allow_failed_checks: request.allowFailedChecks ?? false,
    // The file asked for (resolved): a run that writes nothing (blocked, failed) still says what it was to write.
    ...(request.out !== undefined ? { out: resolve(request.baseDir ?? process.cwd(), request.out) } : {}),
    ...(request.disableGuards ? { guards: false } : {}),
  };
}

/** What a rebuild (`rebuild.ts`) adds to a request: the definitions it pins, and what it adds to the manifest. */
export interface RebuildHooks {
  /** The recorded versions of the definitions (`recordedDefinitions`), built with instead of the applied ones. */
  readonly definitions: DefinitionSet;
  /** The manifest as the rebuild records it (`rebuilt_from`); may refuse the rows (the build then writes nothing). */
  readonly amend: (manifest: DatasetManifest) => Promise<DatasetManifest>;
}

/** Kept under a symbol: no caller of `getHistoricalFeatures` gives it, and the request's spread copies keep it. */
const REBUILD = Symbol('featureguard.rebuild');

/** `request` built as a rebuild (see `RebuildHooks`). */
export function asRebuild(request: HistoricalFeaturesRequest, hooks: RebuildHooks): HistoricalFeaturesRequest {
  return { ...request, [REBUILD]: hooks } as HistoricalFeaturesRequest;
}

/** The definitions a build resolves its request against: a rebuild's recorded ones, else the applied ones. */
export function requestDefinitions(project: Project, request: HistoricalFeaturesRequest): DefinitionSet {
  return rebuildHooks(request)?.definitions ?? project.registry.current();
}

/** The manifest a build records: a rebuild's amended (`RebuildHooks.amend`), else `manifest` itself. */
export async function recordedManifest(request: HistoricalFeaturesRequest, manifest: DatasetManifest): Promise<DatasetManifest> {
  const hooks = rebuildHooks(request);
  return hooks ? hooks.amend(manifest) : manifest;
}

function rebuildHooks(request: HistoricalFeaturesRequest): RebuildHooks | undefined {
  return (request as { [REBUILD]?: RebuildHooks })[REBUILD];
}
