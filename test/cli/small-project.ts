/** A one-view project written into a temp folder (for CLI tests that need a project, not the flights data). */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../helpers/temp-dir.js';

export const SMALL_DEFS = `kind: entity
name: airport
join_keys:
  - {name: origin, type: string}
---
kind: source
name: src
path: data/stats.csv
timestamp_field: ts
---
kind: feature_view
name: stats
entities: [airport]
source: src
ttl: 2d
online: true
features:
  - {name: n, type: int64, min: 0}
---
kind: feature_service
name: svc
features: [stats]
`;

/** The project's folder: view `stats` (one int64 feature `n`) of entity `airport`, service `svc`, two days of hourly rows from 2001-01-01. */
export function writeSmallProject(prefix: string): string {
  const dir = tempDir(prefix);
  mkdirSync(join(dir, 'features'));
  mkdirSync(join(dir, 'data'));
  writeFileSync(join(dir, 'featureguard.yaml'), 'project: small\ndefinitions: features\n');
  writeFileSync(join(dir, 'features', 'defs.yaml'), SMALL_DEFS);
  const rows = ['origin,ts,n'];
  for (let h = 0; h < 48; h++) for (const o of ['SEA', 'SFO']) rows.push(`${o},${new Date(Date.UTC(2001, 0, 1, h)).toISOString()},${h % 5}`);
  writeFileSync(join(dir, 'data', 'stats.csv'), `${rows.join('\n')}\n`);
  return dir;
}
