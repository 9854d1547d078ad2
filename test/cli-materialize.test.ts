/** `featureguard materialize` and `featureguard online get` on the flights example. */
import { mkdtempSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../src/cli/main.js';
import { loadDefinitions } from '../src/definitions/loader.js';
import { openProject } from '../src/project.js';
import { parseEntityFlags } from '../src/cli/commands/materialize.js';
import { copyFlightsProject } from './helpers/flights.js';

async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(args, { out: (t) => (out += `${t}\n`), err: (t) => (err += `${t}\n`), isTty: false });
  return { code, out, err };
}

describe('materialize and online get commands', () => {
  let dir: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'fg-cli-mat-'));
    await copyFlightsProject(dir, { data: 'link' });
    const project = openProject(dir);
    project.registry.apply(loadDefinitions(dir, project.config));
    await project.close();
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('parses --entity flags', () => {
    expect(parseEntityFlags(['origin=SEA,SFO', 'origin=ORD'])).toEqual({ origin: ['SEA', 'SFO', 'ORD'] });
    expect(parseEntityFlags(['origin=SEA', 'destination=SFO'])).toEqual({ origin: ['SEA'], destination: ['SFO'] });
  });

  it('materializes a window and reads it back as JSON', async () => {
    const m = await cli(['-p', dir, '--json', 'materialize', '--start', '2001-01-02', '--end', '2001-01-09', '--views', 'route_daily', '--no-guards']);
    expect(m.err).toBe('');
    expect(m.code).toBe(0);
    const results = JSON.parse(m.out) as { view: string; status: string; entitiesWritten: number }[];
    expect(results).toMatchObject([{ view: 'route_daily', status: 'success' }]);
    expect(results[0].entitiesWritten).toBeGreaterThan(1000);

    const g = await cli(['-p', dir, '--json', 'online', 'get', '--features', 'route_daily:route_departures', '--entity', 'origin=SEA,ZZZ', '--entity', 'destination=SFO,LAX']);
    expect(g.code).toBe(0);
    const res = JSON.parse(g.out) as { metadata: { feature_names: string[] }; results: { statuses: string[]; values: unknown[] }[] };
    expect(res.metadata.feature_names).toEqual(['origin', 'destination', 'route_departures']);
    expect(res.results[2].statuses[1]).toBe('NOT_FOUND');
    // The data is from 2001 and route_daily's ttl is 2d: found, but too old today.
    expect(res.results[2].statuses[0]).toBe('OUTSIDE_MAX_AGE');
    expect(res.results[2].values[0]).toBeNull();

    const human = await cli(['-p', dir, 'online', 'get', '--service', 'delay_model', '--entity', 'origin=SEA', '--entity', 'destination=SFO']);
    expect(human.code).toBe(0);
    expect(human.out).toContain('ROUTE_DEPARTURES');
  });

  it('runs the guard stage and records its counts on the run', async () => {
    const m = await cli(['-p', dir, '--json', 'materialize', '--start', '2001-01-09', '--end', '2001-01-10', '--views', 'airport_hourly']);
    const [r] = JSON.parse(m.out) as { status: string; counts: Record<string, number>; run: { status: string; counts: Record<string, number> } }[];
    expect(['success', 'warned', 'blocked']).toContain(r.status);
    expect(m.code).toBe(r.status === 'blocked' ? 1 : 0);
    expect(r.counts.pass + r.counts.warn + r.counts.fail + r.counts.error).toBeGreaterThan(0);
    expect(r.run.counts).toEqual(r.counts);
  });

  it('says wherever the run shows that it skipped the guards', async () => {
    const m = await cli(['-p', dir, 'materialize', '--start', '2001-01-10', '--end', '2001-01-11', '--views', 'airport_hourly', '--no-guards']);
    expect(m.code).toBe(0);
    expect(m.out).toMatch(/airport_hourly\s+success\s.*guards off/);
    // The RUN column is the last one of the view's row.
    const runId = m.out.trim().split('\n')[1].trim().split(/\s+/).pop()!;
    const list = await cli(['-p', dir, 'runs', 'list', '--view', 'airport_hourly']);
    expect(list.out.split('\n').find((l) => l.startsWith(runId))).toContain('guards off');
    const guarded = list.out.split('\n').find((l) => l.includes('2001-01-09..2001-01-10'));
    expect(guarded).not.toContain('guards off');
    const show = await cli(['-p', dir, 'runs', 'show', runId]);
    expect(show.out).toContain('checks: GUARDS OFF: this run skipped the guard stage (--no-guards), nothing was checked');
  });

  it('exits 2 on usage errors', async () => {
    expect((await cli(['-p', dir, 'materialize', '--views', 'route_daily'])).code).toBe(2);
    expect((await cli(['-p', dir, 'materialize', '--start', '2001-01-02', '--views', 'nope'])).code).toBe(2);
    // Date.parse would read this as March 2 and materialize another window.
    const impossible = await cli(['-p', dir, 'materialize', '--start', '2001-02-30', '--end', '2001-03-05', '--views', 'route_daily']);
    expect(impossible.code).toBe(2);
    expect(impossible.err).toContain("invalid start '2001-02-30': February 2001 has 28 days");
    const bad = await cli(['-p', dir, 'online', 'get', '--features', 'route_daily:nope', '--entity', 'origin=SEA', '--entity', 'destination=SFO']);
    expect(bad.code).toBe(2);
    expect(bad.err).toContain("'nope'");
  });

  it('refuses a --project folder that does not exist instead of opening the project above it', async () => {
    const r = await cli(['-p', join(dir, 'no_such_dir'), 'validate']);
    expect(r.code).toBe(2);
    expect(r.err).toContain(`project folder '${join(dir, 'no_such_dir')}' does not exist`);
    // A folder inside the project still finds it.
    expect((await cli(['-p', join(dir, 'features'), 'list'])).code).toBe(0);
  });

  it('names the view, source and file of a source it cannot read (exit 3, source_unreadable), not DuckDB alone', async () => {
    const file = join(dir, 'data', 'route_daily.parquet');
    renameSync(file, `${file}.away`);
    try {
      const m = await cli(['-p', dir, '--json', 'materialize', '--start', '2001-01-02', '--end', '2001-01-09', '--views', 'route_daily', '--no-guards']);
      expect(m.code).toBe(3);
      const [result] = JSON.parse(m.out) as { status: string; message: string }[];
      expect(result.status).toBe('failed');
      expect(result.message).toMatch(/^feature view 'route_daily' could not read its source 'route_daily_source' \(path 'data\/route_daily.parquet'\): IO Error: No files found/);
      expect(result.message).not.toContain(dir);
    } finally {
      renameSync(`${file}.away`, file);
    }
  });

  it('heads the skipped count SKIPPED (NOT NEWER): a window read again skips every unchanged row; the JSON key stays skipped', async () => {
    const args = ['-p', dir, 'materialize', '--start', '2001-02-01', '--end', '2001-02-03', '--views', 'route_daily', '--no-guards'];
    const [first] = JSON.parse((await cli([args[0], args[1], '--json', ...args.slice(2)])).out) as { entitiesWritten: number; skipped: number }[];
    expect(first.entitiesWritten).toBeGreaterThan(0);
    // The same window again: the online store already holds each row (equal, not newer) and writes none.
    const again = await cli(args);
    expect(again.code).toBe(0);
    const [header, row] = again.out.split('\n');
    expect(header).toMatch(/ENTITIES WRITTEN\s+SKIPPED \(NOT NEWER\)\s+CHECKS/);
    expect(header).not.toContain('SKIPPED (NEWER)');
    const column = (line: string, name: string) => line.slice(header.indexOf(name)).split(/\s{2,}/)[0];
    expect(column(row, 'ENTITIES WRITTEN')).toBe('0');
    expect(column(row, 'SKIPPED (NOT NEWER)')).toBe(String(first.entitiesWritten));
    const [third] = JSON.parse((await cli([args[0], args[1], '--json', ...args.slice(2)])).out) as Record<string, unknown>[];
    expect(third).toMatchObject({ entitiesWritten: 0, skipped: first.entitiesWritten });
  });
});
