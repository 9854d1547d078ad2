/**
 * An apply made against a registry generation (`expected_generation` over HTTP, `expectedGeneration` in the SDK,
 * `apply --expect-generation N` in the CLI) applies only if no other apply came in between: a full set read and
 * edited before a teammate's apply was applied as it was and silently reverted that apply (a review finding). The
 * plan answers the generation it was made against.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Definition } from '../../src/definitions/types.js';
import type { Project } from '../../src/project.js';
import { ConflictError, openFeatureStore, type FeatureStore } from '../../src/sdk/index.js';
import { createApp } from '../../src/server/app.js';
import { runCli } from '../cli/cli-io.js';
import { appliedDefinitions, createFixture, json, post, type Fixture } from './fixture.js';

let fx: Fixture;
let store: FeatureStore;
beforeEach(async () => {
  fx = await createFixture();
  store = await openFeatureStore(fx.dir);
});
afterEach(async () => {
  await store?.close();
  await fx?.close();
});

/** Every version of every object, as `kind/name vN`: what an apply writes. */
const history = (project: Project) =>
  [...project.registry.currentVersions().values()].flatMap((v) => project.registry.versions(v.kind, v.name).map((r) => `${r.kind}/${r.name} v${r.version}`)).sort();
const editView = (defs: readonly Definition[], patch: Record<string, unknown>) => defs.map((d) => (d.kind === 'feature_view' ? { ...d, ...patch } : d));

describe('POST /v1/registry/apply with expected_generation', () => {
  it('of two applies made against the same generation, the second is 409 registry_changed and writes nothing', async () => {
    const app = createApp(fx.project);
    const defs = appliedDefinitions(fx.project);
    const { generation } = await json(await app.request('/v1/registry'));
    expect(generation).toBeGreaterThan(0);
    const plan = await json(await app.request('/v1/registry/plan', post({ definitions: defs })));
    expect(plan.generation).toBe(generation);
    // Bob and Alice each read the full set at that generation and changed one thing of it.
    const bob = editView(defs, { ttl: '5d' });
    const alice = editView(defs, { description: 'delays per origin' });
    const answers = await Promise.all([bob, alice].map((definitions) => app.request('/v1/registry/apply', post({ definitions, expected_generation: generation }))));
    const bodies = await Promise.all(answers.map(json));
    expect(answers.map((r) => r.status).sort(), JSON.stringify(bodies)).toEqual([200, 409]);
    const won = answers.findIndex((r) => r.status === 200);
    const [winner, loser] = [bodies[won], bodies[1 - won]];
    expect(winner.plan.generation).toBe(generation);
    expect(winner.generation).toBeGreaterThan(generation);
    expect(loser.error).toMatchObject({ code: 'registry_changed', details: { expected_generation: generation, generation: winner.generation } });
    expect(loser.error.message).toContain(`the registry changed since generation ${generation} (it is at generation ${winner.generation}`);
    // Only the winner's change is in the registry: one new version of the view.
    const view = fx.project.registry.current().views.get('origin_delays')!;
    expect([view.ttl, view.description]).toEqual(won === 0 ? ['5d', undefined] : ['0', 'delays per origin']);
    expect(fx.project.registry.versions('feature_view', 'origin_delays').map((v) => v.version)).toEqual([1, 2]);
    expect((await json(await app.request('/v1/registry'))).generation).toBe(winner.generation);
    // Planned again on the new generation, the loser's apply goes through.
    const again = await app.request('/v1/registry/apply', post({ definitions: [bob, alice][1 - won], expected_generation: winner.generation }));
    expect(again.status, JSON.stringify(await json(again.clone()))).toBe(200);
  });

  it('without expected_generation applies as before; a generation that is no integer is 400', async () => {
    const app = createApp(fx.project);
    const defs = editView(appliedDefinitions(fx.project), { description: 'x' });
    const before = history(fx.project);
    for (const bad of ['3', -1, 1.5, null]) {
      const res = await app.request('/v1/registry/apply', post({ definitions: defs, expected_generation: bad }));
      const body = await json(res);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(body.error.message).toContain('expected_generation');
    }
    expect(history(fx.project)).toEqual(before);
    expect((await app.request('/v1/registry/apply', post({ definitions: defs }))).status).toBe(200);
  });

  it('documents expected_generation, the plan\'s generation and the 409 in /openapi.json', async () => {
    const doc = await json(await createApp(fx.project).request('/openapi.json'));
    const op = doc.paths['/v1/registry/apply'].post;
    const body = doc.components.schemas[op.requestBody.content['application/json'].schema.$ref.replace('#/components/schemas/', '')];
    expect(body.properties.expected_generation).toMatchObject({ type: 'integer', minimum: 0 });
    expect(op.responses['409'].description).toMatch(/registry_changed/);
    const plan = doc.paths['/v1/registry/plan'].post.responses['200'].content['application/json'].schema.$ref.replace('#/components/schemas/', '');
    expect(doc.components.schemas[plan].properties.generation).toMatchObject({ type: 'integer' });
  });
});

