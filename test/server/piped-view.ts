/**
 * A view whose source is a named pipe (FIFO): DuckDB blocks opening it until
 * the test lets it go, so a materialization or a dataset build of the view
 * stays under way for as long as a test needs, with tiny data.
 */
import { closeSync, constants, openSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import type { Fixture } from './fixture.js';

/** Add the view `piped` (online, `schedule` if given) over `data/pipe.csv`, a FIFO. Returns `release`. */
export function addPipedView(fx: Fixture, schedule?: string): { release(): void } {
  const fifo = join(fx.dir, 'data', 'pipe.csv');
  rmSync(fifo, { force: true });
  execFileSync('mkfifo', [fifo]);
  const s = fx.project.registry.current();
  fx.project.registry.apply([
    ...s.entities.values(), ...s.sources.values(), ...s.views.values(), ...s.services.values(),
    { kind: 'source', name: 'piped_source', query: "SELECT * FROM read_csv('data/pipe.csv', header = true, columns = {'origin': 'VARCHAR', 'event_timestamp': 'TIMESTAMP', 'x': 'DOUBLE'})", timestamp_field: 'event_timestamp' },
    { kind: 'feature_view', name: 'piped', entities: ['airport'], source: 'piped_source', ttl: '0', online: true, ...(schedule ? { schedule } : {}), features: [{ name: 'x', type: 'float64' }] },
  ]);
  return {
    // The pipe becomes a file of no rows, and a reader blocked on the pipe reads its end: what waited goes on.
    release() {
      let fd: number | undefined;
      try {
        fd = openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK);
      } catch {
        // ENXIO: nobody is reading it
      }
      writeFileSync(`${fifo}.file`, 'origin,event_timestamp,x\n');
      renameSync(`${fifo}.file`, fifo);
      if (fd !== undefined) closeSync(fd);
    },
  };
}
