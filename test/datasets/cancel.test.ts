/**
 * A build whose caller goes away stops (a review finding: a client that gave up
 * on `POST /v1/datasets` left the server joining at full CPU for its build, and
 * the run was then recorded as a delivered dataset): an aborted signal
 * interrupts DuckDB and fails the run `cancelled`; a stream abandoned early
 * records its run as not delivered.
 */
import { describe, expect, it } from 'vitest';
import type { FeatureguardError } from '../../src/errors.js';
import { buildDatasetStream, getHistoricalFeatures } from '../../src/offline/historical.js';
import { useTinyProject } from './tiny-project.js';

const t = useTinyProject();

/** Entity rows enough for a build of a few seconds. */
const MANY = { kind: 'sql' as const, sql: "SELECT (i % 3)::BIGINT AS user_id, TIMESTAMP '2024-01-01 00:00:00' + to_microseconds(i) AS event_timestamp FROM range(6000000) t(i)" };

describe('cancelling a dataset build', () => {
  it('an aborted signal interrupts the build: cancelled (499), the run failed, in well under the build time', async () => {
    const controller = new AbortController();
    const started = Date.now();
    setTimeout(() => controller.abort(), 300);
    const error = await getHistoricalFeatures(t.project, { entities: MANY, features: ['user_stats:txn_count'], signal: controller.signal }).then(() => null, (e: unknown) => e as FeatureguardError);
    expect(error).toMatchObject({ code: 'cancelled', status: 499 });
    expect(Date.now() - started).toBeLessThan(3_000);
    const [run] = t.project.runs.list({ kind: 'dataset' }).runs;
    expect(run).toMatchObject({ status: 'failed', message: expect.stringContaining('cancelled') });
  });

  it('a stream its reader stops early records the run as not delivered', async () => {
    const stream = await buildDatasetStream(t.project, { entities: MANY, features: ['user_stats:txn_count'] }, 'arrow');
    const it = stream.body[Symbol.asyncIterator]();
    expect((await it.next()).done).toBe(false);
    await it.return?.();
    expect(t.project.runs.get(stream.run.id)).toMatchObject({ status: 'failed', message: expect.stringContaining('not delivered') });
  });
});
