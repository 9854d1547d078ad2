/**
 * `check --dataset` on the files a build writes, in every format, with and
 * without the manifest beside them: the check reads the columns as the build
 * wrote them, so a file the build passed passes (an int32 feature read back as
 * BIGINT, an empty string as NULL, `T.CSV` as Parquet had blocked it).
 */
import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkDataset } from '../../src/guards/check-run.js';
import { getHistoricalFeatures } from '../../src/offline/historical.js';
import { guardBench, type GuardBench } from './helpers.js';

let b: GuardBench;
const service = { kind: 'feature_service' as const, name: 'svc', features: ['delays'] };
const entities = Array.from({ length: 30 }, (_, i) => ({ airport: ['SEA', 'JFK', 'LAX'][i % 3], event_timestamp: `2024-01-${String(2 + (i % 20)).padStart(2, '0')}T05:00:00Z` }));

beforeAll(async () => {
  b = await guardBench({
    features: [
      { name: 'small', type: 'int32' },
      { name: 'big', type: 'int64' },
      { name: 'ratio', type: 'float32', allow_nan: true },
      { name: 'note', type: 'string', nullable: false },
    ],
    services: [service],
  });
  // Every third value of `note` is the empty string (never NULL); `big` lies beyond ±2^53 on odd rows; `ratio` holds NaN and Inf.
  await b.writeSource(`SELECT ['SEA','JFK','LAX'][1 + (i % 3)] AS airport, TIMESTAMP '2024-01-01' + INTERVAL (i) HOUR AS ts,
    TIMESTAMP '2024-01-01' + INTERVAL (i) HOUR AS created, (i % 7)::INTEGER AS small,
    CASE WHEN i % 2 = 1 THEN 9007199254740993 + i ELSE i END::BIGINT AS big,
    CASE WHEN i % 11 = 0 THEN 'nan'::FLOAT WHEN i % 13 = 0 THEN 'inf'::FLOAT ELSE (i / 8)::FLOAT END AS ratio,
    CASE WHEN i % 3 = 0 THEN '' ELSE 'n' || (i % 4) END AS note FROM range(24 * 31) r(i)`);
});
afterAll(async () => {
  await b?.close();
});

/** The checks that did not pass: [family.method feature, status, message]. */
const notPassed = (g: Awaited<ReturnType<typeof checkDataset>>) =>
  g.results.filter((r) => r.status === 'fail' || r.status === 'error').map((r) => [`${r.check}.${r.method} ${r.feature}`, r.status, r.message]);

describe('check --dataset on the files a build passed', () => {
  for (const [format, name] of [['csv', 'ds.csv'], ['json', 'ds.json'], ['parquet', 'ds.parquet'], ['csv', 'DS.CSV']] as const) {
    it(`${name}: passes with its manifest and without it`, async () => {
      const out = join(b.dir, name);
      const built = await getHistoricalFeatures(b.project, { entities, service: 'svc', out, format });
      expect(built.status).not.toBe('blocked');
      const g = await checkDataset(b.project, { file: out });
      expect(notPassed(g)).toEqual([]);
      // The same file copied without its manifest: the service's declared types guide the reading.
      const bare = join(b.dir, `bare-${name}`);
      copyFileSync(out, bare);
      const h = await checkDataset(b.project, { file: bare, service: 'svc' });
      expect(notPassed(h)).toEqual([]);
    });
  }
});
