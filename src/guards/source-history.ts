/**
 * The view's whole source as a SQL relation in canonical columns, for re-reading
 * already-materialized history (tamper detection). Built with the definitions'
 * `viewRelationSql`; its setup statements (SET, read-only ATTACH) run on the
 * stage's connection.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import type { FeatureViewDef } from '../definitions/types.js';
import { viewRelationSql } from '../offline/source-sql.js';
import type { Project } from '../project.js';

/** A FROM-able SELECT over the view's source, or null when it cannot be built (the tamper check then reports unchecked partitions). */
export async function defaultSourceRelation(project: Project, view: FeatureViewDef, conn: DuckDBConnection): Promise<string | null> {
  try {
    const rel = viewRelationSql(project.root, project.registry.current(), view);
    for (const s of rel.setup) await conn.run(s);
    return rel.select;
  } catch {
    return null;
  }
}
