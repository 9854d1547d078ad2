/**
 * An unknown view, service or feature that is defined in the project's files but not applied (the commonest
 * mistake: a YAML edit without `featureguard apply`): the CLI's error says so, instead of a did-you-mean
 * pointing back at the applied, older name.
 */
import type { DefinitionOrigin } from '../definitions/definition-files.js';
import type { DefinitionKind } from '../definitions/types.js';
import type { Project } from '../project.js';
import { NO_RUNS, NOT_DEFINED } from '../runs/run-targets.js';

const UNKNOWN = /^unknown feature (view|service) '([^']*)'|^unknown feature '([^']*)' in view '([^']*)'/;
const CODES = new Set(['unknown_view', 'unknown_service', 'unknown_feature', 'not_found']);
const KIND_WORDS: Record<DefinitionKind, string> = { entity: 'entity', source: 'source', feature_view: 'feature view', feature_service: 'feature service' };

/**
 * A quality-log filter's refusal (`refuseUnknownRunTarget`) says the name "is not defined"; the hint says where it
 * is: that claim goes, "no run was recorded for it" stays, after the hint.
 */
const NOT_DEFINED_CLAUSE = `: ${NOT_DEFINED} and ${NO_RUNS}`;

/** The error message with "defined in FILE:LINE but not applied" (or "nothing is applied yet"), or undefined when that does not apply. */
export async function unappliedMessage(project: Project, code: string, message: string): Promise<string | undefined> {
  if (code === 'view_not_online') return notOnlineMessage(project, message);
  if (!CODES.has(code)) return undefined;
  const m = UNKNOWN.exec(message);
  if (!m) return undefined;
  const kind = m[1] === 'service' ? 'feature_service' : 'feature_view';
  const name = (m[2] ?? m[4]) as string;
  const found = await definedObject(project, [kind], name);
  const noRuns = message.endsWith(NOT_DEFINED_CLAUSE);
  const stated = noRuns ? message.slice(0, -NOT_DEFINED_CLAUSE.length) : message;
  const also = noRuns ? `, and ${NO_RUNS}` : '';
  if (!found) return nothingApplied(project) ? `${stated}: nothing is applied yet in this project${also}; run \`featureguard apply\`` : undefined;
  let pointer = '';
  if (m[3] !== undefined) {
    const features = found.value.features;
    const i = Array.isArray(features) ? features.findIndex((f) => isRecord(f) && f.name === m[3]) : -1;
    if (i < 0) return undefined; // the view is applied as defined and lacks the feature: the did-you-mean is right
    pointer = `/features/${i}`;
  }
  const what = m[3] !== undefined ? `feature '${m[3]}' of view '${name}'` : `feature ${m[1]} '${name}'`;
  const base = stated.replace(/ \(did you mean [^)]*\)/, '');
  return `${base}: ${what} is defined in ${where(found, pointer)} but not applied${also}; run \`featureguard apply\``;
}

/** `materialize`'s refusal ("… is not online in its applied definition: …") and an online read's ("… is not online (its definition has online: false) and has no online values"). */
const NOT_ONLINE = /^feature view '([^']*)' is not online(?: in its applied definition:| \(its definition [^)]*\) and has no online values$)/;

/**
 * A view materialized or read online whose applied definition is offline while its file sets `online: true` (an
 * edit not applied): "… is not online in its applied definition: FILE:LINE sets online: true but is not applied; run
 * `featureguard apply`", not "set online: true" or "its definition has online: false".
 */
async function notOnlineMessage(project: Project, message: string): Promise<string | undefined> {
  const m = NOT_ONLINE.exec(message);
  if (!m) return undefined;
  const found = await definedObject(project, ['feature_view'], m[1]);
  if (found?.value.online !== true) return undefined;
  return `feature view '${m[1]}' is not online in its applied definition: ${where(found, '/online')} sets online: true but is not applied; run \`featureguard apply\``;
}

/**
 * Why an object `describe` did not find in the registry is not there, when the files say: "KIND 'NAME' is defined
 * in FILE:LINE but not applied; run `featureguard apply`", or "nothing is applied yet in this project; …", else
 * undefined. `kinds`: the kinds asked for.
 */
export async function unappliedObjectHint(project: Project, kinds: readonly DefinitionKind[], name: string): Promise<string | undefined> {
  const found = await definedObject(project, kinds, name);
  if (found) return `${KIND_WORDS[found.kind]} '${name}' is defined in ${where(found, '')} but not applied; run \`featureguard apply\``;
  return nothingApplied(project) ? 'nothing is applied yet in this project; run `featureguard apply`' : undefined;
}

interface DefinedObject {
  readonly kind: DefinitionKind;
  readonly value: Record<string, unknown>;
  readonly origin: DefinitionOrigin;
}

/** The first object of one of `kinds` named `name` in the project's definition files (read as they are, valid or not). */
async function definedObject(project: Project, kinds: readonly DefinitionKind[], name: string): Promise<DefinedObject | undefined> {
  const { parseDefinitionObjects } = await import('../definitions/loader.js');
  for (const o of parseDefinitionObjects(project.root, project.config)) {
    const v = o.value;
    if (isRecord(v) && v.name === name && kinds.includes(v.kind as DefinitionKind)) return { kind: v.kind as DefinitionKind, value: v, origin: o.origin };
  }
  return undefined;
}

function where(found: DefinedObject, pointer: string): string {
  const line = found.origin.locate(pointer).line;
  return `${found.origin.file}${line ? `:${line}` : ''}`;
}

function nothingApplied(project: Project): boolean {
  const set = project.registry.current();
  return set.views.size + set.services.size + set.entities.size + set.sources.size === 0;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
