/**
 * `POST /v1/registry/apply` removes applied objects only when the body says so (`allow_removals: true`): a body
 * that leaves objects out (a client posting only the view it changed) is refused 409 `removals_not_allowed`,
 * listing them, and changes nothing — neither the registry nor the online values. The CLI `apply` (a project
 * directory is the complete set) removes with `--allow-removals` only (exit 2 without, listing them), and the SDK's
 * `apply(list, { replace: true })` still removes.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import type { Definition } from '../../src/definitions/types.js';
import type { Project } from '../../src/project.js';
import { applyDefinitions } from '../../src/registry/apply-definitions.js';
import { openFeatureStore, type FeatureStore } from '../../src/sdk/index.js';
import { createApp } from '../../src/server/app.js';
import { appliedDefinitions, createFixture, ENTITY_AND_SOURCE_DEFS, json, post, READ_SEA, type Fixture } from './fixture.js';

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

const allDefs = appliedDefinitions;
const entityAndSource = (defs: readonly Definition[]) => defs.filter((d) => d.kind === 'entity' || d.kind === 'source');
/** The registry as a client sees it: its generation and each object's current version. */
const registryState = (project: Project) => ({
  generation: project.registry.generation(),
  versions: [...project.registry.currentVersions().values()].map((v) => `${v.kind}/${v.name} v${v.version}`).sort(),
});

async function materializeDay(): Promise<void> {
  const [r] = await store.materialize({ views: ['origin_delays'], start: '2001-01-01', end: '2001-01-02' });
  expect(r.status).toBe('success');
}

