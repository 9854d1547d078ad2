/**
 * An empty value for an option with a number parser (`serve --grace "$GRACE"` with GRACE unset) is refused as every
 * other empty value is (exit 2, empty_option): `Number('')` is 0, so serve started with a grace time of 0 s and cut
 * open requests at once on SIGTERM. Blank text (`--grace " "`) is not a number either.
 */
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './cli-io.js';
import { writeSmallProject } from './small-project.js';

let dir: string;
beforeAll(() => {
  dir = writeSmallProject('fg-empty-number-');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('an empty value for a number option', () => {
  it('serve --grace "" is refused (exit 2, empty_option), before any server starts', async () => {
    const r = await runCli(['--project', dir, '--json', 'serve', '--port', '0', '--grace', '']);
    expect(r.code).toBe(2);
    expect(JSON.parse(r.err).error).toMatchObject({ code: 'empty_option', details: { option: '--grace' } });
  });

  it('serve --grace " " and --grace= are refused too', async () => {
    const blank = await runCli(['--project', dir, 'serve', '--port', '0', '--grace', ' ']);
    expect(blank.code).toBe(2);
    expect(blank.err).toContain('--grace must be a number of seconds');
    const eq = await runCli(['--project', dir, 'serve', '--port', '0', '--grace=']);
    expect(eq.code).toBe(2);
    expect(eq.err).toContain('--grace is empty');
  });

  it('serve --port "" is refused as empty, not as out of range', async () => {
    const r = await runCli(['--project', dir, 'serve', '--port', '']);
    expect(r.code).toBe(2);
    expect(r.err).toContain('--port is empty');
  });
});
