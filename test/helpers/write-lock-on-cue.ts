/**
 * Another process that holds a SQLite file's write lock (`BEGIN IMMEDIATE`) when told to, for `ms`: started (and
 * connected) beforehand, so that the lock is taken within a millisecond or two of the cue, in the middle of a job
 * the test watches (`holdWriteLock` spawns its process first, which takes longer than many jobs' steps).
 */
import { spawn } from 'node:child_process';

export interface WriteLockOnCue {
  /** Take the lock now for `ms`: resolves once it is held, with a promise of its release. */
  lock(ms: number): Promise<{ ended: Promise<void> }>;
  /** End the process (idempotent). */
  close(): void;
}

export async function writeLockOnCue(file: string): Promise<WriteLockOnCue> {
  const child = spawn(process.execPath, ['-e', `
    const Database = require('better-sqlite3');
    const d = new Database(${JSON.stringify(file)});
    process.stdout.write('ready\\n');
    require('node:readline').createInterface({ input: process.stdin }).on('line', (line) => {
      const ms = Number(line);
      d.exec('BEGIN IMMEDIATE');
      process.stdout.write('locked\\n');
      setTimeout(() => { d.exec('COMMIT'); process.stdout.write('released\\n'); }, ms);
    });
  `], { cwd: process.cwd(), stdio: ['pipe', 'pipe', 'inherit'] });
  const waiters: { word: string; resolve: () => void }[] = [];
  let seen = '';
  child.stdout.on('data', (d: Buffer) => {
    seen += d.toString();
    for (const w of [...waiters]) {
      const at = seen.indexOf(`${w.word}\n`);
      if (at < 0) continue;
      seen = seen.slice(at + w.word.length + 1);
      waiters.splice(waiters.indexOf(w), 1);
      w.resolve();
    }
  });
  const next = (word: string) => new Promise<void>((resolve, reject) => {
    waiters.push({ word, resolve });
    child.once('exit', (code) => reject(new Error(`the lock holder exited (${code})`)));
  });
  await next('ready');
  return {
    async lock(ms) {
      const locked = next('locked');
      const ended = next('released');
      child.stdin.write(`${ms}\n`);
      await locked;
      return { ended };
    },
    close() {
      if (child.exitCode === null) child.kill();
    },
  };
}