describe('POST /v1/registry/apply and removals', () => {
  it('refuses a body that leaves applied objects out, listing them, and changes nothing', async () => {
    const app = createApp(fx.project);
    const defs = allDefs(fx.project);
    await materializeDay();
    const before = registryState(fx.project);
    expect(before.versions).toHaveLength(4);

    // Only the entity, the source and the view it changed: the service would be removed.
    const view = defs.find((d) => d.kind === 'feature_view')!;
    const onlyView = [...entityAndSource(defs), { ...view, description: 'delays per origin' }];
    const res = await app.request('/v1/registry/apply', post({ definitions: onlyView }));
    const body = await json(res);
    expect(res.status, JSON.stringify(body)).toBe(409);
    expect(body.error).toMatchObject({
      code: 'removals_not_allowed',
      message: expect.stringContaining('feature_service/delay_service'),
      details: { removals: [{ kind: 'feature_service', name: 'delay_service' }] },
    });
    expect(body.error.message).toMatch(/1 applied object/);
    expect(body.error.message).toContain('post the complete set of definitions with allow_removals: true to remove them, or include them to keep them');

    // Even with allow_breaking: removing the view is refused too, and its online values stay.
    const partial = await app.request('/v1/registry/apply', post({ definitions: entityAndSource(defs), allow_breaking: true }));
    const refused = await json(partial);
    expect(partial.status, JSON.stringify(refused)).toBe(409);
    expect(refused.error.code).toBe('removals_not_allowed');
    expect(refused.error.message).toMatch(/2 applied objects/);
    expect(refused.error.details.removals).toEqual(expect.arrayContaining([
      { kind: 'feature_view', name: 'origin_delays' },
      { kind: 'feature_service', name: 'delay_service' },
    ]));
    expect(refused.error.details.removals).toHaveLength(2);

    expect(registryState(fx.project)).toEqual(before);
    expect(fx.project.registry.current().views.get('origin_delays')?.description).toBeUndefined();
    expect((await json(await app.request('/v1/online-features', post(READ_SEA)))).results[1]).toMatchObject({ values: [23], statuses: ['PRESENT'] });
    expect(await (await fx.project.onlineStore()).readMany('origin_delays', ['dep_delay'], [['SEA']])).toEqual([expect.anything()]);
  });

  it('says at once when the plan also needs allow_breaking (a removal and a retyped feature)', async () => {
    const app = createApp(fx.project);
    const defs = allDefs(fx.project);
    // The service left out (a removal) and a feature's type changed (a breaking change).
    const renamed = defs.filter((d) => d.kind !== 'feature_service').map((d) => (d.kind === 'feature_view'
      ? { ...d, features: d.features.map((f) => (f.name === 'flights' ? { ...f, type: 'float64' as const } : f)) } : d));
    const plan = await json(await app.request('/v1/registry/plan', post({ definitions: renamed })));
    expect(plan.breaking).toBe(true);
    const res = await app.request('/v1/registry/apply', post({ definitions: renamed }));
    const body = await json(res);
    expect(res.status, JSON.stringify(body)).toBe(409);
    expect(body.error.code).toBe('removals_not_allowed');
    expect(body.error.message).toContain('the plan also has breaking changes, which need allow_breaking: true as well');
    expect(body.error.details.breaking.length).toBeGreaterThan(0);
    // With allow_breaking already given, the removal alone is named.
    const withBreaking = await json(await app.request('/v1/registry/apply', post({ definitions: renamed, allow_breaking: true })));
    expect(withBreaking.error.message).not.toContain('breaking');
    expect(withBreaking.error.details.breaking).toBeUndefined();
    const both = await app.request('/v1/registry/apply', post({ definitions: renamed, allow_breaking: true, allow_removals: true }));
    expect(both.status, JSON.stringify(await json(both.clone()))).toBe(200);
  });

  it('applies and removes with allow_removals: true', async () => {
    const app = createApp(fx.project);
    const defs = allDefs(fx.project);
    await materializeDay();
    const res = await app.request('/v1/registry/apply', post({ definitions: entityAndSource(defs), allow_breaking: true, allow_removals: true }));
    const body = await json(res);
    expect(res.status, JSON.stringify(body)).toBe(200);
    expect(body.applied.map((a: { kind: string; name: string }) => `${a.kind}/${a.name}`).sort()).toEqual(['feature_service/delay_service', 'feature_view/origin_delays']);
    expect(body.dropped).toEqual(['origin_delays']);
    expect(fx.project.registry.current().views.has('origin_delays')).toBe(false);
    expect(await (await fx.project.onlineStore()).readMany('origin_delays', ['dep_delay'], [['SEA']])).toEqual([undefined]);
  });

  it('applies a body that removes nothing without the flag (and the flag changes nothing then)', async () => {
    const app = createApp(fx.project);
    const defs = allDefs(fx.project);
    const changed = defs.map((d) => (d.kind === 'feature_view' ? { ...d, description: 'delays per origin' } : d));
    const res = await app.request('/v1/registry/apply', post({ definitions: changed }));
    const body = await json(res);
    expect(res.status, JSON.stringify(body)).toBe(200);
    expect(body.applied.map((a: { name: string; version: number }) => [a.name, a.version])).toEqual([['origin_delays', 2]]);
    const again = await app.request('/v1/registry/apply', post({ definitions: changed, allow_removals: false }));
    expect(again.status).toBe(200);
    expect((await json(again)).applied).toEqual([]);
  });

  it('answers 400 invalid_request for an allow_removals that is not a boolean', async () => {
    const app = createApp(fx.project);
    const before = registryState(fx.project);
    const res = await app.request('/v1/registry/apply', post({ definitions: entityAndSource(allDefs(fx.project)), allow_removals: 'yes' }));
    const body = await json(res);
    expect(res.status, JSON.stringify(body)).toBe(400);
    expect(body.error.code).toBe('invalid_request');
    expect(body.error.message).toMatch(/allow_removals/);
    expect(registryState(fx.project)).toEqual(before);
  });

  it('documents allow_removals and the 409 in /openapi.json', async () => {
    const doc = await json(await createApp(fx.project).request('/openapi.json'));
    const op = doc.paths['/v1/registry/apply'].post;
    const ref: string = op.requestBody.content['application/json'].schema.$ref;
    const schema = doc.components.schemas[ref.replace('#/components/schemas/', '')];
    expect(schema.properties.allow_removals).toMatchObject({ type: 'boolean', default: false });
    expect(op.responses['409'].description).toMatch(/removals_not_allowed/);
  });
});

