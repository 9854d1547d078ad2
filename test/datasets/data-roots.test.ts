/**
 * `data_roots` in featureguard.yaml: sources may read files under folders outside
 * the project (a shared data mount), and nowhere else. End to end through the SDK:
 * validate, apply, materialize, online read, dataset build, push to the offline
 * store (which appends a file into the data root); and the refusals.
 */
import { mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkSources } from '../../src/definitions/source-check.js';
import { loadDefinitions } from '../../src/definitions/loader.js';
import { DefinitionError } from '../../src/errors.js';
import { openOfflineEngine } from '../../src/offline/engine.js';
import { openFeatureStore, type FeatureStore } from '../../src/sdk/index.js';

let base: string;
let dir: string;
let lake: string;
let fs: FeatureStore;

const defs = (path: string) => `kind: entity
name: airport
join_keys: [{name: origin, type: string}]
---
kind: source
name: hourly
path: ${path}
timestamp_field: hour
---
kind: feature_view
name: airport_hourly
entities: [airport]
source: hourly
online: true
features:
  - {name: delay, type: float64}
`;

beforeAll(async () => {
  base = mkdtempSync(join(tmpdir(), 'fg-data-roots-'));
  dir = join(base, 'project');
  lake = join(base, 'lake');
  mkdirSync(join(dir, 'features'), { recursive: true });
  mkdirSync(join(lake, 'hourly'), { recursive: true });
  // Relative to the project root, as a team would write it for a mount beside the checkout.
  writeFileSync(join(dir, 'featureguard.yaml'), 'project: lake_demo\ndata_roots: [../lake]\n');
  writeFileSync(join(dir, 'features', 'defs.yaml'), defs(`${lake}/hourly/*.parquet`));
  const engine = await openOfflineEngine();
  await engine.run(`COPY (SELECT origin, hour, delay_text::DOUBLE AS delay FROM (VALUES ('SEA', TIMESTAMP '2024-01-01 01:00:00', 1.5), ('SEA', TIMESTAMP '2024-01-01 02:00:00', 2.5), ('SFO', TIMESTAMP '2024-01-01 01:00:00', 7.0)) t(origin, hour, delay_text))
    TO '${join(lake, 'hourly', 'part-0.parquet')}' (FORMAT parquet)`);
  fs = await openFeatureStore(dir);
});

afterAll(async () => {
  await fs?.close();
  rmSync(base, { recursive: true, force: true });
});

