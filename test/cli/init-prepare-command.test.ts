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
});
