/**
 * `POST /v1/datasets` with bad input (an ops review's findings, each reproduced first): a caller's mistake is a
 * 400 that records no run and counts no verdict (a build that fails for real records a failed run and counts);
 * join-key values a JSON client sent wrong are named with their row; body mistakes say what to send.
 */
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { defineEntity, defineFeatureView, defineSource } from '../../src/definitions/define.js';
import { appliedDefinitions, json, post, useAppFixture } from './fixture.js';

const t = useAppFixture();

/** The dataset verdicts counted so far (series at 0 left out). */
async function verdicts(): Promise<Record<string, number>> {
  const text = await (await t.app.request('/metrics')).text();
  const out: Record<string, number> = {};
  for (const m of text.matchAll(/^featureguard_run_verdicts_total\{kind="dataset",status="(\w+)"\} (\d+)$/gm)) if (m[2] !== '0') out[m[1]] = Number(m[2]);
  return out;
}
const datasetRuns = async () => (await json(await t.app.request('/v1/runs?kind=dataset'))).runs as { status: string; message: string | null }[];

/** A view keyed by an int64 flight id (its source is never read: the key is refused before). */
function withFlights(): void {
  const project = t.fx.project;
  if (project.registry.current().views.has('flight_stats')) return;
  project.registry.apply([
    ...appliedDefinitions(project),
    defineEntity({ name: 'flight', join_keys: [{ name: 'flight_id', type: 'int64' }] }),
    defineSource({ name: 'flight_src', path: 'data/flights/*.parquet', timestamp_field: 'event_timestamp' }),
    defineFeatureView({ name: 'flight_stats', entities: ['flight'], source: 'flight_src', features: [{ name: 'delay', type: 'float64' }] }),
  ]);
}

const request = (body: unknown) => t.app.request('/v1/datasets', post(body));
async function error(body: unknown): Promise<{ status: number; code: string; message: string; details: Record<string, unknown> | null }> {
  const res = await request(body);
  const { error: e } = await json(res);
  return { status: res.status, ...e };
}

describe('caller mistakes record no run', () => {
  it('a 400 (no timestamp column, an unknown feature, a bad key) leaves the runs and the verdicts as they were; a real failure records and counts', async () => {
    const runsBefore = (await datasetRuns()).length;
    const before = await verdicts();
    const bad = [
      { features: ['origin_delays:flights'], entity_rows: [{ origin: 'SEA', ts: '2001-01-02T00:00:00Z' }] },
      { features: ['origin_delays:nope'], entity_rows: [{ origin: 'SEA', event_timestamp: '2001-01-02T00:00:00Z' }] },
      { features: ['origin_delays:flights'], entity_rows: [{ origin: 'SEA', event_timestamp: '2001-02-30T00:00:00Z' }] },
      { features: ['origin_delays:flights'], entity_rows: [{ origin: 'SEA', flights: 1, event_timestamp: '2001-01-02T00:00:00Z' }] },
    ];
    for (const body of bad) expect((await request(body)).status).toBe(400);
    expect((await datasetRuns()).length).toBe(runsBefore);
    expect(await verdicts()).toEqual(before);

    // A source file that is no Parquet file: unreadable as the build reads it, a failed run, counted.
    const file = join(t.fx.dir, 'data', 'delays', 'part-9.parquet');
    writeFileSync(file, 'not parquet');
    try {
      const res = await request({ features: ['origin_delays:flights'], entity_rows: [{ origin: 'SEA', event_timestamp: '2001-01-02T00:00:00Z' }], format: 'json' });
      expect(res.status).toBe(500);
      expect((await json(res)).error.code).toBe('source_unreadable');
    } finally {
      rmSync(file);
    }
    const runs = await datasetRuns();
    expect(runs.length).toBe(runsBefore + 1);
    expect(runs[0].status).toBe('failed');
    expect(await verdicts()).toEqual({ ...before, failed: (before.failed ?? 0) + 1 });
  });
});

