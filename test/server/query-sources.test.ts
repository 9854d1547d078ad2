/**
 * `POST /v1/registry/apply` and `query:` sources: a query is SQL the server runs
 * as it is (DuckDB SQL can read any file the server can), so over HTTP it is
 * accepted only as already applied, unless `server.allow_query_sources` is on.
 */
import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Definition } from '../../src/definitions/types.js';
import { openProject } from '../../src/project.js';
import { createApp, type FeatureguardApp } from '../../src/server/app.js';
import { createFixture, json, post, type Fixture } from './fixture.js';

let fx: Fixture;
let app: FeatureguardApp;
const LATE = "SELECT * FROM read_parquet('data/delays/*.parquet') WHERE dep_delay > 100";

/** The applied definitions, with `change` applied to each. */
function current(change: (d: Definition) => Definition = (d) => d): Definition[] {
  const set = fx.project.registry.current();
  return [...set.entities.values(), ...set.sources.values(), ...set.views.values(), ...set.services.values()].map(change);
}

beforeAll(async () => {
  fx = await createFixture();
  // Applied from the project (in-process, as `featureguard apply` does): trusted.
  fx.project.registry.apply([...current(), { kind: 'source', name: 'late_delays', query: LATE, timestamp_field: 'event_timestamp' }]);
  app = createApp(fx.project);
});
afterAll(async () => {
  await fx?.close();
});

const apply = async (target: FeatureguardApp, definitions: Definition[]) => {
  const res = await target.request('/v1/registry/apply', post({ definitions }));
  return { status: res.status, body: await json(res) };
};

describe('query sources over POST /v1/registry/apply', () => {
  it('re-applying a project with its applied query source is accepted', async () => {
    const { status, body } = await apply(app, current((d) => (d.kind === 'feature_view' ? { ...d, description: 'per origin' } : d)));
    expect(status, JSON.stringify(body)).toBe(200);
    expect(body.applied.map((a: { name: string }) => a.name)).toEqual(['origin_delays']);
  });

  it('a changed or new query is refused with 403 naming the sources, and nothing is applied', async () => {
    const before = fx.project.registry.generation();
    const changed = current((d) => (d.kind === 'source' && d.name === 'late_delays' ? { ...d, query: "SELECT * FROM read_csv('/etc/passwd')" } : d));
    const added: Definition = { kind: 'source', name: 'all_delays', query: "SELECT * FROM 'data/delays/*.parquet'", timestamp_field: 'event_timestamp' };
    const { status, body } = await apply(app, [...changed, added]);
    expect(status, JSON.stringify(body)).toBe(403);
    expect(body.error).toMatchObject({ code: 'query_source_refused', details: { sources: ['late_delays', 'all_delays'] } });
    expect(body.error.message).toMatch(/'late_delays', 'all_delays'.*featureguard apply.*allow_query_sources/);
    expect(fx.project.registry.generation()).toBe(before);
    expect(fx.project.registry.current().sources.get('late_delays')).toMatchObject({ query: LATE });
  });

  it('turning a path source into a query is refused; a query source back into a path is accepted', async () => {
    const toQuery = current((d) => (d.kind === 'source' && d.name === 'delays_source' ? { kind: 'source', name: d.name, query: "SELECT * FROM 'data/delays/*.parquet'", timestamp_field: d.timestamp_field } : d));
    const refused = await apply(app, toQuery);
    expect(refused.status, JSON.stringify(refused.body)).toBe(403);
    expect(refused.body.error.details).toEqual({ sources: ['delays_source'] });
    const toPath = current((d) => (d.kind === 'source' && d.name === 'late_delays' ? { kind: 'source', name: d.name, path: 'data/delays/*.parquet', timestamp_field: d.timestamp_field } : d));
    const accepted = await apply(app, toPath);
    expect(accepted.status, JSON.stringify(accepted.body)).toBe(200);
    expect(fx.project.registry.current().sources.get('late_delays')).toMatchObject({ path: 'data/delays/*.parquet' });
    // Applied from the project again, for the next test.
    fx.project.registry.apply(current((d) => (d.kind === 'source' && d.name === 'late_delays' ? { kind: 'source', name: d.name, query: LATE, timestamp_field: d.timestamp_field } : d)));
  });

  it('is accepted when the project sets server.allow_query_sources', async () => {
    appendFileSync(join(fx.dir, 'featureguard.yaml'), 'server: {allow_query_sources: true}\n');
    const allowing = openProject(fx.dir);
    try {
      const query = `${LATE} AND flights > 3`;
      const { status, body } = await apply(createApp(allowing), current((d) => (d.kind === 'source' && d.name === 'late_delays' ? { ...d, query } : d)));
      expect(status, JSON.stringify(body)).toBe(200);
      expect(allowing.registry.current().sources.get('late_delays')).toMatchObject({ query });
    } finally {
      await allowing.close();
    }
  });
});
