/**
 * A request body that does not fit its route's schema is a 400 `invalid_request` whose message and problems say in
 * words what is wrong, as a refused push's problems do: the type wanted and the type sent, the allowed values and
 * the value sent, what a feature reference or a time looks like — never ajv's `must match pattern "^[a-z_]…"`,
 * `must be equal to constant` or one problem per failed `oneOf` branch.
 */
import { describe, expect, it } from 'vitest';
import { json, post, useAppFixture } from './fixture.js';

const t = useAppFixture();

const SEA = { origin: ['SEA'] };
const ENTITIES = { origin: ['SEA'], event_timestamp: ['2001-01-01T00:00:00Z'] };

type Case = [route: string, body: unknown, problems: [path: string, message: string][]];

const cases: Record<string, Case[]> = {
  'online features': [
    ['/v1/online-features', { features: 'origin_delays', entities: SEA }, [['/features', 'must be an array, got string']]],
    ['/v1/online-features', { features: ['origin_delays'], entities: { origin: 'SEA' } }, [['/entities/origin', 'must be an array, got string']]],
    ['/v1/online-features', { features: ['Origin Delays'], entities: SEA }, [['/features/0', "must be a feature reference (view, view:feature or view:*), got 'Origin Delays'"]]],
    ['/v1/online-features', { features: ['origin_delays'], entities: SEA, full_feature_names: 'yes' }, [['/full_feature_names', 'must be a boolean, got string']]],
    ['/v1/online-features', { features: [], entities: SEA }, [['/features', 'must not be empty']]],
    ['/v1/online-features', { features: ['origin_delays'], entities: {} }, [['/entities', 'must name at least one entity column']]],
    ['/v1/datasets', { features: ['origin_delays'], entities: {} }, [['/entities', 'must name at least one entity column']]],
    ['/v1/online-features', [1, 2], [['/', 'must be an object, got array']]],
    ['/v1/online-features', { features: ['origin_delays'] }, [['/', "must have required property 'entities'"]]],
    ['/v1/online-features', { features: ['origin_delays'], entities: SEA, full_feature_name: true }, [['/', "unknown property 'full_feature_name' (did you mean 'full_feature_names'?)"]]],
    ['/get-online-features', { features: ['origin_delays:dep_delay'], entities: SEA, full_feature_names: 'maybe' }, [['/full_feature_names', "must be a boolean, 0 or 1, or a boolean as text (true, false, yes, no, on, off, 1, 0, t, f, y, n), got 'maybe'"]]],
  ],
  materialize: [
    ['/v1/materialize', { start: 'monday' }, [['/start', "must be a date or a date and time (ISO 8601, e.g. 2001-01-01 or 2001-01-01T06:00:00Z), got 'monday'"]]],
    ['/v1/materialize', { start: 5, end: '2001-01-01' }, [['/start', 'must be a string, got number']]],
    ['/v1/materialize', { views: 'origin_delays', incremental: true }, [['/views', 'must be an array, got string']]],
    ['/v1/materialize', { views: ['Origin'], incremental: true }, [['/views/0', "must be a name (1-63 lowercase letters, digits and underscores, starting with a letter or underscore), got 'Origin'"]]],
    ['/v1/materialize', { views: ['origin_delays', 'origin_delays'], incremental: true }, [['/views', "names 'origin_delays' twice (items 0 and 1)"]]],
    ['/materialize', { feature_views: ['origin_delays', 'x', 'origin_delays'], start_ts: '2001-01-01T00:00:00Z', end_ts: '2001-01-02T00:00:00Z' }, [['/feature_views', "names 'origin_delays' twice (items 0 and 2)"]]],
    ['/v1/materialize', { incremental: 'yes' }, [['/incremental', 'must be a boolean, got string']]],
    ['/materialize-incremental', { end_ts: 5 }, [['/end_ts', 'must be a string, got number']]],
  ],
  datasets: [
    ['/v1/datasets', { features: ['origin_delays'], entities: ENTITIES, format: 'xlsx' }, [['/format', "must be one of arrow, parquet, csv, json, got 'xlsx'"]]],
    ['/v1/datasets', { features: ['origin_delays'], entities: ENTITIES, format: 'parqet' }, [['/format', "must be one of arrow, parquet, csv, json, got 'parqet' (did you mean 'parquet'?)"]]],
    ['/v1/datasets', { features: ['origin_delays'] }, [['/', "must have one of the properties 'entities' or 'entity_rows'"]]],
    ['/v1/datasets', { features: ['origin_delays'], entity_rows: [1] }, [['/entity_rows/0', 'must be an object, got number']]],
    ['/v1/datasets', { features: ['origin_delays'], entity_rows: 'x' }, [['/entity_rows', 'must be an array, got string']]],
  ],
  'registry plan and apply': [
    ['/v1/registry/plan', { definitions: 'all' }, [['/definitions', 'must be an array, got string']]],
    ['/v1/registry/apply', { definitions: [], allow_breakin: true }, [['/', "unknown property 'allow_breakin' (did you mean 'allow_breaking'?)"]]],
    ['/v1/registry/apply', { definitions: [], allow_breaking: 'yes' }, [['/allow_breaking', 'must be a boolean, got string']]],
  ],
  push: [
    ['/v1/push', { view: 'origin_delays', rows: [{}], to: 'disk' }, [['/to', "must be one of online, offline, both, online_and_offline, got 'disk'"]]],
    ['/v1/push', { view: 5, rows: [] }, [['/view', 'must be a string, got number']]],
  ],
};

