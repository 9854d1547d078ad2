/**
 * The view's whole source as a SQL relation in canonical column names, for
 * re-reading already-materialized history (tamper detection). It is the same
 * uncast relation the materialization's rows come from (`rawViewRelationSql`),
 * so checksums of history and of the window hash the same column types; its
 * setup statements (SET, read-only ATTACH) run on the stage's connection.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import type { DefinitionSet, FeatureViewDef } from '../definitions/types.js';
import type { Project } from '../project.js';
import { rawViewRelationSql } from './raw-relation.js';

/** A FROM-able SELECT over the view's source, or null when it cannot be built (the tamper check then reports unchecked partitions). */
export async function defaultSourceRelation(project: Project, view: FeatureViewDef, conn: DuckDBConnection, set?: DefinitionSet): Promise<string | null> {
  try {
    return (await rawViewRelationSql(project, view, conn, set)).select;
  } catch {
    return null;
  }
}
