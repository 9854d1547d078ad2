/**
 * A join key's own column type in a source, against its declared type, with the rule `validate` applies
 * (`isCompatibleType`): a key retyped upstream after `apply` (a BIGINT key rewritten as DECIMAL or DOUBLE with
 * fractions, or as text) would be cast into other entities' keys (DuckDB rounds 1.6 to 2). The guards block such
 * a run with `schema.type` (raw-relation.ts keeps the key uncast); a read of a source's cast relation is refused by
 * `keyTypeStep` before a row is read, except a dataset build's, which lists such columns (`retypedColumns`) and is
 * blocked with `schema.type` for them too (`retyped-block.ts`).
 *
 * @example
 * keyTypeProblem(source, { name: 'customer_id', type: 'int64' }, 'DECIMAL(21,1)'); // "join key 'customer_id' is DECIMAL(21,1) …"
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { sourceColumnName } from '../definitions/source-location.js';
import { ACCEPTED_COLUMN_TYPES, isCompatibleType } from '../definitions/type-compat.js';
import type { FeatureDef, FeatureType, JoinKey, JoinKeyType, SourceDef } from '../definitions/types.js';

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

/** A join key or feature column whose type in the source its declared type does not accept. */
export interface RetypedColumn {
  /** The source it is in. */
  readonly source: string;
  /** The key's or feature's name (its column in the source may differ: `column`). */
  readonly name: string;
  readonly joinKey: boolean;
  readonly declared: FeatureType | JoinKeyType;
  /** Its DuckDB type in the source. */
  readonly actual: string;
  readonly column: string;
  /** `keyTypeProblem` / `featureTypeProblem`. */
  readonly problem: string;
}

/** The keys and features (those present in `types`, source column → DuckDB type) that `validate` would refuse as they are. */
export function retypedColumns(source: SourceDef, keys: readonly JoinKey[], features: readonly Pick<FeatureDef, 'name' | 'type'>[], types: ReadonlyMap<string, string>): RetypedColumn[] {
  const out: RetypedColumn[] = [];
  for (const [joinKey, list] of [[true, keys], [false, features]] as const) {
    for (const c of list) {
      const column = sourceColumnName(source, c.name);
      const actual = types.get(column);
      if (actual === undefined) continue;
      const problem = joinKey ? keyTypeProblem(source, c as JoinKey, actual) : featureTypeProblem(source, c, actual);
      if (problem !== undefined) out.push({ source: source.name, name: c.name, joinKey, declared: c.type, actual, column, problem });
    }
  }
  return out;
}

/**
 * A setup step refusing (an error naming the column, its type and the accepted types) a relation over `from` whose
 * join key or feature columns (those present) have a type their declared type does not accept — what `validate`
 * refuses, for a source retyped upstream after `apply` (a read without guards; the guards block a materialization
 * with `schema.type`, and a dataset build runs its sources' setup with `runSetup`'s `retyped` to block with it too:
 * `retyped` lists them instead of refusing). One DESCRIBE: no row is read.
 */
export function keyTypeStep(source: SourceDef, keys: readonly JoinKey[], from: string, features: readonly Pick<FeatureDef, 'name' | 'type'>[] = []) {
  const retyped = async (conn: DuckDBConnection): Promise<RetypedColumn[]> => {
    const described = (await conn.runAndReadAll(`DESCRIBE SELECT * FROM ${from}`)).getRowObjectsJson() as { column_name: string; column_type: string }[];
    return retypedColumns(source, keys, features, new Map(described.map((d) => [d.column_name, d.column_type])));
  };
  return {
    key: `keytypes:${from}:${[...keys, ...features].map((k) => `${k.name}/${k.type}`).join(',')}`,
    retyped,
    async run(conn: DuckDBConnection) {
      const problems = (await retyped(conn)).map((r) => r.problem);
      if (problems.length > 0) throw new Error(problems.join('; '));
    },
  };
}
