/**
 * `POST /v1/registry/plan` and `/apply` warn about alerts of featureguard.yaml left filtering on a view or service
 * the request renames or removes: the alert would stop firing without a word (only `validate` said so).
 */
import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Definition } from '../../src/definitions/types.js';
import { openProject, type Project } from '../../src/project.js';
import { createApp, type FeatureguardApp } from '../../src/server/app.js';
import { createFixture, json, post, type Fixture } from './fixture.js';

let fx: Fixture;
let project: Project;
let app: FeatureguardApp;

beforeAll(async () => {
  fx = await createFixture();
  appendFileSync(join(fx.dir, 'featureguard.yaml'), 'alerts:\n  - {name: retrain, url: "http://127.0.0.1:8/hook", views: [origin_delays], services: [delay_service]}\n');
  project = openProject(fx.dir);
  app = createApp(project);
});
afterAll(async () => {
  await project?.close();
  await fx?.close();
});

/** The applied definitions with the view renamed `origin_delays_v2` (and the service following it). */
function renamed(): Definition[] {
  const set = project.registry.current();
  return [...set.entities.values(), ...set.sources.values(), ...set.views.values(), ...set.services.values()].map((d) =>
    d.kind === 'feature_view' ? { ...d, name: 'origin_delays_v2' } : d.kind === 'feature_service' ? { ...d, features: ['origin_delays_v2'] } : d,
  );
}

const warning = {
  file: 'featureguard.yaml', path: '/alerts/0/views/0',
  message: "alert 'retrain' filters on feature view 'origin_delays', which is not defined: it never fires for it (did you mean 'origin_delays_v2'?)",
};

describe('registry plan and apply over HTTP with alerts filtering on views', () => {
  it('say nothing while every name an alert filters on is defined', async () => {
    const set = project.registry.current();
    const same = [...set.entities.values(), ...set.sources.values(), ...set.views.values(), ...set.services.values()];
    expect((await json(await app.request('/v1/registry/plan', post({ definitions: same })))).alert_problems).toEqual([]);
  });

  it('warn in the plan and the apply when a view an alert filters on is renamed away', async () => {
    const plan = await json(await app.request('/v1/registry/plan', post({ definitions: renamed() })));
    expect(plan.hasChanges).toBe(true);
    expect(plan.alert_problems).toEqual([warning]);
    // A rename removes the old name: said with `allow_removals`.
    const res = await app.request('/v1/registry/apply', post({ definitions: renamed(), allow_breaking: true, allow_removals: true }));
    const applied = await json(res);
    expect(res.status, JSON.stringify(applied)).toBe(200);
    expect(applied.applied.map((a: { name: string }) => a.name).sort()).toEqual(['delay_service', 'origin_delays', 'origin_delays_v2']);
    expect(applied.alert_problems).toEqual([warning]);
  });
});
