/**
 * The fields of a view or service that name other definitions, read from an object that failed its JSON Schema:
 * each one only where it is well-typed (`source` a string, `entities` a list), so that its references are checked
 * in the same `validate` as its schema errors (a mistyped `min` hid an unknown source until it was fixed).
 *
 * @example
 * referenceFields({ kind: 'feature_view', name: 'v', source: 'flights_sourc', features: [{ name: 'x', min: '0' }] });
 * // { kind: 'feature_view', name: 'v', source: 'flights_sourc', entities: [] }
 */

/** A view's references: its source and entities (an entity that is no string is skipped, the others keep their index). */
export interface ViewReferences {
  readonly kind: 'feature_view';
  readonly name?: string;
  readonly source?: string;
  readonly entities: readonly unknown[];
}

/** A service's references: its feature references and label (a reference that is no string is skipped). */
export interface ServiceReferences {
  readonly kind: 'feature_service';
  readonly name?: string;
  readonly features: readonly unknown[];
  readonly label?: string;
}

export type ReferenceFields = ViewReferences | ServiceReferences;

const text = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const list = (v: unknown): readonly unknown[] => (Array.isArray(v) ? v : []);

/** The reference fields of a view or service that failed its schema; undefined for the other kinds (they name none). */
export function referenceFields(value: Readonly<Record<string, unknown>>): ReferenceFields | undefined {
  const name = text(value.name);
  if (value.kind === 'feature_view') return { kind: 'feature_view', name, source: text(value.source), entities: list(value.entities) };
  if (value.kind === 'feature_service') return { kind: 'feature_service', name, features: list(value.features), label: text(value.label) };
  return undefined;
}
