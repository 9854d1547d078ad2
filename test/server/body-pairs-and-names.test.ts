/**
 * One wording of a bad body for every route, from its JSON Schema (`src/server/body-problems.ts`): two fields of
 * which one is given (a `oneOf`/`anyOf` of `{required: [a], not: {required: [b]}}` and its mirror) are "give 'a' or
 * 'b', not both"; an unknown property comes first, with the field it likely meant, also when it is only the start
 * or the end of that field's name (`service` for `feature_service`, `rows` for `entity_rows`).
 */
import { describe, expect, it } from 'vitest';
import { meant } from '../../src/server/body-problems.js';
import { json, post, useAppFixture } from './fixture.js';

const t = useAppFixture();

const SEA = { origin: ['SEA'] };
const ROWS = [{ origin: 'SEA', event_timestamp: '2001-01-02T00:00:00Z' }];

type Case = [route: string, body: unknown, problems: [path: string, message: string][]];

const cases: Record<string, Case[]> = {
  'online features': [
    ['/v1/online-features', { features: ['origin_delays:dep_delay'], feature_service: 'delay_service', entities: SEA }, [['/', "give 'features' or 'feature_service', not both"]]],
    // Both, and no entities: the pair is said first, the missing field after it.
    ['/v1/online-features', { features: ['origin_delays:dep_delay'], feature_service: 'delay_service' }, [['/', "give 'features' or 'feature_service', not both"], ['/', "must have required property 'entities'"]]],
    ['/v1/online-features', { service: 'delay_service', entities: SEA }, [['/', "unknown property 'service' (did you mean 'feature_service'?)"], ['/', "must have one of the properties 'features' or 'feature_service'"]]],
    ['/v1/online-features', { features: ['origin_delays:dep_delay'], entities: SEA, names: true }, [['/', "unknown property 'names' (did you mean 'full_feature_names'?)"]]],
    // An unknown property with no likely meaning is first too: it is the likelier cause of the missing one.
    ['/v1/online-features', { features: ['origin_delays:dep_delay'], keys: SEA }, [['/', "unknown property 'keys'"], ['/', "must have required property 'entities'"]]],
  ],
  push: [
    ['/v1/push', { view: 'origin_delays', push_source_name: 'delays_push', rows: [] }, [['/', "give 'view' or 'push_source_name', not both"]]],
    ['/v1/push', { view: 'origin_delays', rows: [], df: {} }, [['/', "give 'rows' or 'df', not both"]]],
    // Feast's path: a body with `view` is featureguard's, read as sent.
    ['/push', { push_source_name: 'delays_push', df: {}, view: 'origin_delays' }, [['/', "give 'view' or 'push_source_name', not both"]]],
    ['/v1/push', { name: 'delays_push', df: {} }, [['/', "unknown property 'name' (did you mean 'push_source_name'?)"], ['/', "must have one of the properties 'view' or 'push_source_name'"]]],
    ['/v1/push', { views: 'origin_delays', rows: [] }, [['/', "unknown property 'views' (did you mean 'view'?)"], ['/', "must have one of the properties 'view' or 'push_source_name'"]]],
  ],
  materialize: [
    // `incremental` with `start` is allowed when false: no pair, the value's own problem (it said "must have only
    // one of the properties 'incremental', 'start', 'start' or 'incremental'").
    ['/v1/materialize', { incremental: 'yes', start: '2001-01-01' }, [['/incremental', 'must be a boolean, got string']]],
    ['/v1/materialize', { view: ['origin_delays'], incremental: true }, [['/', "unknown property 'view' (did you mean 'views'?)"]]],
  ],
  datasets: [
    ['/v1/datasets', { features: ['origin_delays:flights'], feature_service: 'delay_service', entity_rows: ROWS }, [['/', "give 'features' or 'feature_service', not both"]]],
    ['/v1/datasets', { features: ['origin_delays:flights'], entities: SEA, entity_rows: ROWS }, [['/', "give 'entities' or 'entity_rows', not both"]]],
    ['/v1/datasets', { features: ['origin_delays:flights'], rows: ROWS }, [['/', "unknown property 'rows' (did you mean 'entity_rows'?)"], ['/', "must have one of the properties 'entities' or 'entity_rows'"]]],
    ['/v1/datasets', { service: 'delay_service', entity_rows: ROWS }, [['/', "unknown property 'service' (did you mean 'feature_service'?)"], ['/', "must have one of the properties 'features' or 'feature_service'"]]],
    ['/v1/datasets', { features: ['origin_delays:flights'], entity_rows: ROWS, columns: 'event_timestamp' }, [['/', "unknown property 'columns'"]]],
  ],
  'registry plan': [
    ['/v1/registry/plan', { definitions: [], breaking: true }, [['/', "unknown property 'breaking' (did you mean 'allow_breaking'?)"]]],
    ['/v1/registry/plan', { removals: true }, [['/', "unknown property 'removals' (did you mean 'allow_removals'?)"], ['/', "must have required property 'definitions'"]]],
  ],
};

describe.each(Object.entries(cases))('%s', (_, list) => {
  it.each(list)('%s %j', async (route, body, problems) => {
    const res = await t.app.request(route, post(body));
    const answer = await json(res);
    expect([res.status, answer.error]).toEqual([
      400,
      {
        code: 'invalid_request',
        message: `invalid request body: ${problems[0][0] === '/' ? '' : `${problems[0][0]} `}${problems[0][1]}`,
        details: { problems: problems.map(([path, message]) => ({ path, message })) },
      },
    ]);
  });
});

describe('the field an unknown property likely meant', () => {
  it('is a near spelling, or the one field the name is a whole start or end of', () => {
    const fields = ['features', 'feature_service', 'entities', 'entity_rows', 'full_feature_names'];
    expect([meant('featurs', fields), meant('service', fields), meant('rows', fields), meant('names', fields)]).toEqual(['features', 'feature_service', 'entity_rows', 'full_feature_names']);
    // Two fields end so: no guess; a part inside a name, or of under four letters, is none either.
    expect([meant('delay', ['avg_delay', 'max_delay']), meant('source', ['push_source_name']), meant('df', ['raw_df']), meant('xyz', fields)]).toEqual([undefined, undefined, undefined, undefined]);
  });
});

describe('the field meant, by the end of its name, fits the value sent', () => {
  it('is not suggested when its type does not take the value (a list is no boolean)', async () => {
    const fields = ['features', 'feature_service', 'entities', 'entity_rows', 'full_feature_names'];
    expect(meant('names', fields, (f) => f !== 'full_feature_names')).toBeUndefined();
    const ask = async (extra: Record<string, unknown>) => {
      const res = await t.app.request('/v1/online-features', post({ features: ['origin_delays'], entities: SEA, ...extra }));
      return (await json(res)).error?.message as string;
    };
    const list = await ask({ names: ['a'] });
    expect(list).toContain("unknown property 'names'");
    expect(list).not.toContain('did you mean');
    expect(await ask({ names: true })).toContain("unknown property 'names' (did you mean 'full_feature_names'?)");
    // A near spelling is still said whatever the value.
    expect(await ask({ full_feature_name: ['a'] })).toContain("(did you mean 'full_feature_names'?)");
  });
});
