/**
 * A small real project for the server tests: one entity (`airport`), a Parquet
 * glob source written with DuckDB, an online view `origin_delays` and a service.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { loadDefinitions } from '../../src/definitions/loader.js';
import type { Definition } from '../../src/definitions/types.js';
import { openOfflineEngine } from '../../src/offline/engine.js';
import { openProject, type Project } from '../../src/project.js';
import { createApp, type AppOptions, type FeatureguardApp } from '../../src/server/app.js';

export const ORIGINS = ['SEA', 'SFO', 'JFK'] as const;

const CONFIG = (online: string) => `project: servertest
online_store: ${online}
quality:
  schema: block
`;

/** The entity and the source of the fixture, without the view and the service. */
export const ENTITY_AND_SOURCE_DEFS = `kind: entity
name: airport
join_keys: [{name: origin, type: string}]
---
kind: source
name: delays_source
path: data/delays/*.parquet
timestamp_field: event_timestamp
`;

const DEFS = `${ENTITY_AND_SOURCE_DEFS}---
kind: feature_view
name: origin_delays
entities: [airport]
source: delays_source
ttl: "0"
online: true
schedule: "*/5 * * * *"
features:
  - {name: dep_delay, type: float64}
  - {name: flights, type: int64, min: 0}
  - {name: carrier, type: string}
---
kind: feature_service
name: delay_service
features: [origin_delays]
`;

export interface Fixture {
  dir: string;
  project: Project;
  close(): Promise<void>;
}

/**
 * Rows: for each origin i and hour h in 0..23 of 2001-01-01: dep_delay = i*100 + h,
 * flights = h, carrier = 'AA'. Latest per origin: hour 23.
 */
export async function createFixture(options: { onlineStore?: string } = {}): Promise<Fixture> {
  const dir = mkdtempSync(join(tmpdir(), 'fg-server-'));
  mkdirSync(join(dir, 'features'), { recursive: true });
  mkdirSync(join(dir, 'data', 'delays'), { recursive: true });
  writeFileSync(join(dir, 'featureguard.yaml'), CONFIG(options.onlineStore ?? '{type: sqlite}'));
  writeFileSync(join(dir, 'features', 'defs.yaml'), DEFS);
  const engine = await openOfflineEngine();
  const file = join(dir, 'data', 'delays', 'part-0.parquet').replaceAll("'", "''");
  await engine.run(`COPY (
    SELECT o.origin, TIMESTAMP '2001-01-01 00:00:00' + to_hours(h) AS event_timestamp,
      (o.i * 100 + h)::DOUBLE AS dep_delay, h::BIGINT AS flights, 'AA' AS carrier
    FROM (VALUES ('SEA', 0), ('SFO', 1), ('JFK', 2)) o(origin, i), range(24) t(h)
  ) TO '${file}' (FORMAT parquet)`);
  const project = openProject(dir);
  project.registry.apply(loadDefinitions(project.root, project.config));
  return {
    dir,
    project,
    async close() {
      await project.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * A fixture and its API for the tests of one file: created before them, closed
 * after them. Read `t.fx` and `t.app` inside tests (they exist once `beforeAll` ran).
 *
 * @example
 * const t = useAppFixture();
 * it('reads', async () => expect((await t.app.request('/health')).status).toBe(200));
 */
export function useAppFixture(options: AppOptions = {}): { readonly fx: Fixture; readonly app: FeatureguardApp } {
  const holder = {} as { fx: Fixture; app: FeatureguardApp };
  beforeAll(async () => {
    holder.fx = await createFixture();
    holder.app = createApp(holder.fx.project, options);
  });
  afterAll(async () => {
    await holder.fx?.close();
  });
  return holder;
}

/** An online read of one feature for SEA. */
export const READ_SEA = { features: ['origin_delays:dep_delay'], entities: { origin: ['SEA'] } };

/** The `Authorization` header of an API key. */
export const bearer = (key: string): Record<string, string> => ({ authorization: `Bearer ${key}` });

/** JSON request helper for `app.request`. */
export function post(body: unknown, headers: Record<string, string> = {}): RequestInit {
  return { method: 'POST', body: typeof body === 'string' ? body : JSON.stringify(body), headers: { 'content-type': 'application/json', ...headers } };
}

/** A response body as JSON; a body that is not JSON fails the test with its status and start. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read arbitrary response shapes
export async function json(res: Response): Promise<any> {
  const text = await res.text();
  try {
    return JSON.parse(text);
  } catch {
    throw new Error(`not JSON (${res.status}): ${text.slice(0, 200)}`);
  }
}

/** Every object the project's registry holds now, as definitions (a body for `POST /v1/registry/apply`). */
export function appliedDefinitions(project: Project): Definition[] {
  const s = project.registry.current();
  return [...s.entities.values(), ...s.sources.values(), ...s.views.values(), ...s.services.values()];
}