describe.each(Object.entries(cases))('%s', (_, list) => {
  it.each(list)('%s %j', async (route, body, problems) => {
    const res = await t.app.request(route, post(body));
    const answer = await json(res);
    expect(res.status).toBe(400);
    expect(answer).toEqual({
      error: {
        code: 'invalid_request',
        message: `invalid request body: ${problems[0][0] === '/' ? '' : `${problems[0][0]} `}${problems[0][1]}`,
        details: { problems: problems.map(([path, message]) => ({ path, message })) },
      },
    });
  });
});

describe('alternative properties of a body', () => {
  it.each([
    ['/v1/online-features', { entities: SEA }, [['/', "must have one of the properties 'features' or 'feature_service'"]]],
    // A misspelt property is the cause of the missing one: its did-you-mean first.
    ['/v1/online-features', { featurs: ['origin_delays'], entities: SEA }, [['/', "unknown property 'featurs' (did you mean 'features'?)"], ['/', "must have one of the properties 'features' or 'feature_service'"]]],
    ['/v1/datasets', { features: ['origin_delays'], entites: ENTITIES }, [['/', "unknown property 'entites' (did you mean 'entities'?)"], ['/', "must have one of the properties 'entities' or 'entity_rows'"]]],
    // Two fields of which one is given, both given: said as the CLI says it, for every route (body-problems.ts);
    // what is wrong with one of them after it.
    ['/v1/datasets', { features: ['origin_delays'], entities: ENTITIES, entity_rows: [{ origin: 'SEA', event_timestamp: '2001-01-01T00:00:00Z' }] }, [['/', "give 'entities' or 'entity_rows', not both"]]],
    ['/v1/datasets', { features: ['origin_delays'], entities: ENTITIES, entity_rows: [] }, [['/', "give 'entities' or 'entity_rows', not both"], ['/entity_rows', 'must not be empty']]],
    ['/v1/push', { rows: [] }, [['/', "must have one of the properties 'view' or 'push_source_name'"]]],
    // Both problems: the missing entities are not a consequence of the features' type.
    ['/v1/datasets', { features: 5 }, [['/', "must have one of the properties 'entities' or 'entity_rows'"], ['/features', 'must be an array, got number']]],
    ['/v1/push', { view: 'origin_delays', rows: [], df: {} }, [['/', "give 'rows' or 'df', not both"]]],
  ] as Case[])('%s %j', async (route, body, problems) => {
    const answer = await json(await t.app.request(route, post(body)));
    expect(answer.error).toEqual({
      code: 'invalid_request',
      message: `invalid request body: ${problems[0][0] === '/' ? '' : `${problems[0][0]} `}${problems[0][1]}`,
      details: { problems: problems.map(([path, message]) => ({ path, message })) },
    });
  });
});
