/**
 * How a source's DuckDB database file is attached: read-only, under an alias that names the file's current
 * version (`attachAlias`), the file's older versions detached first (`attachCurrent`). Re-exported by `source-sql.ts`.
 *
 * @example
 * const alias = attachAlias('/project/data/warehouse.duckdb');
 * await runSetup(conn, [attachCurrent('/project/data/warehouse.duckdb', alias)]);
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { createHash } from 'node:crypto';
import { statSync } from 'node:fs';
import { ident, literal } from './engine.js';
import type { SetupStep } from './setup-step.js';

/** The prefix of every alias a DuckDB database file is attached under (one per version of the file). */
export function attachAliasPrefix(absolutePath: string): string {
  return `fg_db_${createHash('sha256').update(absolutePath).digest('hex').slice(0, 16)}_`;
}

/**
 * The alias a DuckDB database file is attached under as it is now: its path and its version (inode, size,
 * modification time). A read-only attachment reads the file as it was when attached, and the process's DuckDB
 * keeps it: under one alias for good, a long-running `serve` kept serving a table as it first read it while
 * another process had rewritten it. A new version gets a new alias (see `attachCurrent`).
 */
export function attachAlias(absolutePath: string): string {
  const st = statSync(absolutePath, { throwIfNoEntry: false });
  const version = st ? `${st.ino}:${st.size}:${st.mtimeMs}` : 'missing';
  return `${attachAliasPrefix(absolutePath)}${createHash('sha256').update(version).digest('hex').slice(0, 8)}`;
}

/**
 * Attach `abs` under `alias` (read-only), first detaching the file's other versions: DuckDB attaches one file
 * once per process. A query still reading a detached version finishes; a later statement of a build that was
 * reading it fails naming the alias (the file changed under it), rather than reading two versions as one.
 */
export function attachCurrent(abs: string, alias: string): SetupStep {
  return {
    key: `attach:${alias}`,
    async run(conn: DuckDBConnection) {
      const prefix = attachAliasPrefix(abs);
      const older = (await conn.runAndReadAll(`SELECT database_name FROM duckdb_databases() WHERE starts_with(database_name, ${literal(prefix)}) AND database_name <> ${literal(alias)}`)).getRowsJS();
      for (const [name] of older) await conn.run(`DETACH DATABASE IF EXISTS ${ident(String(name))}`).catch(() => undefined);
      await conn.run(`ATTACH IF NOT EXISTS ${literal(abs)} AS ${ident(alias)} (READ_ONLY)`);
    },
  };
}
