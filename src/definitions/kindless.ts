/**
 * Objects of a definition file without a `kind`: a data file left in the definitions folder (a JSON list of rows,
 * YAML documents of them) is one problem naming the file, not one per row; in a file holding definitions too,
 * the objects without a kind are listed up to a cap, then counted.
 *
 * @example
 * dataFileProblem('features/rows.json', objects)?.message;
 * // "none of the 20000 items of features/rows.json has a kind: is it a data file? move it outside …"
 */
import type { DefinitionProblem } from '../errors.js';
import type { ParsedObject } from './definition-files.js';

/** Objects without a kind listed one by one per file; the others are counted in one more problem. */
export const MAX_KINDLESS_LISTED = 10;

const isMapping = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/** Whether `v` is a mapping with a `kind` key (whatever its value: an unknown kind is a definition misspelt). */
export function hasKind(v: unknown): boolean {
  return isMapping(v) && v.kind !== undefined;
}

/** "items" of a JSON list, "documents" of YAML, by the first object's place in its file. */
function noun(objects: readonly ParsedObject[], count: number): string {
  const list = (objects[0]?.origin.pointer ?? '') !== '';
  return `${list ? 'item' : 'document'}${count === 1 ? '' : 's'}`;
}

/** Keys only definitions have: a few objects holding one are definitions whose `kind:` was forgotten. */
const DEFINITION_KEYS = ['join_keys', 'timestamp_field', 'entities', 'features'];

const isRow = (v: unknown): boolean => isMapping(v) && !DEFINITION_KEYS.some((k) => k in v);

/**
 * Whether objects are a data file's: two or more, none with a kind, and more than `MAX_KINDLESS_LISTED`, or
 * mappings none of which has a key of a definition (rows). A few stray values, or definitions whose `kind:` was
 * forgotten, are named one by one.
 */
export function looksLikeDataFile(values: readonly unknown[]): boolean {
  if (values.length < 2 || values.some(hasKind)) return false;
  return values.length > MAX_KINDLESS_LISTED || values.every(isRow);
}

/** One problem for a file whose objects look like a data file's (`looksLikeDataFile`), or undefined. */
export function dataFileProblem(file: string, objects: readonly ParsedObject[]): DefinitionProblem | undefined {
  if (!looksLikeDataFile(objects.map((o) => o.value))) return undefined;
  return {
    file, line: 1, column: 1, path: '',
    message: `none of the ${objects.length} ${noun(objects, objects.length)} of ${file} has a kind: is it a data file? move it outside the definitions folder (definitions: in featureguard.yaml)`,
  };
}

/**
 * The problem counting the objects without a kind beyond the first `MAX_KINDLESS_LISTED` (`kindless`, in file
 * order), at the first of them; undefined when all are listed.
 */
export function kindlessRestProblem(file: string, objects: readonly ParsedObject[], kindless: readonly ParsedObject[]): DefinitionProblem | undefined {
  const rest = kindless.length - MAX_KINDLESS_LISTED;
  if (rest <= 0) return undefined;
  const first = kindless[MAX_KINDLESS_LISTED].origin;
  const pos = first.locate('');
  return {
    file, line: pos.line, column: pos.column, path: first.pointer ?? '',
    message: `and ${rest} more ${noun(objects, rest)} of ${file} without a kind (${kindless.length} of its ${objects.length} ${noun(objects, objects.length)} have none; the first ${MAX_KINDLESS_LISTED} are listed)`,
  };
}
