/**
 * Sources may not read featureguard's own files (featureguard.yaml, the definitions folder, `.featureguard/`,
 * dot-files and dot-folders): refused at validate and apply, naming the file, the path and the reason, never
 * quoting the file (a review finding: an admin key over HTTP applied a source over featureguard.yaml or `.env`,
 * and the apply's "did you mean" quoted a Slack hook URL and a webhook secret; a read key's dataset quoted a line).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkSources } from '../../src/definitions/source-check.js';
import { validateDefinitions } from '../../src/definitions/loader.js';
import { DefinitionError } from '../../src/errors.js';
import { createApp, type FeatureguardApp } from '../../src/server/app.js';
import { createFixture, post, type Fixture } from '../server/fixture.js';

const SECRET = 'XyZsecretTokenPart';
let fx: Fixture;
let app: FeatureguardApp;

beforeAll(async () => {
  fx = await createFixture();
  // What a real project keeps beside its data: hook URLs in featureguard.yaml, secrets in .env.
  writeFileSync(join(fx.dir, 'featureguard.yaml'), `project: servertest\nonline_store: {type: sqlite}\nquality:\n  schema: block\n# url: "https://hooks.slack.com/services/T0AAA/B0BBB/${SECRET}"\n`);
  writeFileSync(join(fx.dir, '.env'), `FG_WEBHOOK_SECRET=${SECRET}\n`);
  mkdirSync(join(fx.dir, 'data', 'csv'), { recursive: true });
  writeFileSync(join(fx.dir, 'data', 'csv', 'ok.csv'), 'origin,event_timestamp\nSEA,2001-01-01T00:00:00Z\n');
  writeFileSync(join(fx.dir, 'data', 'csv', '.hidden.csv'), `origin,event_timestamp\n${SECRET},2001-01-01T00:00:00Z\n`);
  app = createApp(fx.project);
});
afterAll(async () => {
  await fx?.close();
});

const source = (name: string, extra: Record<string, unknown>) =>
  Object.fromEntries(Object.entries({ kind: 'source', name, format: 'csv', timestamp_field: 'url', ...extra }).filter(([, v]) => v !== undefined));

function problemsOf(defs: unknown[]): { file: string; path: string; message: string }[] {
  try {
    validateDefinitions(defs, fx.project.sourceRoots, 'definitions');
  } catch (e) {
    if (e instanceof DefinitionError) return e.problems;
    throw e;
  }
  return [];
}

describe('validate refuses sources over featureguard\'s own files', () => {
  it.each([
    ['featureguard.yaml', { path: 'featureguard.yaml' }, /'featureguard\.yaml' is featureguard\.yaml, featureguard's configuration/],
    ['a dot-file', { path: '.env' }, /'\.env' is a dot-file or in a dot-folder/],
    ['a dot-file through ..', { path: 'data/../.env' }, /'data\/\.\.\/\.env' is a dot-file or in a dot-folder/],
    ['the state database', { database: '.featureguard/state.db', table: 'runs', format: undefined }, /inside \.featureguard, featureguard's own state/],
    ['a definition file', { path: 'features/defs.yaml' }, /is a \.yaml file in the definitions folder 'features': validate, plan and apply would read it as definitions/],
    ['a glob in the definitions folder', { path: 'features/*.yml' }, /'features\/\*\.yml' reads from the folder 'features', which is in the definitions folder 'features'/],
    ['a glob matching featureguard.yaml', { path: '*' }, /'\*' matches 'featureguard\.yaml', which is featureguard\.yaml/],
    ['a glob matching definition files', { path: '*/*.yaml' }, /matches 'features\/definitions\.yaml', which is a \.yaml file in the definitions folder/],
    ['a glob naming dot-files', { path: 'data/csv/.*.csv' }, /names dot-files or dot-folders \('\.\*\.csv'\)/],
  ])('%s', (_what, extra, reason) => {
    const problems = problemsOf([source('cfg', extra)]);
    const key = 'database' in extra ? '/database' : '/path';
    expect(problems).toEqual([expect.objectContaining({ file: 'definitions[0]', path: key, message: expect.stringMatching(reason) })]);
    expect(problems[0].message).toMatch(/sources may not read featureguard's own files/);
  });

  it('accepts a data file and a glob over data', () => {
    expect(problemsOf([source('ok', { path: 'data/csv/ok.csv' }), source('ok2', { path: 'data/delays/*.parquet', format: 'parquet' })])).toEqual([]);
  });

  it('refuses field_mapping keys that differ only in letter case (DuckDB reads both from one column)', () => {
    const problems = problemsOf([source('m', { path: 'data/csv/ok.csv', timestamp_field: 'event_timestamp', field_mapping: { origin: 'k', ORIGIN: 'f' } })]);
    expect(problems).toEqual([expect.objectContaining({ path: '/field_mapping/ORIGIN', message: expect.stringContaining(`'origin' and 'ORIGIN' differ only in letter case`) })]);
  });
});

