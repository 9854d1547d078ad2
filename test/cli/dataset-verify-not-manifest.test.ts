/**
 * `dataset verify` given the dataset file instead of its manifest says so and names the manifest beside it; it
 * printed JSON.parse's message, which quotes the file's first bytes (`"PAR1\x15\0…"`: control characters written
 * to the terminal). Text from the manifest (its run id) is escaped in the text output too.
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UNSAFE_TEXT } from '../../src/text-safety.js';
import { runCli } from './cli-io.js';
import { writeSmallProject } from './small-project.js';

let dir: string;
let out: string;
beforeAll(async () => {
  dir = writeSmallProject('fg-verify-not-manifest-');
  expect((await runCli(['--project', dir, 'apply'])).code).toBe(0);
  writeFileSync(join(dir, 'entities.csv'), 'origin,event_timestamp\nSEA,2001-01-02T00:00:00Z\nSFO,2001-01-02T05:00:00Z\n');
  out = join(dir, 'train.parquet');
  const b = await runCli(['--project', dir, 'dataset', 'build', '--entities', join(dir, 'entities.csv'), '--features', 'stats:n', '--out', out]);
  expect(b.err).toBe('');
  expect(b.code).toBe(0);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('dataset verify given a file that is no manifest', () => {
  it('the Parquet output: says it is not a manifest and names the one beside it, quoting none of its bytes', async () => {
    const r = await runCli(['--project', dir, 'dataset', 'verify', out]);
    expect(r.code).toBe(2);
    expect(r.err).toContain(`${out} is not a dataset manifest (not JSON): give ${out}.manifest.json`);
    expect(r.err).not.toContain('PAR1');
    expect(UNSAFE_TEXT.test(r.err)).toBe(false);
    const json = await runCli(['--project', dir, '--json', 'dataset', 'verify', out]);
    expect(JSON.parse(json.err).error).toMatchObject({ code: 'bad_manifest', details: { path: out, manifest: `${out}.manifest.json` } });
  });

  it('a file with no manifest beside it: says what to give', async () => {
    const r = await runCli(['--project', dir, 'dataset', 'verify', join(dir, 'entities.csv')]);
    expect(r.code).toBe(2);
    expect(r.err).toContain('is not a dataset manifest (not JSON): give the FILE.manifest.json a dataset build wrote beside FILE');
    expect(r.err).not.toContain('SEA');
  });

  it('text from the manifest (a run id with an escape sequence) is escaped in the text output', async () => {
    const path = `${out}.manifest.json`;
    const m = JSON.parse(readFileSync(path, 'utf8'));
    writeFileSync(path, JSON.stringify({ ...m, run_id: `${m.run_id}\u001b[2J` }));
    const r = await runCli(['--project', dir, 'dataset', 'verify', path]);
    expect(r.out).toContain('\\u001b[2J');
    expect(UNSAFE_TEXT.test(r.out)).toBe(false);
  });
});
