/**
 * One version of a registry object (an older one, or a removed object's last definition), with every version of
 * it: what `describe NAME@N`, the SDK's `objectVersion` and `GET /v1/registry/{collection}/{name}/versions/{n}`
 * answer. Read only.
 */
import type { DefinitionKind } from '../definitions/types.js';
import { didYouMean } from '../definitions/suggest.js';
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

/** The kinds of registry objects, listed once (the compiler refuses a list that misses one or names another). */
const KINDS = Object.keys({ entity: true, source: true, feature_view: true, feature_service: true } satisfies Record<DefinitionKind, true>);

/**
 * Refuse a kind that is not one: `view` was "no view named 'x' in the registry", as if the object were missing.
 * The hint is the kind the word is spelt for (`featureView`, `feature-view`), ends (`view`) or is closest to.
 */
function checkKind(kind: unknown): asserts kind is DefinitionKind {
  if (typeof kind === 'string' && KINDS.includes(kind)) return;
  let hint = '';
  if (typeof kind === 'string') {
    const snake = kind.replace(/([a-z0-9])([A-Z])/g, '$1_$2').replace(/[-\s]+/g, '_').toLowerCase();
    const meant = KINDS.find((k) => k === snake) ?? KINDS.find((k) => k.endsWith(`_${snake}`));
    hint = meant ? ` (did you mean '${meant}'?)` : didYouMean(kind, KINDS);
  }
  const shown = typeof kind === 'string' ? `'${kind}'` : kind === undefined ? 'undefined' : JSON.stringify(kind) ?? typeof kind;
  throw new InputError(`unknown kind ${shown}: entity, source, feature_view or feature_service${hint}`, { kind: String(kind) }, 'invalid_request');
}

/** ` (did you mean 'x'?)` naming the closest object of `kind`, current or removed (both have versions), or `''`. */
function nameHint(registry: Pick<Registry, 'currentVersions' | 'removedVersions'>, kind: DefinitionKind, name: string): string {
  const names = [...registry.currentVersions().values(), ...registry.removedVersions().values()].filter((v) => v.kind === kind).map((v) => v.name);
  return didYouMean(name, names);
}

/**
 * The version `selector` (default `latest`) of `kind` `name`: a `NotFoundError` when the object was never applied,
 * 404 `unknown_version` (exit 2) naming the versions there are when it has no such version.
 *
 * @example
 * const { version, removedSince } = objectVersion(project.registry, 'feature_view', 'airport_hourly', 1);
 */
export function objectVersion(registry: Pick<Registry, 'versions' | 'currentVersions' | 'removedVersions'>, kind: DefinitionKind, name: string, selector: VersionSelector = 'latest'): ObjectVersion {
  checkKind(kind);
  if (typeof name !== 'string' || name === '') {
    throw new InputError(`give a ${kind}'s name: a non-empty string (got ${name === '' ? 'an empty string' : name === null ? 'null' : typeof name})`, undefined, 'invalid_request');
  }
  if (selector !== 'latest' && !(Number.isSafeInteger(selector) && selector > 0)) {
    throw new InputError(`version ${JSON.stringify(selector)} is no version: give a version number (1, 2, …) or 'latest'`);
  }
  const versions = registry.versions(kind, name);
  const last = versions[versions.length - 1];
  if (!last) throw new NotFoundError(`no ${kind} named '${name}' in the registry${nameHint(registry, kind, name)}`);
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