describe('data_roots', () => {
  it('validates, applies, materializes, serves, builds a dataset and pushes offline from a source under a data root', async () => {
    expect(await checkSources(fs.project.sourceRoots, loadDefinitions(dir, fs.project.config))).toEqual([]);
    await fs.apply();
    const mat = await fs.materialize({ start: '2024-01-01T00:00:00Z', end: '2024-01-02T00:00:00Z' });
    expect(mat.map((v) => v.status)).toEqual(['success']);
    const online = await fs.getOnlineFeatures({ features: ['airport_hourly:delay'], entities: { origin: ['SEA', 'SFO'] } });
    expect(online.results[1].values).toEqual([2.5, 7]);

    const ds = await fs.getHistoricalFeatures({
      entities: [{ origin: 'SEA', event_timestamp: '2024-01-01T01:30:00Z' }, { origin: 'SFO', event_timestamp: '2024-01-01T00:30:00Z' }],
      features: ['airport_hourly:delay'],
    });
    expect([...ds.table!.getChild('delay')!].map((v) => v)).toEqual([1.5, null]);

    const pushed = await fs.push({ view: 'airport_hourly', rows: [{ origin: 'LAX', event_timestamp: '2024-01-01T03:00:00Z', delay: 4.25 }], to: 'offline' });
    expect(pushed.status).not.toBe('blocked');
    expect(pushed.file!.startsWith(join(lake, 'hourly'))).toBe(true);
    const files = readdirSync(join(lake, 'hourly'));
    expect(files.filter((f) => f.startsWith('push-') && f.endsWith('.parquet'))).toHaveLength(1);
    // The appended file is read as part of the source.
    const again = await fs.getHistoricalFeatures({ entities: [{ origin: 'LAX', event_timestamp: '2024-01-01T03:00:00Z' }], features: ['airport_hourly:delay'] });
    expect([...again.table!.getChild('delay')!]).toEqual([4.25]);
  });

  it('a dataset manifest fingerprints the files the build read, not the glob listed again (a file lands in the folder during the build)', async () => {
    await fs.apply();
    const late = join(lake, 'hourly', 'late.parquet');
    const engine = await openOfflineEngine();
    const out = join(base, 'late-ds.parquet');
    // Enough entity rows that loading them takes a while: the file lands while they load, before or after
    // the build lists the glob's files (the manifest must agree with the build either way).
    const entities = join(base, 'late-entities.parquet');
    await engine.run(`COPY (SELECT CASE WHEN i = 0 THEN 'BOS' ELSE 'SEA' END AS origin, TIMESTAMP '2024-01-01 05:00:00' AS event_timestamp FROM range(2000000) t(i)) TO '${entities}' (FORMAT parquet)`);
    let landed: Promise<unknown> = Promise.resolve();
    try {
      const ds = await fs.getHistoricalFeatures({
        entities,
        features: ['airport_hourly:delay'],
        out,
        onProgress: (e) => {
          if (e.phase !== 'entities') return;
          landed = new Promise((r) => setTimeout(r, 30)).then(() =>
            engine.run(`COPY (SELECT 'BOS' AS origin, TIMESTAMP '2024-01-01 04:00:00' AS hour, 9.5::DOUBLE AS delay) TO '${late}' (FORMAT parquet)`));
        },
      });
      await landed;
      const bos = (await engine.all(`SELECT delay FROM read_parquet('${out}') LIMIT 1`))[0].delay;
      const files = (ds.manifest.sources[0].fingerprint as { files: { path: string }[] }).files.map((f) => f.path);
      expect(files.some((f) => f.endsWith('part-0.parquet'))).toBe(true);
      // The late file is in the manifest exactly when the build read it.
      expect({ read: bos === 9.5, listed: files.some((f) => f.endsWith('late.parquet')) }).toEqual({ read: bos === 9.5, listed: bos === 9.5 });
      if (bos !== 9.5) {
        // The folder holds more now than the dataset was built from: verify says so.
        const verified = await fs.verifyDataset(`${out}.manifest.json`);
        expect(verified.reproducible).toBe(false);
        expect(JSON.stringify(verified.differences)).toContain('hourly');
      }
    } finally {
      rmSync(late, { force: true });
      rmSync(entities, { force: true });
    }
  });

  it('refuses a path outside the project root and every data root, naming both', async () => {
    const elsewhere = mkdtempSync(join(tmpdir(), 'fg-elsewhere-'));
    try {
      writeFileSync(join(dir, 'features', 'defs.yaml'), defs(`${elsewhere}/x.parquet`));
      const err = (() => {
        try {
          loadDefinitions(dir, fs.project.config);
        } catch (e) {
          return e as DefinitionError;
        }
        throw new Error('expected a DefinitionError');
      })();
      expect(err).toBeInstanceOf(DefinitionError);
      expect(err.problems[0]).toMatchObject({ file: 'features/defs.yaml', path: '/path' });
      expect(err.problems[0].message).toContain(`is outside the project root and every folder of data_roots (${lake})`);
    } finally {
      writeFileSync(join(dir, 'features', 'defs.yaml'), defs(`${lake}/hourly/*.parquet`));
      rmSync(elsewhere, { recursive: true, force: true });
    }
  });

  it("refuses a data root's dot-files and dot-folders as it refuses the project's (.env, .private/)", () => {
    // Before: only paths under the project root were checked, so a source could read a data root's .env, and
    // a did-you-mean hint quote its first line.
    mkdirSync(join(lake, '.private'), { recursive: true });
    writeFileSync(join(lake, '.env'), 'SLACK_HOOK_URL=https://hooks.example/secret\n');
    try {
      for (const [path, dot] of [[`${lake}/.env`, '.env'], [`${lake}/.private/*.parquet`, '.private']]) {
        writeFileSync(join(dir, 'features', 'defs.yaml'), defs(path));
        let err: DefinitionError | undefined;
        try {
          loadDefinitions(dir, fs.project.config);
        } catch (e) {
          err = e as DefinitionError;
        }
        expect(err, path).toBeInstanceOf(DefinitionError);
        expect(err!.problems[0]).toMatchObject({ file: 'features/defs.yaml', path: '/path' });
        expect(err!.problems[0].message).toContain(`'${dot}'`);
      }
    } finally {
      writeFileSync(join(dir, 'features', 'defs.yaml'), defs(`${lake}/hourly/*.parquet`));
      rmSync(join(lake, '.private'), { recursive: true, force: true });
      rmSync(join(lake, '.env'), { force: true });
    }
  });

  it('a push to the offline store refuses a folder in a data root that a symbolic link leads out of every root', async () => {
    const outside = mkdtempSync(join(tmpdir(), 'fg-outside-'));
    try {
      symlinkSync(outside, join(lake, 'linked'));
      const loaded = loadDefinitions(dir, fs.project.config);
      await fs.apply([
        ...loaded,
        { kind: 'source', name: 'linked', path: `${lake}/linked/*.parquet`, timestamp_field: 'hour' },
        { kind: 'feature_view', name: 'linked_view', entities: ['airport'], source: 'linked', online: false, features: [{ name: 'delay', type: 'float64' }] },
      ]);
      await expect(fs.push({ view: 'linked_view', rows: [{ origin: 'SEA', event_timestamp: '2024-01-01T05:00:00Z', delay: 1 }], to: 'offline' })).rejects.toMatchObject({
        code: 'offline_push_unsupported', message: expect.stringMatching(/resolves \(through a symbolic link\) to a place outside the project root and every folder of data_roots/),
      });
      expect(readdirSync(outside)).toEqual([]);
      // A glob whose folders do not exist yet below the link: refused before any folder is made out there.
      await fs.apply([
        ...loaded,
        { kind: 'source', name: 'linked', path: `${lake}/linked/new/deeper/*.parquet`, timestamp_field: 'hour' },
        { kind: 'feature_view', name: 'linked_view', entities: ['airport'], source: 'linked', online: false, features: [{ name: 'delay', type: 'float64' }] },
      ]);
      await expect(fs.push({ view: 'linked_view', rows: [{ origin: 'SEA', event_timestamp: '2024-01-01T05:00:00Z', delay: 1 }], to: 'offline' })).rejects.toMatchObject({ code: 'offline_push_unsupported' });
      expect(readdirSync(outside)).toEqual([]);
      await fs.apply(loaded);
    } finally {
      rmSync(join(lake, 'linked'), { force: true });
      rmSync(outside, { recursive: true, force: true });
    }
  });

  it('a glob source refuses, each time it is read, a file linked in after the apply from outside every root', async () => {
    const secret = mkdtempSync(join(tmpdir(), 'fg-secret-'));
    mkdirSync(join(lake, 'csv'));
    try {
      writeFileSync(join(lake, 'csv', 'a.csv'), 'origin,hour,delay\nSEA,2024-01-01T00:00:00Z,1\n');
      writeFileSync(join(secret, 'secret.csv'), 'origin,hour,delay\nSECRET,2024-01-01T00:00:00Z,42\n');
      symlinkSync(join(secret, 'secret.csv'), join(lake, 'csv', 'notes.txt')); // matched by no source glob: harmless
      const loaded = loadDefinitions(dir, fs.project.config);
      await fs.apply([
        ...loaded,
        { kind: 'source', name: 'lake_csv', path: `${lake}/csv/*.csv`, timestamp_field: 'hour' },
        { kind: 'feature_view', name: 'lake_csv_view', entities: ['airport'], source: 'lake_csv', online: true, features: [{ name: 'delay', type: 'float64' }] },
      ]);
      const window = { start: '2024-01-01T00:00:00Z', end: '2024-01-02T00:00:00Z', views: ['lake_csv_view'] };
      expect((await fs.materialize(window)).map((r) => r.status)).toEqual(['success']);
      symlinkSync(join(secret, 'secret.csv'), join(lake, 'csv', 'b.csv'));
      const refused = await fs.materialize(window).then((r) => r.map((v) => [v.status, v.run?.message]), (e: Error) => [['thrown', e.message]]);
      expect(refused[0][0]).not.toBe('success');
      expect(String(refused[0][1])).toMatch(/b\.csv' \(matched by '.*\/csv\/\*\.csv'\) resolves \(through a symbolic link\) to a place outside the project root and every folder of data_roots/);
      const online = await fs.getOnlineFeatures({ features: ['lake_csv_view:delay'], entities: { origin: ['SECRET'] } });
      expect(online.results[1].statuses).toEqual(['NOT_FOUND']);
      await fs.apply(loaded);
    } finally {
      rmSync(join(lake, 'csv'), { recursive: true, force: true });
      rmSync(secret, { recursive: true, force: true });
    }
  });

  it('refuses a symbolic link in a data root that leads out of every root', async () => {
    const secret = mkdtempSync(join(tmpdir(), 'fg-secret-'));
    try {
      writeFileSync(join(secret, 'x.csv'), 'origin,hour,delay\nSEA,2024-01-01T00:00:00Z,1\n');
      symlinkSync(join(secret, 'x.csv'), join(lake, 'link.csv'));
      const problems = await checkSources(fs.project.sourceRoots, [
        ...loadDefinitions(dir, fs.project.config).filter((d) => d.kind !== 'source' && d.kind !== 'feature_view'),
        { kind: 'source', name: 'linked', path: join(lake, 'link.csv'), timestamp_field: 'hour' },
      ]);
      expect(problems).toHaveLength(1);
      expect(problems[0].message).toMatch(/resolves \(through a symbolic link\) to a file outside the project root and every folder of data_roots/);
    } finally {
      rmSync(join(lake, 'link.csv'), { force: true });
      rmSync(secret, { recursive: true, force: true });
    }
  });
});