describe('join key values', () => {
  it('names the first value of an int key that is none, with its row', async () => {
    withFlights();
    const at = '2001-01-02T00:00:00Z';
    const mixed = await error({ features: ['flight_stats:delay'], entity_rows: [{ flight_id: '2', event_timestamp: at }, { flight_id: 'abc', event_timestamp: at }] });
    expect(mixed).toMatchObject({ status: 400, code: 'wrong_join_key_type', details: { column: 'flight_id', value: 'abc', row: 1 } });
    expect(mixed.message).toMatch(/'flight_id' holds 'abc' in row 1 \(counting from 0\), which is no int64.*whole numbers/);
    const alone = await error({ features: ['flight_stats:delay'], entities: { flight_id: ['abc'], event_timestamp: [at] } });
    expect(alone).toMatchObject({ code: 'wrong_join_key_type', details: { value: 'abc', row: 0 } });
    expect(alone.message).not.toMatch(/cast the column/);
    const fraction = await error({ features: ['flight_stats:delay'], entities: { flight_id: [2.0, 3.5], event_timestamp: [at, at] } });
    expect(fraction).toMatchObject({ code: 'wrong_join_key_type', details: { value: 3.5, row: 1 } });
    expect(fraction.message).toMatch(/holds 3\.5 in row 1 \(counting from 0\)/);
    // Digit strings are ids: taken (the build goes on to its source, which does not exist here).
    expect((await error({ features: ['flight_stats:delay'], entities: { flight_id: ['2', 3], event_timestamp: [at, at] } })).code).not.toBe('wrong_join_key_type');
    const stringKey = await error({ features: ['origin_delays:flights'], entity_rows: [{ origin: 7, event_timestamp: at }] });
    expect(stringKey).toMatchObject({ code: 'wrong_join_key_type', details: { column: 'origin', value: 7, row: 0 } });
  });
});

describe('body mistakes', () => {
  const rows = [{ origin: 'SEA', event_timestamp: '2001-01-02T00:00:00Z' }];
  it('says to give features or feature_service, not both', async () => {
    const e = await error({ features: ['origin_delays:flights'], feature_service: 'delay_service', entity_rows: rows });
    expect(e).toMatchObject({ status: 400, code: 'invalid_request' });
    expect(e.message).toBe("invalid request body: give 'features' or 'feature_service', not both");
    const both = await error({ features: ['origin_delays:flights'], entities: { origin: ['SEA'] }, entity_rows: rows });
    expect(both.message).toBe("invalid request body: give 'entities' or 'entity_rows', not both");
  });

  it('puts an unknown property first, with a did-you-mean', async () => {
    const e = await error({ service: 'delay_service', entity_rows: rows });
    expect(e.message).toBe("invalid request body: unknown property 'service' (did you mean 'feature_service'?)");
    const problems = (e.details as { problems: { message: string }[] }).problems;
    expect(problems[0].message).toBe("unknown property 'service' (did you mean 'feature_service'?)");
    expect((await error({ features: ['origin_delays:flights'], entity_row: rows })).message).toMatch(/unknown property 'entity_row' \(did you mean 'entity_rows'\?\)$/);
  });

  it('names the API field for full feature names and the timestamp column as the caller gave it', async () => {
    t.fx.project.registry.apply([
      ...appliedDefinitions(t.fx.project).filter((d) => d.name !== 'origin_delays2'),
      defineFeatureView({ name: 'origin_delays2', entities: ['airport'], source: 'delays_source', features: [{ name: 'flights', type: 'int64' }] }),
    ]);
    const clash = await error({ features: ['origin_delays:flights', 'origin_delays2:flights'], entity_rows: rows });
    expect(clash.code).toBe('feature_name_collision');
    expect(clash.message).toMatch(/API full_feature_names/);
    const ts = await error({ features: ['origin_delays:flights'], entity_rows: rows, timestamp_column: 'nope' });
    expect(ts.code).toBe('missing_timestamp_column');
    expect(ts.message).toMatch(/^the entity rows have no column 'nope', named as their timestamp column/);
  });

  it('documents bad_entity in the 400 of /v1/datasets', async () => {
    const spec = await json(await t.app.request('/openapi.json'));
    expect(JSON.stringify(spec.paths['/v1/datasets'].post.responses['400'])).toMatch(/bad_entity\b/);
  });
});
