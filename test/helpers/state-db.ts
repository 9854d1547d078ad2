/**
 * A state database in a temp folder for one test file: opened now, closed and removed after the file's tests.
 *
 * @example
 * const { db, file } = tempStateDb('throttle'); // a second connection: openStateDb(file)
 */
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { openStateDb, type StateDb } from '../../src/state/state-db.js';
import { tempDir } from './temp-dir.js';

export function tempStateDb(name: string): { readonly db: StateDb; readonly file: string } {
  const dir = tempDir(`fg-${name}-`);
  const file = join(dir, 'state.db');
  const db = openStateDb(file);
  afterAll(() => db.close()); // the folder goes with the file's other temp folders, even when made inside a test
  return { db, file };
}
