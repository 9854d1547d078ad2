/**
 * One version of a registry object (an older one, or a removed object's last definition), with every version of
 * it: what `describe NAME@N`, the SDK's `objectVersion` and `GET /v1/registry/{collection}/{name}/versions/{n}`
 * answer. Read only.
 */
import type { DefinitionKind } from '../definitions/types.js';
import { FeatureguardError, InputError, NotFoundError } from '../errors.js';
import type { Registry, VersionRecord } from './types.js';

/** A version number, or `latest`: the object's last version (a removed object's: its removal). */
export type VersionSelector = number | 'latest';

export interface ObjectVersion {
  /** The version asked for (`definition` null when it records the removal). */
  readonly version: VersionRecord;
  /** Every version of the object, oldest first. */
  readonly versions: readonly VersionRecord[];
  /** The removal, when the object's last version removed it; else null. */
  readonly removedSince: VersionRecord | null;
}

/**
 * `2`, `v2` or `latest` as a `VersionSelector`; anything else is an `InputError` (`bad_request`) giving `example`
 * of a version (the CLI's `NAME@1`).
 *
 * @example
 * parseVersionSelector('v1'); // 1
 */
export function parseVersionSelector(text: string, example = '1'): VersionSelector {
  if (text.toLowerCase() === 'latest') return 'latest';
  const m = /^v?([1-9][0-9]{0,8})$/i.exec(text);
  if (!m) throw new InputError(`'${text}' is no version: give a version number (${example}) or latest`);
  return Number(m[1]);
}

/**
 * The version `selector` (default `latest`) of `kind` `name`: a `NotFoundError` when the object was never applied,
 * 404 `unknown_version` (exit 2) naming the versions there are when it has no such version.
 *
 * @example
 * const { version, removedSince } = objectVersion(project.registry, 'feature_view', 'airport_hourly', 1);
 */
export function objectVersion(registry: Pick<Registry, 'versions'>, kind: DefinitionKind, name: string, selector: VersionSelector = 'latest'): ObjectVersion {
  if (selector !== 'latest' && !(Number.isSafeInteger(selector) && selector > 0)) {
    throw new InputError(`version ${JSON.stringify(selector)} is no version: give a version number (1, 2, …) or 'latest'`);
  }
  const versions = registry.versions(kind, name);
  const last = versions[versions.length - 1];
  if (!last) throw new NotFoundError(`no ${kind} named '${name}' in the registry`);
  const version = selector === 'latest' ? last : versions.find((v) => v.version === selector);
  if (!version) {
    const numbers = versions.map((v) => v.version);
    throw new FeatureguardError(
      'unknown_version',
      `${kind} '${name}' has no version ${selector}: its versions are ${numbers.join(', ')} (version ${last.version} is ${last.definition === null ? 'its removal' : 'the current one'})`,
      { status: 404, exitCode: 2, details: { kind, name, versions: numbers } },
    );
  }
  return { version, versions, removedSince: last.definition === null ? last : null };
}
