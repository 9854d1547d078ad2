import { expect, it } from 'vitest';
import { loggedPath } from './logged-path.js';

it('logs a key in a path as its id, and leaves other paths as they are', () => {
  const secret = 'vgBA8'.padEnd(43, 'x');
  expect(loggedPath(`/v1/keys/fg_00a99b6961_${secret}`)).toBe('/v1/keys/fg_00a99b6961_…');
  expect(loggedPath(`/v1/runs/fg_00a99b6961_${secret}/lineage`)).toBe('/v1/runs/fg_00a99b6961_…/lineage');
  expect(loggedPath(`/v1/keys/fg_00a99b6961_vgB`)).toBe('/v1/keys/fg_00a99b6961_…'); // a key cut short too
  expect(loggedPath('/v1/keys/00a99b6961')).toBe('/v1/keys/00a99b6961');
  expect(loggedPath('/v1/registry/feature_views/fg_daily')).toBe('/v1/registry/feature_views/fg_daily');
});
