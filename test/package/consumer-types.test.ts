/**
 * The published declarations as a user's compiler reads them: built as the package ships them (tsconfig.build.json,
 * declarations only, `stripInternal`), installed in a scratch consumer as `node_modules/featureguard`, and checked
 * with `{"module":"commonjs","strict":true}`, no `esModuleInterop`, no `skipLibCheck`. (A review's finding: a two-line
 * `import { openFeatureStore } from 'featureguard'` pulled 159 of DuckDB's .d.ts files and better-sqlite3's into the
 * user's check, 65 errors there: `store.project`'s internal `Project` and `GuardStageResult`'s module named them.)
 *
 * The public types live in type-only modules (`serving/push-types.ts`, `offline/historical-types.ts`, …) that the SDK
 * imports, apart from the modules whose functions take the Project or a DuckDB connection: the declarations the entry
 * reaches import neither DuckDB, better-sqlite3 nor the internal `Project`, and the consumer type-checks with no error
 * at all. Its `featureguard` has only the package's `dependencies` beside it (as an install gives it), so that check
 * also shows what the published types need: not `@types/better-sqlite3` (a devDependency), not `@types/node` of the
 * user's own (apache-arrow's `Table`, in the dataset results, brings the one apache-arrow depends on).
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';

const repo = resolve(import.meta.dirname, '../..');
const tsc = join(repo, 'node_modules', 'typescript', 'bin', 'tsc');

const pkgJson = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')) as { dependencies: Record<string, string>; devDependencies: Record<string, string> };

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'fg-consumer-types-'));
  const pkg = join(dir, 'pkg');
  execFileSync(process.execPath, [tsc, '-p', join(repo, 'tsconfig.build.json'), '--emitDeclarationOnly', '--outDir', join(pkg, 'dist')], { stdio: 'pipe' });
  copyFileSync(join(repo, 'package.json'), join(pkg, 'package.json'));
  // The package's dependencies only, as an install puts them beside it (their own dependencies resolve from the
  // checkout's node_modules, where the links lead): no devDependency, so no @types/node or @types/better-sqlite3.
  for (const name of Object.keys(pkgJson.dependencies)) {
    mkdirSync(dirname(join(pkg, 'node_modules', name)), { recursive: true });
    symlinkSync(realpathSync(join(repo, 'node_modules', name)), join(pkg, 'node_modules', name));
  }
  const app = join(dir, 'app');
  mkdirSync(join(app, 'node_modules'), { recursive: true });
  symlinkSync(pkg, join(app, 'node_modules', 'featureguard'));
  writeFileSync(join(app, 'package.json'), '{ "type": "commonjs" }\n');
  writeFileSync(join(app, 'tsconfig.json'), JSON.stringify({ compilerOptions: { module: 'commonjs', target: 'es2022', strict: true, noEmit: true }, files: ['index.ts'] }));
  writeFileSync(join(app, 'index.ts'), [
    "import { defineSource, openFeatureStore, type FeatureStore, type GuardStageResult, type ProjectInfo } from 'featureguard';",
    'export async function root(dir: string): Promise<string> {',
    '  const store: FeatureStore = await openFeatureStore(dir);',
    '  const info: ProjectInfo = store.projectInfo;',
    '  // @ts-expect-error the internal project is not in the published declarations',
    '  void store.project;',
    '  return info.root + info.stateDir;',
    '}',
    "export const verdict = (g: GuardStageResult): 'pass' | 'warn' | 'block' => g.verdict;",
    "export const flights = defineSource({ name: 'flights', path: 'data/flights.parquet', timestamp_field: 'dep_time' });",
    '// @ts-expect-error a source is a path, a table or a query: the published defineSource refuses two',
    "export const both = defineSource({ name: 'flights', path: 'data/flights.parquet', query: 'SELECT 1', timestamp_field: 'dep_time' });",
    '',
  ].join('\n'));
  // `featureguard/stats` and `featureguard/signature` under the legacy node10 resolution `"module": "commonjs"` implies,
  // which reads no `exports`: `typesVersions` maps them.
  const legacy = join(dir, 'legacy');
  mkdirSync(join(legacy, 'node_modules'), { recursive: true });
  symlinkSync(pkg, join(legacy, 'node_modules', 'featureguard'));
  // No @types/node: `verifySignature` takes a string or a Uint8Array (a Buffer is one), named without Node's types.
  writeFileSync(join(legacy, 'tsconfig.json'), JSON.stringify({ compilerOptions: { module: 'commonjs', target: 'es2022', strict: true, noEmit: true }, files: ['index.ts'] }));
  writeFileSync(join(legacy, 'index.ts'), [
    "import { ks2samp } from 'featureguard/stats';",
    "import { verifySignature, SIGNATURE_HEADER } from 'featureguard/signature';",
    'export const p: number = ks2samp([1, 2, 3], [2, 3, 4]).pvalue;',
    "export const ok: boolean = verifySignature('{}', 'sha256=00', 'k') && verifySignature(new Uint8Array([123, 125]), 'sha256=00', 'k');",
    'export const header: string = SIGNATURE_HEADER;',
    '',
  ].join('\n'));
}, 180_000);
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** A declaration file's module specifiers (imports and re-exports). */
const importsOf = (file: string): string[] => [...readFileSync(file, 'utf8').matchAll(/(?:from|import\()\s*'([^']+)'/g)].map((m) => m[1]);

/** Names DuckDB's or better-sqlite3's types, or the internal modules whose declarations do. */
const internal = (spec: string): boolean =>
  spec.startsWith('@duckdb/') || spec === 'better-sqlite3' || /(^|\/)(project|state\/state-db|offline\/engine|guards\/stage)\.js$/.test(spec);

/** `tsc -p dir --listFiles`: the files the check read, and its error lines. */
function check(project: string): { files: string[]; errors: string[] } {
  let out = '';
  try {
    out = execFileSync(process.execPath, [tsc, '-p', project, '--listFiles'], { encoding: 'utf8', stdio: 'pipe' });
  } catch (e) {
    out = (e as { stdout: string }).stdout;
  }
  const lines = out.split('\n').filter((l) => l !== '');
  return { files: lines.filter((l) => !/error TS\d+/.test(l) && !l.startsWith(' ')), errors: lines.filter((l) => /error TS\d+/.test(l)) };
}

it('publishes the SDK\'s types without the internal Project, DuckDB or better-sqlite3: the consumer type-checks with no error', () => {
  const dist = join(dir, 'pkg', 'dist');
  // The modules the public types come from: what the entry and the FeatureStore interface import.
  const entry = [join(dist, 'sdk', 'index.d.ts'), join(dist, 'sdk', 'feature-store.d.ts')];
  const publicFiles = new Set(entry.flatMap((f) => importsOf(f).filter((s) => s.startsWith('.')).map((s) => resolve(dirname(f), s.replace(/\.js$/, '.d.ts')))));
  for (const f of entry) publicFiles.add(f);
  const leaking = [...publicFiles].filter((f) => existsSync(f) && importsOf(f).some(internal)).map((f) => relative(dist, f)).sort();
  expect(leaking).toEqual([]);

  const { files, errors } = check(join(dir, 'app'));
  // The consumer's own file compiles (store.projectInfo is typed, store.project is not published), and so does
  // everything it reads, featureguard's declarations and apache-arrow's with Node's types included.
  expect(errors).toEqual([]);
  // Every declaration file of featureguard the check read (not only those the entry imports) is clean.
  const ours = files.filter((f) => f.startsWith(realpathSync(dist)) || f.startsWith(dist));
  expect(ours.length).toBeGreaterThan(10);
  expect(ours.filter((f) => importsOf(f).some(internal)).map((f) => relative(dist, f))).toEqual([]);
  // Nothing of DuckDB or better-sqlite3 is read: their types are no dependency of a user's build, and
  // @types/better-sqlite3 is a devDependency (the check above ran without it beside the package).
  expect(files.filter((f) => /\/(@duckdb|better-sqlite3|@types\/better-sqlite3)\//.test(f))).toEqual([]);
  expect(pkgJson.dependencies['@types/better-sqlite3']).toBeUndefined();
  expect(pkgJson.devDependencies['@types/better-sqlite3']).toBeDefined();
}, 180_000);

it('resolves the types of featureguard/stats and featureguard/signature under node10 resolution (typesVersions), without Node\'s types', () => {
  const { files, errors } = check(join(dir, 'legacy'));
  expect(errors).toEqual([]);
  expect(files.filter((f) => f.includes('/@types/node/'))).toEqual([]);
}, 120_000);
