/**
 * `featureguard_run_verdicts_total{kind="dataset"}` counts each dataset build
 * with the status its run ends with: a build the guards block (422
 * `guard_blocked`), and a stream the client abandons after the headers (the run
 * is failed), not only builds that stream whole.
 */
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { openOfflineEngine } from '../../src/offline/engine.js';
import { json, post, useAppFixture } from './fixture.js';

const t = useAppFixture();

const dataset = (at: string) => post({ features: ['origin_delays:flights'], entity_rows: [{ origin: 'SEA', event_timestamp: at }], format: 'json' });

/** The dataset verdicts counted so far (each status's series is there from the start, at 0: those are left out). */
async function verdicts(): Promise<Record<string, number>> {
  const text = await (await t.app.request('/metrics')).text();
  const out: Record<string, number> = {};
  for (const m of text.matchAll(/^featureguard_run_verdicts_total\{kind="dataset",status="(\w+)"\} (\d+)$/gm)) if (m[2] !== '0') out[m[1]] = Number(m[2]);
  return out;
}

it('counts blocked, abandoned and delivered dataset builds by their runs final status', async () => {
  // A row on 2001-01-05 breaking `flights: min 0`: a dataset as of 2001-01-06 reads it, and the schema guard blocks.
  const engine = await openOfflineEngine();
  const file = join(t.fx.dir, 'data', 'delays', 'part-1.parquet').replaceAll("'", "''");
  await engine.run(`COPY (SELECT 'SEA' AS origin, TIMESTAMP '2001-01-05 00:00:00' AS event_timestamp, 1.0::DOUBLE AS dep_delay, (-5)::BIGINT AS flights, 'AA' AS carrier) TO '${file}' (FORMAT parquet)`);

  const blocked = await t.app.request('/v1/datasets', dataset('2001-01-06T00:00:00Z'));
  expect(blocked.status).toBe(422);
  const { error } = await json(blocked);
  expect(error.code).toBe('guard_blocked');
  expect(t.fx.project.runs.get(error.details.run_id)?.status).toBe('blocked');
  expect(await verdicts()).toEqual({ blocked: 1 });

  const delivered = await t.app.request('/v1/datasets', dataset('2001-01-02T00:00:00Z'));
  expect(delivered.status).toBe(200);
  expect(await verdicts()).toEqual({ blocked: 1 }); // counted as the body ends
  expect(JSON.parse(await delivered.text())).toHaveLength(1);
  expect(await verdicts()).toEqual({ blocked: 1, success: 1 });

  // The client goes away after the headers: the run is failed, and so counted.
  const abandoned = await t.app.request('/v1/datasets', dataset('2001-01-02T00:00:00Z'));
  expect(abandoned.status).toBe(200);
  const runId = abandoned.headers.get('x-featureguard-run-id')!;
  await abandoned.body!.cancel();
  expect(t.fx.project.runs.get(runId)?.status).toBe('failed');
  expect(await verdicts()).toEqual({ blocked: 1, success: 1, failed: 1 });
});
