/**
 * A join key's own column type in a source, against its declared type, with the rule `validate` applies
 * (`isCompatibleType`): a key retyped upstream after `apply` (a BIGINT key rewritten as DECIMAL or DOUBLE with
 * fractions, or as text) would be cast into other entities' keys (DuckDB rounds 1.6 to 2). The guards block such
 * a run with `schema.type` (raw-relation.ts keeps the key uncast); a read without guards (a dataset build's
 * sources) is refused by `keyTypeStep` before its relation is built.
 *
 * @example
 * keyTypeProblem(source, { name: 'customer_id', type: 'int64' }, 'DECIMAL(21,1)'); // "join key 'customer_id' is DECIMAL(21,1) …"
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { sourceColumnName } from '../definitions/source-location.js';
import { ACCEPTED_COLUMN_TYPES, isCompatibleType } from '../definitions/type-compat.js';
import type { FeatureDef, JoinKey, SourceDef } from '../definitions/types.js';

/** Why a source column of type `actual` cannot be the key `key`, or undefined when it can. */
export function keyTypeProblem(source: SourceDef, key: JoinKey, actual: string): string | undefined {
  if (isCompatibleType(key.type, actual)) return undefined;
  const column = sourceColumnName(source, key.name);
  const via = column === key.name ? '' : ` (column '${column}' via field_mapping)`;
  return `join key '${key.name}'${via} is ${actual} in the source, declared ${key.type}, which accepts ${ACCEPTED_COLUMN_TYPES[key.type].join(', ')}: `
    + `read as ${key.type}, its values could become other entities' keys (DuckDB's cast rounds 1.6 to 2); write the key in an accepted type, or declare it as the source holds it and apply`;
}

/** Why a source column of type `actual` cannot be read as the feature `feature`, or undefined when it can. */
export function featureTypeProblem(source: SourceDef, feature: Pick<FeatureDef, 'name' | 'type'>, actual: string): string | undefined {
  if (isCompatibleType(feature.type, actual)) return undefined;
  const column = sourceColumnName(source, feature.name);
  const via = column === feature.name ? '' : ` (column '${column}' via field_mapping)`;
  return `feature '${feature.name}'${via} is ${actual} in the source, declared ${feature.type}, which accepts ${ACCEPTED_COLUMN_TYPES[feature.type].join(', ')}: `
    + `read as ${feature.type}, its values would be changed (DuckDB's cast rounds 2.6 to 3); write the column in an accepted type, or declare it as the source holds it and apply`;
}

/**
 * A setup step refusing (an error naming the column, its type and the accepted types) a relation over `from` whose
 * join key or feature columns (those present) have a type their declared type does not accept — what `validate`
 * refuses, for a source retyped upstream after `apply` (a read without guards: a dataset build's sources; the guards
 * block a materialization with `schema.type`). One DESCRIBE: no row is read.
 */
export function keyTypeStep(source: SourceDef, keys: readonly JoinKey[], from: string, features: readonly Pick<FeatureDef, 'name' | 'type'>[] = []) {
  return {
    key: `keytypes:${from}:${[...keys, ...features].map((k) => `${k.name}/${k.type}`).join(',')}`,
    async run(conn: DuckDBConnection) {
      const described = (await conn.runAndReadAll(`DESCRIBE SELECT * FROM ${from}`)).getRowObjectsJson() as { column_name: string; column_type: string }[];
      const types = new Map(described.map((d) => [d.column_name, d.column_type]));
      const problems = [
        ...keys.map((k) => {
          const actual = types.get(sourceColumnName(source, k.name));
          return actual === undefined ? undefined : keyTypeProblem(source, k, actual);
        }),
        ...features.map((f) => {
          const actual = types.get(sourceColumnName(source, f.name));
          return actual === undefined ? undefined : featureTypeProblem(source, f, actual);
        }),
      ].filter((p): p is string => p !== undefined);
      if (problems.length > 0) throw new Error(problems.join('; '));
    },
  };
}
