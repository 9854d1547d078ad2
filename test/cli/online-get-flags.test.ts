/**
 * `online get` without --features or --service, or with both: the error names the CLI's flags. It named the HTTP
 * body's fields (`features`, `feature_service`), and the CLI has no `--feature-service`.
 */
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './cli-io.js';
import { writeSmallProject } from './small-project.js';

let dir: string;
beforeAll(async () => {
  dir = writeSmallProject('fg-online-get-flags-');
  expect((await runCli(['--project', dir, 'apply'])).code).toBe(0);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('online get names its flags', () => {
  it('neither --features nor --service', async () => {
    const r = await runCli(['--project', dir, 'online', 'get', '--entity', 'origin=SEA']);
    expect(r.code).toBe(2);
    expect(r.err).toBe('error: give --features (view:feature references) or --service (a feature service)');
  });

  it('both --features and --service', async () => {
    const r = await runCli(['--project', dir, '--json', 'online', 'get', '--service', 'svc', '--features', 'stats:n', '--entity', 'origin=SEA']);
    expect(r.code).toBe(2);
    const { error } = JSON.parse(r.err);
    expect(error.message).toBe('give --features or --service, not both');
    expect(error.message).not.toContain('feature_service');
  });
});
