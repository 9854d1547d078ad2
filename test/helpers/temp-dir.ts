/**
 * Temp folders a test file makes, removed when the file's tests are done (by `test/setup/temp-dirs.ts`, a vitest
 * setup file), wherever the folder was made: at file level, in a hook or inside a test, where an `afterAll`
 * registered late would never run.
 *
 * @example
 * const dir = tempDir('fg-small-'); // /tmp/fg-small-XXXXXX, gone after the file
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const made: string[] = [];

export function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  made.push(dir);
  return dir;
}

export function removeTempDirs(): void {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
}
