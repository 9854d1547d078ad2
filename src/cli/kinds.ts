/** The kinds of definitions as the CLI takes them (`list KIND`, `describe --kind`). */
import type { DefinitionKind } from '../definitions/types.js';
import { KIND_NAMES, kindOfAlias } from '../sdk/kind-aliases.js';

export const KINDS: readonly DefinitionKind[] = ['entity', 'source', 'feature_view', 'feature_service'];

/** `view`, `feature-views`, … as a kind (`kindOfAlias`, as the SDK's `remove` takes them); an unknown one is an `InputError`. */
export async function parseKind(value: string): Promise<DefinitionKind> {
  const kind = kindOfAlias(value);
  if (kind !== undefined) return kind;
  const { InputError } = await import('../errors.js');
  throw new InputError(`unknown kind '${value}': use ${KIND_NAMES}`);
}
