/**
 * The project `init` writes has working editor support: every YAML file starts with a yaml-language-server
 * modeline whose `$schema` resolves, once `npm install` has linked the `featureguard` dependency the scaffold's
 * package.json names (a `file:` link to this installation, offline), to a schema that accepts the file.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { parseAllDocuments } from 'yaml';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/temp-dir.js';
import { runCli } from './cli-io.js';
import { featureguardDependency } from '../../src/cli/init-project.js';
import { VERSION } from '../../src/version.js';

const addFormats = addFormatsModule as unknown as typeof addFormatsModule.default;

describe('init: editor support', () => {
  it('writes modelines that resolve through node_modules/featureguard, and package.json depends on featureguard', async () => {
    const target = join(tempDir('fg-init-editor-'), 'store');
    expect((await runCli(['init', target])).code).toBe(0);
    const pkg = JSON.parse(readFileSync(join(target, 'package.json'), 'utf8'));
    const spec = String(pkg.dependencies.featureguard);
    // A file: link to this very installation (the repository the tests run in): npm links it, no registry needed.
    expect(spec).toMatch(/^file:/);
    expect(resolve(target, spec.slice('file:'.length))).toBe(process.cwd());
    // What `npm install` makes of a file: dependency on a folder: a link.
    mkdirSync(join(target, 'node_modules'));
    symlinkSync(resolve(target, spec.slice('file:'.length)), join(target, 'node_modules', 'featureguard'), 'dir');
    // An editor's validation: Ajv 2020, unknown formats ignored.
    const ajv = new Ajv2020({ strict: false, allowUnionTypes: true, discriminator: true, logger: false });
    addFormats(ajv);
    const schemas = join(target, 'node_modules', 'featureguard', 'schemas');
    for (const f of readdirSync(schemas).filter((x) => x.endsWith('.schema.json'))) ajv.addSchema(JSON.parse(readFileSync(join(schemas, f), 'utf8')));
    const files = ['featureguard.yaml', ...readdirSync(join(target, 'features')).map((f) => `features/${f}`)];
    expect(files.length).toBeGreaterThan(4);
    for (const rel of files) {
      const text = readFileSync(join(target, rel), 'utf8');
      const modeline = /^# yaml-language-server: \$schema=(\S+)\n/.exec(text);
      expect(modeline, rel).not.toBeNull();
      const schemaFile = resolve(dirname(join(target, rel)), modeline![1]);
      expect(existsSync(schemaFile), `${rel}: ${modeline![1]}`).toBe(true);
      const validate = ajv.getSchema(JSON.parse(readFileSync(schemaFile, 'utf8')).$id)!;
      for (const doc of parseAllDocuments(text)) {
        expect([rel, validate(doc.toJS()), validate.errors ?? null]).toEqual([rel, true, null]);
      }
    }
  });

  it('an installed featureguard (under node_modules: the registry, npx\'s passing cache) is a version range, not a link', () => {
    expect(featureguardDependency('/home/u/shop', '/home/u/.npm/_npx/1f2e/node_modules/featureguard/')).toBe(`^${VERSION}`);
    expect(featureguardDependency('/home/u/shop', '/usr/lib/node_modules/featureguard/')).toBe(`^${VERSION}`);
    expect(featureguardDependency('/home/u/shop', '/home/u/src/featureguard/')).toBe('file:../src/featureguard');
  });
});
