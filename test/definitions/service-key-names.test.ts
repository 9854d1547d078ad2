/**
 * A service feature named like another view's join key in the same service: validate warns at the service's
 * reference, and a dataset build says to rename the feature (the column is a key another view needs).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../cli/cli-io.js';

const DEFS = `kind: entity
name: airport
join_keys: [{name: origin, type: string}]
---
kind: entity
name: carrier
join_keys: [{name: carrier, type: string}]
---
kind: source
name: stats_src
path: data/stats.csv
timestamp_field: ts
---
kind: source
name: carrier_src
path: data/carriers.csv
timestamp_field: ts
---
kind: feature_view
name: stats
entities: [airport]
source: stats_src
ttl: 2d
features:
  - {name: n, type: int64}
  - {name: carrier, type: string}
---
kind: feature_view
name: carriers
entities: [carrier]
source: carrier_src
ttl: 2d
features:
  - {name: m, type: int64}
---
kind: feature_service
name: svc
features: [stats, carriers]
`;

let dir: string;
const fg = (...argv: string[]) => runCli(['--project', dir, ...argv]);
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'fg-svc-keys-'));
  mkdirSync(join(dir, 'features'));
  mkdirSync(join(dir, 'data'));
  writeFileSync(join(dir, 'featureguard.yaml'), 'project: keys\ndefinitions: features\n');
  writeFileSync(join(dir, 'features', 'defs.yaml'), DEFS);
  writeFileSync(join(dir, 'data', 'stats.csv'), 'origin,ts,n,carrier\nSEA,2001-01-01T00:00:00Z,1,AA\n');
  writeFileSync(join(dir, 'data', 'carriers.csv'), 'carrier,ts,m\nAA,2001-01-01T00:00:00Z,5\n');
  writeFileSync(join(dir, 'entities.csv'), 'origin,carrier,event_timestamp\nSEA,AA,2001-01-01T06:00:00Z\n');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('a service feature named like another view\'s join key', () => {
  it('validate warns at the service reference', async () => {
    const r = await fg('validate');
    expect(r.code, r.err).toBe(0);
    expect(r.out).toContain("warning: features/defs.yaml:38 /features/0: feature 'stats:carrier' is named like join key 'carrier' of view 'carriers' in this service: datasets and online reads without full feature names fail; rename the feature");
  });

  it('a dataset build says to rename the feature, not the column', async () => {
    expect((await fg('apply')).code).toBe(0);
    const r = await fg('dataset', 'build', '--service', 'svc', '--entities', join(dir, 'entities.csv'), '--out', join(dir, 'out.parquet'));
    expect([r.code, r.err]).toEqual([2, "error: feature 'stats:carrier' would be output as 'carrier', which is already a column of the entity rows; rename the feature (it clashes with join key 'carrier' of view 'carriers') or use full feature names (CLI --full-feature-names, SDK fullFeatureNames, API full_feature_names)"]);
  });
});