describe('reads and hints never reach an own file', () => {
  it('validate names a dot-file a glob matches, without reading it', async () => {
    const problems = await checkSources(fx.project.sourceRoots, [source('g', { path: 'data/csv/*.csv', timestamp_field: 'nope' }) as never]);
    expect(problems).toEqual([expect.objectContaining({ path: '/path', message: expect.stringContaining(`'data/csv/.hidden.csv' (matched by 'data/csv/*.csv') is a dot-file`) })]);
    expect(JSON.stringify(problems)).not.toContain(SECRET);
  });

  it('a missing file\'s "did you mean" never names an own file', async () => {
    const problems = await checkSources(fx.project.sourceRoots, [source('near', { path: 'featureguard.yml' }) as never]);
    expect(problems).toEqual([expect.objectContaining({ message: expect.stringContaining(`file 'featureguard.yml' does not exist`) })]);
    expect(problems[0].message).not.toContain('did you mean');
  });

  it('POST /v1/registry/apply answers 422 naming the file, the path and the reason, and quotes nothing of the file', async () => {
    const res = await app.request('/v1/registry/apply', post({ definitions: [source('cfg', { path: 'featureguard.yaml' }), source('dotenv', { path: '.env', timestamp_field: 'FG_WEBHOOK_SECRET' })] }));
    const text = await res.text();
    expect(res.status).toBe(422);
    expect(text).not.toContain(SECRET);
    const { error } = JSON.parse(text);
    expect(error.code).toBe('invalid_definition');
    expect(error.details.problems).toEqual([
      expect.objectContaining({ file: 'definitions[0]', path: '/path', message: expect.stringContaining("'featureguard.yaml' is featureguard.yaml, featureguard's configuration") }),
      expect.objectContaining({ file: 'definitions[1]', path: '/path', message: expect.stringContaining("'.env' is a dot-file") }),
    ]);
    expect(fx.project.registry.current().sources.has('cfg')).toBe(false);
  });
});

describe('a source applied before the refusal', () => {
  it('is not read: a dataset over a glob that matches a dot-file fails naming the file, without its content', async () => {
    const defs = [
      { kind: 'entity', name: 'airport2', join_keys: [{ name: 'origin', type: 'string' }] },
      source('old_glob', { path: 'data/csv/*.csv', timestamp_field: 'event_timestamp' }),
      { kind: 'feature_view', name: 'old_view', entities: ['airport2'], source: 'old_glob', ttl: '0', features: [{ name: 'origin_copy', type: 'string' }] },
    ];
    // As an earlier version accepted it (checkSources would refuse it now; the registry keeps what was applied).
    fx.project.registry.apply([...fx.project.registry.current().entities.values(), ...fx.project.registry.current().sources.values(), ...fx.project.registry.current().views.values(), ...fx.project.registry.current().services.values(), ...(defs as never[])]);
    const res = await app.request('/v1/datasets', post({ features: ['old_view:origin_copy'], entity_rows: [{ origin: 'SEA', event_timestamp: '2001-01-02T00:00:00Z' }], format: 'csv' }));
    const text = await res.text();
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
    expect(text).not.toContain(SECRET);
    expect(text).toContain("'data/csv/.hidden.csv' (matched by 'data/csv/*.csv') is a dot-file");
  });
});