describe("the SDK's apply with expectedGeneration", () => {
  it('applies onto the generation its plan was made against, and refuses once another apply came in between', async () => {
    const defs = appliedDefinitions(fx.project);
    const plan = await store.plan(editView(defs, { ttl: '5d' }), { replace: true });
    expect(plan.generation).toBe(fx.project.registry.generation());
    // A teammate's apply (a merged list: only the service changed).
    const service = defs.find((d) => d.kind === 'feature_service')!;
    const teammate = await store.apply([{ ...service, description: 'the model' }]);
    const before = history(fx.project);
    const e = await store.apply(editView(defs, { ttl: '5d' }), { replace: true, expectedGeneration: plan.generation }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ConflictError);
    expect(e).toMatchObject({ code: 'registry_changed', details: { expected_generation: plan.generation, generation: teammate.generation } });
    // A merged list is refused too (it is not merged again: the generation stays moved).
    await expect(store.apply([editView(defs, { ttl: '5d' }).find((d) => d.kind === 'feature_view')!], { expectedGeneration: plan.generation })).rejects.toMatchObject({ code: 'registry_changed' });
    expect(history(fx.project)).toEqual(before);
    expect(fx.project.registry.current().services.get('delay_service')?.description).toBe('the model');
    const applied = await store.apply([editView(defs, { ttl: '5d' }).find((d) => d.kind === 'feature_view')!], { expectedGeneration: teammate.generation });
    expect(applied.applied.map((v) => `${v.name} v${v.version}`)).toEqual(['origin_delays v2']);
    await expect(store.apply([], { expectedGeneration: -1 })).rejects.toMatchObject({ code: 'invalid_request', message: expect.stringContaining('expectedGeneration') });
    await expect(store.apply([], { expected_generation: 1 } as never)).rejects.toMatchObject({ code: 'unknown_option', message: expect.stringContaining('expectedGeneration') });
  });
});

describe('featureguard apply --expect-generation', () => {
  const cli = (...argv: string[]) => runCli(['--project', fx.dir, ...argv]);
  it('applies only onto the generation plan --json printed', async () => {
    const file = join(fx.dir, 'features', 'defs.yaml');
    writeFileSync(file, readFileSync(file, 'utf8').replace('ttl: "0"', 'ttl: 5d'));
    const plan = await cli('--json', 'plan');
    const { generation } = JSON.parse(plan.out);
    expect(generation).toBe(fx.project.registry.generation());
    // Another process applies meanwhile.
    const service = appliedDefinitions(fx.project).find((d) => d.kind === 'feature_service')!;
    const teammate = await store.apply([{ ...service, description: 'the model' }]);
    const before = history(fx.project);
    const refused = await cli('apply', '--expect-generation', String(generation));
    expect(refused.code, refused.out + refused.err).toBe(2);
    expect(refused.err).toContain(`the registry changed since generation ${generation} (it is at generation ${teammate.generation}`);
    expect(JSON.parse((await cli('--json', 'apply', '--expect-generation', String(generation))).err).error).toMatchObject({
      code: 'registry_changed',
      details: { expected_generation: generation, generation: teammate.generation },
    });
    expect(history(fx.project)).toEqual(before);
    const bad = await cli('apply', '--expect-generation', 'latest');
    expect(bad.code).toBe(2);
    expect(bad.err).toContain('--expect-generation');
    expect(history(fx.project)).toEqual(before);
    // Planned again: the plan reverts the teammate's description, as the files say.
    const again = JSON.parse((await cli('--json', 'plan')).out);
    expect(again.generation).toBe(teammate.generation);
    const applied = await cli('apply', '--expect-generation', String(again.generation));
    expect(applied.code, applied.err).toBe(0);
    expect(applied.out).toContain('feature_view origin_delays v2');
  });
});
