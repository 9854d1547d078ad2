/**
 * Real runs of the flights example for the browser tests: the example project
 * copied into a temp folder with the real (unshifted, 2001) data, and three
 * materializations of `airport_hourly` through the real guard stage:
 * 1. January 2001: clean, the drift reference;
 * 2. June 2001 after the June rows' delays were scaled up (×1.6 + 12 min, as a
 *    unit or upstream logic change would): drift warns (policy warn);
 * 3. May 2001 after a broken upstream job started writing `share_delayed` as a
 *    percentage (0-100 instead of 0-1): the schema check (`max: 1`) blocks the run.
 * The view definition is applied twice (ttl 6h, then 12h) so the registry has
 * a version diff.
 */
import { mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadDefinitions } from '../../src/definitions/loader.js';
import { materialize } from '../../src/materialize/materialize.js';
import { literal } from '../../src/offline/engine.js';
import { openProject, type Project } from '../../src/project.js';
import type { Run } from '../../src/runs/types.js';
import { copyFlightsProject } from '../helpers/flights.js';

export interface FlightsUiFixture {
  readonly project: Project;
  readonly dir: string;
  readonly reference: Run;
  readonly drifted: Run;
  readonly blocked: Run;
  close(): Promise<void>;
}

async function rewriteSource(project: Project, selectList: string): Promise<void> {
  const file = join(project.root, 'data', 'airport_hourly.parquet');
  const tmp = join(project.root, 'data', 'airport_hourly.next.parquet');
  const engine = await project.engine();
  await engine.run(`COPY (SELECT ${selectList} FROM read_parquet(${literal(file)})) TO ${literal(tmp)} (FORMAT parquet)`);
  renameSync(tmp, file);
}

async function runOnce(project: Project, start: string, end: string): Promise<Run> {
  const [r] = await materialize(project, { start, end, views: ['airport_hourly'] });
  if (!r.run) throw new Error(`materialize ${start}..${end} created no run (${r.status})`);
  return project.runs.get(r.run.id);
}

/** Build the project and its runs (about 3 s on the cached example data). */
export async function createFlightsUiFixture(): Promise<FlightsUiFixture> {
  const dir = mkdtempSync(join(tmpdir(), 'fg-ui-flights-'));
  await copyFlightsProject(dir, { data: 'copy' });
  const project = openProject(dir);
  try {
    project.registry.apply(loadDefinitions(dir, project.config));
    const viewFile = join(dir, 'features', 'airport_hourly.yaml');
    const yaml = readFileSync(viewFile, 'utf8');
    if (!/^ttl: 6h$/m.test(yaml)) throw new Error('flights example changed: expected "ttl: 6h" in airport_hourly.yaml');
    writeFileSync(viewFile, yaml.replace(/^ttl: 6h$/m, 'ttl: 12h'));
    project.registry.apply(loadDefinitions(dir, project.config), { allowBreaking: true });

    const reference = await runOnce(project, '2001-01-01T00:00:00Z', '2001-02-01T00:00:00Z');
    const june = "hour_end >= TIMESTAMP '2001-06-01'";
    await rewriteSource(project, `* REPLACE (CASE WHEN ${june} THEN mean_delay * 1.6 + 12 ELSE mean_delay END AS mean_delay, CASE WHEN ${june} THEN p90_delay * 1.6 + 12 ELSE p90_delay END AS p90_delay)`);
    const drifted = await runOnce(project, '2001-06-01T00:00:00Z', '2001-07-01T00:00:00Z');
    await rewriteSource(project, `* REPLACE (CASE WHEN hour_end >= TIMESTAMP '2001-05-01' AND hour_end < TIMESTAMP '2001-06-01' THEN share_delayed * 100 ELSE share_delayed END AS share_delayed)`);
    const blocked = await runOnce(project, '2001-05-01T00:00:00Z', '2001-06-01T00:00:00Z');
    return {
      project,
      dir,
      reference,
      drifted,
      blocked,
      async close() {
        await project.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (e) {
    await project.close();
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
}
