/**
 * `GET /v1/registry/{collection}/{name}` of a removed object: 404 saying it was removed, at which version and
 * when, and where its versions are — not "no … in the registry" while `/versions` lists them.
 */
import { describe, expect, it } from 'vitest';
import { json, useAppFixture } from './fixture.js';

const t = useAppFixture();

describe('GET a removed registry object', () => {
  it('says when it was removed and points at its versions', async () => {
    const { project } = t.fx;
    const set = project.registry.current();
    project.registry.apply([...set.entities.values(), ...set.sources.values()], { allowBreaking: true });
    const versions = await json(await t.app.request('/v1/registry/feature_views/origin_delays/versions'));
    const removal = versions.items.at(-1);
    expect([versions.items.length, removal.definition]).toEqual([2, null]);

    const res = await t.app.request('/v1/registry/feature_views/origin_delays');
    const body = await json(res);
    expect(res.status).toBe(404);
    expect(body.error).toMatchObject({
      code: 'not_found',
      message: `feature_view 'origin_delays' was removed at version 2 (${removal.applied_at}); its versions: GET /v1/registry/feature_views/origin_delays/versions`,
      details: { kind: 'feature_view', name: 'origin_delays', removed_version: 2, removed_at: removal.applied_at },
    });
    // A name never applied: as before.
    const never = await json(await t.app.request('/v1/registry/feature_views/never_there'));
    expect(never.error.message).toBe("no feature_view named 'never_there' in the registry");
  });
});
