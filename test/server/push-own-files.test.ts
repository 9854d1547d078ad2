/**
 * A push's offline file is never written into the definitions folder or featureguard's own files (a review
 * finding: a source `features/*.yml` applied over HTTP made `POST /v1/push` write CSV as
 * `features/push-….yml`, and every later `validate`, `plan` and `apply` failed on it).
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { post, useAppFixture } from './fixture.js';

const t = useAppFixture();

/** The source and view as an earlier version accepted them (validate refuses such a source now). */
function applyOld(path: string): void {
  const r = t.fx.project.registry.current();
  t.fx.project.registry.apply([
    ...[...r.entities.values(), ...r.sources.values(), ...r.views.values(), ...r.services.values()].filter((d) => !['planted_src', 'planted'].includes(d.name)),
    { kind: 'source', name: 'planted_src', path, format: 'csv', timestamp_field: 'ts' },
    { kind: 'feature_view', name: 'planted', entities: ['airport'], source: 'planted_src', ttl: '0', features: [{ name: 'note', type: 'string' }] },
  ] as never[]);
}

describe('a push to the offline store', () => {
  it.each([
    ['the definitions folder', 'features/*.yml', /in the definitions folder 'features'/],
    ['the state folder', '.featureguard/*.csv', /inside \.featureguard, featureguard's own state/],
  ])('refuses a target in %s with 400 offline_push_unsupported, writing nothing', async (_what, path, reason) => {
    applyOld(path);
    const before = readdirSync(join(t.fx.dir, path.split('/')[0]));
    const res = await t.app.request('/v1/push', post({ view: 'planted', to: 'offline', rows: [{ origin: 'SEA', ts: '2001-01-03T00:00:00Z', note: 'x' }] }));
    const body = await res.json();
    expect(res.status, JSON.stringify(body)).toBe(400);
    expect(body.error.code).toBe('offline_push_unsupported');
    expect(body.error.message).toMatch(/cannot push to the offline store of source 'planted_src'/);
    expect(body.error.message).toMatch(reason);
    expect(readdirSync(join(t.fx.dir, path.split('/')[0]))).toEqual(before);
  });
});
