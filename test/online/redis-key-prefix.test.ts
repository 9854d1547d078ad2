/**
 * An online_store.key_prefix with `{` or `}` (a Redis habit: `{fg}:` to keep a project's keys on one slot) is
 * refused by `validate` naming the file and line, where it passed and then failed every command that opened the
 * store (a review finding): the store's keys carry their own hash tag, the entity key.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../cli/cli-io.js';
import { writeSmallProject } from '../cli/small-project.js';

function project(prefix: string): string {
  const dir = writeSmallProject('fg-redis-prefix-');
  writeFileSync(join(dir, 'featureguard.yaml'), `project: small\ndefinitions: features\nonline_store:\n  type: redis\n  url: "redis://127.0.0.1:1/0"\n  key_prefix: "${prefix}"\n`);
  return dir;
}

describe('online_store.key_prefix', () => {
  it.each(['{fg}:', 'fg}:', 'fg{'])("'%s' is refused by validate with file:line, exit 2", async (prefix) => {
    const res = await runCli(['--project', project(prefix), 'validate']);
    expect(res.code).toBe(2);
    expect(res.err).toMatch(/featureguard\.yaml:6:\d+.*\/online_store\/key_prefix.*must not contain '\{' or '\}'/);
  });

  it('a prefix without braces passes validate (which does not connect)', async () => {
    const res = await runCli(['--project', project('fg:'), 'validate']);
    expect(res.err).not.toMatch(/key_prefix/);
    expect(res.code).toBe(0);
  });
});