describe('callers that mean the complete set remove when asked to', () => {
  const cli = async (...argv: string[]) => {
    let [out, err] = ['', ''];
    const code = await main(['--project', fx.dir, ...argv], { out: (t) => (out += `${t}\n`), err: (t) => (err += `${t}\n`), isTty: false });
    return { code, out, err };
  };

  it('featureguard apply refuses to remove what the project directory no longer defines (exit 2) until --allow-removals', async () => {
    await materializeDay();
    const before = registryState(fx.project);
    writeFileSync(join(fx.dir, 'features', 'defs.yaml'), ENTITY_AND_SOURCE_DEFS);
    const refused = await cli('apply', '--allow-breaking');
    expect(refused.code, refused.out + refused.err).toBe(2);
    expect(refused.out).toContain('- feature_view origin_delays'); // the plan, printed before
    expect(refused.err).toContain("error: refusing to remove 2 applied objects the project's files no longer define (pass --allow-removals to remove them, dropping the online values of removed views, or restore their definitions to keep them):");
    expect(refused.err).toContain('  - feature_view origin_delays\n  - feature_service delay_service');
    expect(refused.err).not.toContain('allow_removals');
    const json = await cli('--json', 'apply');
    expect(json.code).toBe(2);
    expect(JSON.parse(json.err).error).toMatchObject({
      code: 'removals_not_allowed',
      message: expect.stringContaining('which need --allow-breaking as well'),
      details: { removals: [{ kind: 'feature_view', name: 'origin_delays' }, { kind: 'feature_service', name: 'delay_service' }], breaking: expect.arrayContaining(["feature 'origin_delays:dep_delay' removed with its view but feature service delay_service uses it"]) },
    });
    // Nothing removed, nothing dropped.
    expect(registryState(fx.project)).toEqual(before);
    expect(await (await fx.project.onlineStore()).readMany('origin_delays', ['dep_delay'], [['SEA']])).toEqual([expect.anything()]);

    const applied = await cli('apply', '--allow-breaking', '--allow-removals');
    expect(applied.code, `${applied.out}\n${applied.err}`).toBe(0);
    expect(applied.out).toContain('Applied 2 changes');
    expect(applied.out).toContain('Dropped the online values of origin_delays (removed).');
    expect(await (await fx.project.onlineStore()).readMany('origin_delays', ['dep_delay'], [['SEA']])).toEqual([undefined]);
  });

  it('featureguard apply without removals needs no flag', async () => {
    const file = join(fx.dir, 'features', 'defs.yaml');
    writeFileSync(file, readFileSync(file, 'utf8').replace('name: delay_service', 'name: delay_service\ndescription: the model'));
    const r = await cli('apply');
    expect(r.code, r.err).toBe(0);
    expect(r.out).toContain('Applied 1 change: feature_service delay_service v2.');
  });

  it("the SDK's apply with replace: true and with remove removes; applyDefinitions alone refuses", async () => {
    const defs = allDefs(fx.project);
    const noService = defs.filter((d) => d.kind !== 'feature_service');
    await expect(applyDefinitions(fx.project, noService)).rejects.toMatchObject({ code: 'removals_not_allowed', status: 409 });
    expect((await applyDefinitions(fx.project, noService, { allowRemovals: true })).applied.map((a) => a.name)).toEqual(['delay_service']);
    await store.apply(defs);
    expect((await store.apply(noService, { replace: true })).applied.map((a) => a.name)).toEqual(['delay_service']);
    await store.apply(defs);
    expect((await store.apply([], { remove: ['feature_service:delay_service'] })).applied.map((a) => a.name)).toEqual(['delay_service']);
  });
});
