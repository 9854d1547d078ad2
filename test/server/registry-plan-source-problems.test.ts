/**
 * `POST /v1/registry/plan` says what `validate` finds wrong with the sources (`source_problems`), as the CLI's plan
 * prints them as warnings: over HTTP they appeared only in apply's answer, after applying (a review finding).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createApp } from '../../src/server/app.js';
import { appliedDefinitions, createFixture, json, post, type Fixture } from './fixture.js';

let fx: Fixture;
beforeEach(async () => {
  fx = await createFixture();
});
afterEach(async () => {
  await fx?.close();
});

describe('POST /v1/registry/plan and the sources', () => {
  it('answers source_problems before applying, the ones apply then reports', async () => {
    const app = createApp(fx.project);
    const clean = appliedDefinitions(fx.project);
    const defs = clean.map((d) =>
      d.kind === 'feature_view' ? { ...d, features: [...d.features, { name: 'no_such_col', type: 'float64' as const }] } : d);
    const generation = fx.project.registry.generation();
    const res = await app.request('/v1/registry/plan', post({ definitions: defs }));
    const plan = await json(res);
    expect(res.status, JSON.stringify(plan)).toBe(200);
    expect(plan.source_problems).toEqual([
      expect.objectContaining({ file: 'definitions[2]', message: expect.stringContaining("feature 'no_such_col' is not a column of source 'delays_source'") }),
    ]);
    expect(fx.project.registry.generation()).toBe(generation); // planned, nothing applied
    const applied = await json(await app.request('/v1/registry/apply', post({ definitions: defs })));
    expect(applied.source_problems).toEqual(plan.source_problems);
    // A clean plan has none.
    expect((await json(await app.request('/v1/registry/plan', post({ definitions: clean })))).source_problems).toEqual([]);
  });

  it('documents source_problems in the plan answer of /openapi.json', async () => {
    const doc = await json(await createApp(fx.project).request('/openapi.json'));
    const ref: string = doc.paths['/v1/registry/plan'].post.responses['200'].content['application/json'].schema.$ref;
    expect(doc.components.schemas[ref.replace('#/components/schemas/', '')].properties.source_problems).toMatchObject({ type: 'array' });
  });
});
