/**
 * Who applied each version: over HTTP the API key's id and name (never the key), from the CLI or the SDK the OS
 * user and host; in `GET /v1/registry/{collection}/{name}/versions` and in `describe`'s versions list.
 */
import { writeFileSync, readFileSync } from 'node:fs';
import { hostname, userInfo } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { keyStoreFor } from '../../src/auth/keys.js';
import { runCli } from '../cli/cli-io.js';
import { appliedDefinitions, bearer, json, post, useAppFixture } from './fixture.js';

const t = useAppFixture();

describe('who applied a version', () => {
  it('records the API key over HTTP and the OS user and host locally, and shows them', async () => {
    const { key, info } = keyStoreFor(t.fx.project.state).create('admin', 'ci-bot');
    const defs = appliedDefinitions(t.fx.project).map((d) => (d.kind === 'feature_view' ? { ...d, description: 'over HTTP' } : d));
    expect((await t.app.request('/v1/registry/apply', post({ definitions: defs }, bearer(key)))).status).toBe(200);
    // Then from the CLI (the files: another description).
    const file = join(t.fx.dir, 'features', 'defs.yaml');
    writeFileSync(file, readFileSync(file, 'utf8').replace('name: origin_delays\n', 'name: origin_delays\ndescription: from the CLI\n'));
    expect((await runCli(['--project', t.fx.dir, 'apply'])).code).toBe(0);

    const local = { user: userInfo().username, host: hostname() };
    const versions = await json(await t.app.request('/v1/registry/feature_views/origin_delays/versions', { headers: bearer(key) }));
    expect(versions.items.map((v: { applied_by: unknown }) => v.applied_by)).toEqual([
      { source: 'sdk', ...local }, // the fixture applied through the registry in this process
      { source: 'api', key_id: info.id, key_name: 'ci-bot' },
      { source: 'cli', ...local },
    ]);
    expect(JSON.stringify(versions)).not.toContain(key);
    const one = await json(await t.app.request('/v1/registry/feature_views/origin_delays/versions/2', { headers: bearer(key) }));
    expect(one.applied_by).toEqual({ source: 'api', key_id: info.id, key_name: 'ci-bot' });

    const text = (await runCli(['--project', t.fx.dir, 'describe', 'origin_delays'])).out;
    expect(text).toMatch(new RegExp(`\\n {2}v2 .* by api \\(key ci-bot, ${info.id}\\)\\n`));
    expect(text).toMatch(new RegExp(`\\n {2}v3 .* by cli ${local.user}@${local.host.replace(/[.]/g, '\\.')}`));
    const described = JSON.parse((await runCli(['--project', t.fx.dir, '--json', 'describe', 'origin_delays'])).out);
    expect(described.applied_by).toEqual({ source: 'cli', ...local });
    expect(described.versions[1].applied_by).toEqual({ source: 'api', key_id: info.id, key_name: 'ci-bot' });
  });
});
