/**
 * A bench project over the 3M real flights: two online views over the prepared
 * `flights.parquet` (one row per flight), so a materialization reads every flight
 * of its window: `flights`, keyed by origin airport (a few hundred entities
 * written: the read-heavy case), and `flight_rows`, keyed by flight (every flight
 * written online).
 */
import { copyFileSync, linkSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { defineEntity, defineFeatureView, defineSource } from '../../src/definitions/define.js';
import type { FeatureDef } from '../../src/definitions/types.js';
import { openProject, type Project } from '../../src/project.js';
import { ensureFlightsData } from '../helpers/flights.js';

export const FLIGHT_FEATURES: FeatureDef[] = [
  { name: 'delay_minutes', type: 'int64' },
  { name: 'distance', type: 'int64', min: 0 },
  { name: 'destination', type: 'string' },
  { name: 'delayed', type: 'bool' },
];

/** A temp project whose `flights` view reads `data/flights.parquet` (a hard link to the prepared data, which the bench only reads). */
export async function flightsBenchProject(quality: Record<string, unknown> = {}): Promise<{ dir: string; project: Project; data: string }> {
  const cache = await ensureFlightsData({ shift: false });
  const dir = mkdtempSync(join(tmpdir(), 'fg-guards-bench-'));
  mkdirSync(join(dir, 'features'));
  mkdirSync(join(dir, 'data'));
  // A hard link (a copy across file systems): a symbolic link would lead out of the project root, which runs refuse.
  try {
    linkSync(join(cache, 'flights.parquet'), join(dir, 'data', 'flights.parquet'));
  } catch {
    copyFileSync(join(cache, 'flights.parquet'), join(dir, 'data', 'flights.parquet'));
  }
  writeFileSync(join(dir, 'featureguard.yaml'), stringify({ project: 'guards_bench', quality }));
  const project = openProject(dir);
  project.registry.apply([
    defineEntity({ name: 'airport', join_keys: [{ name: 'origin', type: 'string' }] }),
    defineEntity({ name: 'flight', join_keys: [{ name: 'flight_id', type: 'int64' }] }),
    defineSource({ name: 'flights_source', path: 'data/flights.parquet', timestamp_field: 'dep_time' }),
    defineFeatureView({ name: 'flights', entities: ['airport'], source: 'flights_source', ttl: '0', online: true, features: FLIGHT_FEATURES }),
    defineFeatureView({ name: 'flight_rows', entities: ['flight'], source: 'flights_source', ttl: '0', online: true, features: FLIGHT_FEATURES }),
  ]);
  return { dir, project, data: join(cache, 'flights.parquet') };
}
