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
import type { JoinKey, SourceDef } from '../definitions/types.js';

/** Why a source column of type `actual` cannot be the key `key`, or undefined when it can. */
export function keyTypeProblem(source: SourceDef, key: JoinKey, actual: string): string | undefined {
  if (isCompatibleType(key.type, actual)) return undefined;
  const column = sourceColumnName(source, key.name);
  const via = column === key.name ? '' : ` (column '${column}' via field_mapping)`;
  return `join key '${key.name}'${via} is ${actual} in the source, declared ${key.type}, which accepts ${ACCEPTED_COLUMN_TYPES[key.type].join(', ')}: `
    + `read as ${key.type}, its values could become other entities' keys (DuckDB's cast rounds 1.6 to 2); write the key in an accepted type, or declare it as the source holds it and apply`;
}

/**
 * A setup step refusing (an error naming key, type and accepted types) a relation over `from` whose join key
 * columns (those present) have a type their declared type does not accept. One DESCRIBE: no row is read.
 */
export function keyTypeStep(source: SourceDef, keys: readonly JoinKey[], from: string) {
  return {
    key: `keytypes:${from}:${keys.map((k) => `${k.name}/${k.type}`).join(',')}`,
    async run(conn: DuckDBConnection) {
      const described = (await conn.runAndReadAll(`DESCRIBE SELECT * FROM ${from}`)).getRowObjectsJson() as { column_name: string; column_type: string }[];
      const types = new Map(described.map((d) => [d.column_name, d.column_type]));
      const problems = keys.flatMap((k) => {
        const actual = types.get(sourceColumnName(source, k.name));
        const problem = actual === undefined ? undefined : keyTypeProblem(source, k, actual);
        return problem === undefined ? [] : [problem];
      });
      if (problems.length > 0) throw new Error(problems.join('; '));
    },
  };
}
