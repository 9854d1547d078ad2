/**
 * Another process holding a SQLite file's write lock (`BEGIN IMMEDIATE`, as a CLI apply, prune or materialization
 * holds it) for `ms`. Resolves once the lock is held, with a promise of its release, in an object: an async function
 * returning the promise itself would wait for it. `release()` lets go before `ms`.
 */
import { spawn } from 'node:child_process';

export async function holdWriteLock(file: string, ms: number): Promise<{ ended: Promise<void>; release: () => Promise<void> }> {
  const child = spawn(process.execPath, ['-e', `
    const Database = require('better-sqlite3');
    const d = new Database(${JSON.stringify(file)});
    d.exec('BEGIN IMMEDIATE');
    process.stdout.write('locked\\n');
    setTimeout(() => { d.exec('COMMIT'); d.close(); }, ${ms});
  `], { cwd: process.cwd(), stdio: ['ignore', 'pipe', 'inherit'] });
  const ended = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => d.toString().includes('locked') && resolve());
    child.on('exit', (code) => reject(new Error(`the lock holder exited (${code})`)));
  });
  // Earlier than `ms`: the holder is killed, and SQLite lets go of a dead process's lock.
  const release = async () => {
    child.kill();
    await ended;
  };
  return { ended, release };
}
