/**
 * A project `init` writes names one command to prepare its data: the `npm run prepare-data` of init's next steps
 * and the README, whose script runs prepare.ts or prepare.mts (whichever init wrote), not `npx tsx prepare.ts`,
 * which names a file an existing CommonJS project does not have.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/temp-dir.js';
import { runCli } from './cli-io.js';

const commands = (text: string) => [...text.matchAll(/(npm run [\w-]+|npx tsx \S+|tsx \S+)/g)].map((m) => m[1]);

describe('init: the command that prepares the data', () => {
  it('featureguard.yaml names the command the next steps print, and package.json runs the script init wrote', async () => {
    for (const commonJs of [false, true]) {
      const dir = join(tempDir('fg-init-prep-'), 'store');
      if (commonJs) {
        mkdirSync(dir);
        writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'app' }));
      }
      const r = await runCli(['init', dir, ...(commonJs ? ['--force'] : [])]);
      expect(r.code, r.err).toBe(0);
      const nextSteps = commands(r.out.slice(r.out.indexOf('Next steps:')));
      expect(nextSteps).toEqual(['npm run prepare-data']);
      const config = readFileSync(join(dir, 'featureguard.yaml'), 'utf8');
      expect(commands(config.split('\n').filter((l) => l.startsWith('#')).join('\n'))).toEqual(nextSteps);
      const script = commonJs ? 'prepare.mts' : 'prepare.ts';
      expect(JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).scripts['prepare-data']).toBe(`tsx ${script}`);
    }
  });

  it('beside a prepare-data script of the user\'s own, both name the command that runs init\'s script, and the user\'s is kept', async () => {
    for (const type of [undefined, 'module']) {
      const dir = join(tempDir('fg-init-prep-own-'), 'etl');
      mkdirSync(dir);
      const own = { name: 'etl', ...(type ? { type } : {}), scripts: { 'prepare-data': 'python etl.py' } };
      writeFileSync(join(dir, 'package.json'), JSON.stringify(own));
      const r = await runCli(['init', dir, '--force']);
      expect(r.code, r.err).toBe(0);
      const script = type === 'module' ? 'prepare.ts' : 'prepare.mts';
      const nextSteps = commands(r.out.slice(r.out.indexOf('Next steps:')));
      expect(nextSteps).toEqual([`npx tsx ${script}`]);
      expect(r.out).toContain("your package.json's prepare-data script is your own");
      const config = readFileSync(join(dir, 'featureguard.yaml'), 'utf8');
      expect(commands(config.split('\n').filter((l) => l.startsWith('#')).join('\n'))).toEqual(nextSteps);
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
      expect(pkg.scripts).toEqual({ 'prepare-data': 'python etl.py' });
      expect(Object.keys(pkg.dependencies)).toContain('tsx');
      const json = await runCli(['--json', 'init', join(tempDir('fg-init-prep-json-'), 'p')]);
      expect(JSON.parse(json.out)).toMatchObject({ prepareCommand: 'npm run prepare-data' });
    }
  });

  it('a prepare-data script that already runs init\'s script (init run again) is still named by npm run', async () => {
    const dir = join(tempDir('fg-init-prep-again-'), 'again');
    mkdirSync(dir);
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'again', scripts: { 'prepare-data': 'tsx prepare.mts' } }));
    const r = await runCli(['init', dir, '--force']);
    expect(r.code, r.err).toBe(0);
    expect(commands(r.out.slice(r.out.indexOf('Next steps:')))).toEqual(['npm run prepare-data']);
    expect(readFileSync(join(dir, 'featureguard.yaml'), 'utf8')).toContain('# Prepare the data first: npm run prepare-data ');
  });
});
