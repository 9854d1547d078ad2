/**
 * `init --force` never replaces what the user wrote: an existing featureguard project (its featureguard.yaml) is
 * refused, --force or not, and in a folder that is no project yet a file of the example's name holding other
 * content is kept and listed.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/temp-dir.js';
import { runCli } from './cli-io.js';

describe('init into a folder holding the user\'s own files', () => {
  it('refuses an existing project even with --force, naming it, and changes none of its files', async () => {
    const dir = join(tempDir('fg-init-own-'), 'shop');
    mkdirSync(join(dir, 'features'), { recursive: true });
    const config = 'project: my_shop\nonline_store: {type: redis, url: "redis://127.0.0.1:6379", key_prefix: "shop:"}\n';
    const entities = 'kind: entity\nname: customer\njoin_keys: [{name: customer_id, type: string}]\n';
    writeFileSync(join(dir, 'featureguard.yaml'), config);
    writeFileSync(join(dir, 'features', 'entities.yaml'), entities);
    const r = await runCli(['init', dir, '--force']);
    expect([r.code, r.err]).toEqual([2, expect.stringContaining("already is the featureguard project 'my_shop'")]);
    expect(r.err).toContain('init it into another folder');
    expect(readFileSync(join(dir, 'featureguard.yaml'), 'utf8')).toBe(config);
    expect(readFileSync(join(dir, 'features', 'entities.yaml'), 'utf8')).toBe(entities);
    const json = await runCli(['--json', 'init', dir, '--force']);
    expect(JSON.parse(json.err).error).toMatchObject({ code: 'already_a_project', details: { project: 'my_shop' } });
  });

  it('--force in a folder that is no project keeps (and lists) files of the example\'s names with other content', async () => {
    const dir = tempDir('fg-init-keep-');
    mkdirSync(join(dir, 'features'));
    const mine = 'kind: entity\nname: customer\njoin_keys: [{name: customer_id, type: string}]\n';
    writeFileSync(join(dir, 'features', 'entities.yaml'), mine);
    writeFileSync(join(dir, 'prepare.ts'), 'console.log("my own script");\n');
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'mine', type: 'module' }));
    const refused = await runCli(['init', dir]);
    expect([refused.code, refused.err]).toEqual([2, expect.stringContaining('is not empty: choose an empty or new folder, or pass --force to add the example\'s files to it (a file of the same name with other content is kept)')]);
    const r = await runCli(['init', dir, '--force']);
    expect(r.code, r.err).toBe(0);
    expect(readFileSync(join(dir, 'features', 'entities.yaml'), 'utf8')).toBe(mine);
    expect(readFileSync(join(dir, 'prepare.ts'), 'utf8')).toBe('console.log("my own script");\n');
    expect(r.out).toMatch(/^Kept your own features\/entities\.yaml, prepare\.ts: they differ from the example's/m);
    expect(r.out).not.toMatch(/Created project .*features\/entities\.yaml/);
    // The example's other files are written.
    expect(readFileSync(join(dir, 'featureguard.yaml'), 'utf8')).toMatch(/^project: /m);
    expect(readFileSync(join(dir, 'features', 'airport_hourly.yaml'), 'utf8')).toContain('airport_hourly');
    const json = await runCli(['--json', 'init', join(tempDir('fg-init-json-'), 'p')]);
    expect(JSON.parse(json.out)).toMatchObject({ kept: [] });
  });
});
