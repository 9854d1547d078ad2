/**
 * Setup steps: what must run on a connection before a source's relation is read there (`SET TimeZone`, an
 * `ATTACH`, a glob's checked file list), and `runSetup`, which runs each once. Re-exported by `source-sql.ts`.
 *
 * @example
 * await runSetup(conn, relation.setup);
 * await conn.runAndReadAll(`SELECT count(*) FROM (${relation.select})`);
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import type { RetypedColumn } from './key-types.js';

/**
 * What must run on a connection before a source's relation is read there: a statement, or a step that
 * checks something in JavaScript between statements (a glob's files, a table that must not be a view).
 * Run them with `runSetup`.
 */
export type SetupStep = string | {
  readonly key: string;
  run(conn: DuckDBConnection): Promise<void>;
  /** A step that refuses columns retyped upstream (`keyTypeStep`): those columns, without refusing. */
  retyped?(conn: DuckDBConnection): Promise<RetypedColumn[]>;
};

/**
 * Run setup steps in order; steps with the same key (or the same statement) run once. With `retyped`, a step that
 * refuses a key or feature retyped upstream (`keyTypeStep`) adds those columns to it instead of throwing.
 */
export async function runSetup(conn: DuckDBConnection, steps: readonly SetupStep[], retyped?: RetypedColumn[]): Promise<void> {
  const done = new Set<string>();
  for (const step of steps) {
    const key = typeof step === 'string' ? step : step.key;
    if (done.has(key)) continue;
    done.add(key);
    if (typeof step === 'string') await conn.run(step);
    else if (retyped && step.retyped) retyped.push(...(await step.retyped(conn)));
    else await step.run(conn);
  }
}
