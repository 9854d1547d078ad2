/**
 * An unknown view, service or feature that is defined in the project's files but not applied (the commonest
 * mistake: a YAML edit without `featureguard apply`): the CLI's error says so, instead of a did-you-mean
 * pointing back at the applied, older name.
 */
import type { Project } from '../project.js';

const UNKNOWN = /^unknown feature (view|service) '([^']*)'|^unknown feature '([^']*)' in view '([^']*)'/;
const CODES = new Set(['unknown_view', 'unknown_service', 'unknown_feature', 'not_found']);

/** The error message with "defined in FILE:LINE but not applied" (or "nothing is applied yet"), or undefined when that does not apply. */
export async function unappliedMessage(project: Project, code: string, message: string): Promise<string | undefined> {
  if (!CODES.has(code)) return undefined;
  const m = UNKNOWN.exec(message);
  if (!m) return undefined;
  const { parseDefinitionObjects } = await import('../definitions/loader.js');
  const objects = parseDefinitionObjects(project.root, project.config);
  const kind = m[1] === 'service' ? 'feature_service' : 'feature_view';
  const name = m[2] ?? m[4];
  const found = objects.find((o) => isRecord(o.value) && o.value.kind === kind && o.value.name === name);
  const set = project.registry.current();
  const nothingApplied = set.views.size + set.services.size + set.entities.size + set.sources.size === 0;
  if (!found) return nothingApplied ? `${message}: nothing is applied yet in this project; run \`featureguard apply\`` : undefined;
  let pointer = '';
  if (m[3] !== undefined) {
    const features = isRecord(found.value) ? found.value.features : undefined;
    const i = Array.isArray(features) ? features.findIndex((f) => isRecord(f) && f.name === m[3]) : -1;
    if (i < 0) return undefined; // the view is applied as defined and lacks the feature: the did-you-mean is right
    pointer = `/features/${i}`;
  }
  const line = found.origin.locate(pointer).line;
  const what = m[3] !== undefined ? `feature '${m[3]}' of view '${name}'` : `feature ${m[1]} '${name}'`;
  const base = message.replace(/ \(did you mean [^)]*\)/, '');
  return `${base}: ${what} is defined in ${found.origin.file}${line ? `:${line}` : ''} but not applied; run \`featureguard apply\``;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
