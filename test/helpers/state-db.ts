/**
 * A state database in a temp folder for one test file: opened now, closed and removed after the file's tests.
 *
 * @example
 * const { db, file } = tempStateDb('throttle'); // a second connection: openStateDb(file)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { openStateDb, type StateDb } from '../../src/state/state-db.js';

export function tempStateDb(name: string): { readonly db: StateDb; readonly file: string } {
  const dir = mkdtempSync(join(tmpdir(), `fg-${name}-`));
  const file = join(dir, 'state.db');
  const db = openStateDb(file);
  afterAll(() => {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return { db, file };
}
