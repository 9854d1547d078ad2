/**
 * Where each loaded definition object came from (file, and a way to find a path
 * inside it), kept beside the frozen objects so later checks (cross-references,
 * sources) can name the file, line and path of a problem.
 */
import type { DefinitionProblem } from '../errors.js';
import type { DefinitionOrigin } from './definition-files.js';
import type { Definition } from './types.js';

const origins = new WeakMap<object, DefinitionOrigin>();

/** Remember where `def` was defined. */
export function setDefinitionOrigin(def: object, origin: DefinitionOrigin): void {
  origins.set(def, origin);
}

/** Where `def` was defined; for objects built in code, a pseudo file `(code)` without lines. */
export function definitionOrigin(def: object): DefinitionOrigin {
  return origins.get(def) ?? { file: '(code)', locate: () => ({}) };
}

/** The definition file and line `def` was read from (loaded, or applied from a file), or null when it has none (code, HTTP). */
export function fileOrigin(def: object): { file: string; line: number | null } | null {
  const o = definitionOrigin(def);
  if (!/\.(ya?ml|json)$/i.test(o.file)) return null;
  return { file: o.file, line: o.locate('').line ?? null };
}

/** The path a problem shows for `pointer` inside an object from `origin`: from the file's root (`/3/features/0` in a JSON list). */
export function pathInFile(origin: DefinitionOrigin, pointer: string): string {
  return `${origin.pointer ?? ''}${pointer}`;
}

/** A problem about a JSON pointer inside a definition (or inside an object that failed its schema: its name may be missing). */
export function problemAt(def: Pick<Definition, 'kind'> & { readonly name?: unknown }, pointer: string, message: string, atKey = false): DefinitionProblem {
  const origin = definitionOrigin(def);
  const pos = origin.locate(pointer, atKey);
  const object = typeof def.name === 'string' ? `${def.kind} ${def.name}` : def.kind;
  return { file: origin.file, line: pos.line, column: pos.column, path: pathInFile(origin, pointer), object, message };
}
