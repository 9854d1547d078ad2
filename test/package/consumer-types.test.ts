/**
 * The published declarations as a user's compiler reads them: built as the package ships them (tsconfig.build.json,
 * declarations only, `stripInternal`), installed in a scratch consumer as `node_modules/featureguard`, and checked
 * with `{"module":"commonjs","strict":true}`, no `esModuleInterop`, no `skipLibCheck`. (A review's finding: a two-line
 * `import { openFeatureStore } from 'featureguard'` pulled 159 of DuckDB's .d.ts files and better-sqlite3's into the
 * user's check, 65 errors there: `store.project`'s internal `Project` and `GuardStageResult`'s module named them.)
 *
 * Some public types still live in modules whose declarations name DuckDB or the internal `Project` (LEAKING below):
 * each needs its public types in a type-only module the SDK imports instead. The list may only shrink; once empty the
 * consumer must type-check with no error at all.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';

const repo = resolve(import.meta.dirname, '../..');
const tsc = join(repo, 'node_modules', 'typescript', 'bin', 'tsc');

/** Declaration files the SDK entry imports (or that import them) that still import DuckDB, better-sqlite3 or `project.d.ts`. */
const LEAKING = [
  'offline/dataset-output.d.ts', // DatasetFormat beside DuckDB's writers
  'offline/entity-input.d.ts', // EntityInput beside loadEntityInput(conn: DuckDBConnection)
  'offline/historical.d.ts', // the request and result of getHistoricalFeatures beside functions taking the Project
  'offline/manifest.d.ts', // DatasetManifest, ManifestOutput, ManifestCheckResult beside DuckDB's fingerprinting
  'offline/verify-dataset.d.ts', // DatasetVerification beside verifyDataset(project)
];

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'fg-consumer-types-'));
  const pkg = join(dir, 'pkg');
  execFileSync(process.execPath, [tsc, '-p', join(repo, 'tsconfig.build.json'), '--emitDeclarationOnly', '--outDir', join(pkg, 'dist')], { stdio: 'pipe' });
  copyFileSync(join(repo, 'package.json'), join(pkg, 'package.json'));
  symlinkSync(realpathSync(join(repo, 'node_modules')), join(pkg, 'node_modules'));
  const app = join(dir, 'app');
  mkdirSync(join(app, 'node_modules'), { recursive: true });
  symlinkSync(pkg, join(app, 'node_modules', 'featureguard'));
  writeFileSync(join(app, 'package.json'), '{ "type": "commonjs" }\n');
  writeFileSync(join(app, 'tsconfig.json'), JSON.stringify({ compilerOptions: { module: 'commonjs', target: 'es2022', strict: true, noEmit: true }, files: ['index.ts'] }));
  writeFileSync(join(app, 'index.ts'), [
    "import { openFeatureStore, type FeatureStore, type GuardStageResult, type ProjectInfo } from 'featureguard';",
    'export async function root(dir: string): Promise<string> {',
    '  const store: FeatureStore = await openFeatureStore(dir);',
    '  const info: ProjectInfo = store.projectInfo;',
    '  // @ts-expect-error the internal project is not in the published declarations',
    '  void store.project;',
    '  return info.root + info.stateDir;',
    '}',
    "export const verdict = (g: GuardStageResult): 'pass' | 'warn' | 'block' => g.verdict;",
    '',
  ].join('\n'));
  // `featureguard/stats` and `featureguard/signature` under the legacy node10 resolution `"module": "commonjs"` implies,
  // which reads no `exports`: `typesVersions` maps them.
  const legacy = join(dir, 'legacy');
  mkdirSync(join(legacy, 'node_modules'), { recursive: true });
  symlinkSync(pkg, join(legacy, 'node_modules', 'featureguard'));
  // A receiver in TypeScript has Node's types (`verifySignature` takes a Buffer too).
  mkdirSync(join(legacy, 'node_modules', '@types'));
  symlinkSync(realpathSync(join(repo, 'node_modules', '@types', 'node')), join(legacy, 'node_modules', '@types', 'node'));
  writeFileSync(join(legacy, 'tsconfig.json'), JSON.stringify({ compilerOptions: { module: 'commonjs', target: 'es2022', strict: true, noEmit: true }, files: ['index.ts'] }));
  writeFileSync(join(legacy, 'index.ts'), [
    "import { ks2samp } from 'featureguard/stats';",
    "import { verifySignature, SIGNATURE_HEADER } from 'featureguard/signature';",
    'export const p: number = ks2samp([1, 2, 3], [2, 3, 4]).pvalue;',
    "export const ok: boolean = verifySignature('{}', 'sha256=00', 'k');",
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

it('publishes store.projectInfo and GuardStageResult without the internal Project or DuckDB, and names what still leaks', () => {
  const dist = join(dir, 'pkg', 'dist');
  // The modules the public types come from: what the entry and the FeatureStore interface import.
  const entry = [join(dist, 'sdk', 'index.d.ts'), join(dist, 'sdk', 'feature-store.d.ts')];
  const publicFiles = new Set(entry.flatMap((f) => importsOf(f).filter((s) => s.startsWith('.')).map((s) => resolve(dirname(f), s.replace(/\.js$/, '.d.ts')))));
  for (const f of entry) publicFiles.add(f);
  const leaking = [...publicFiles].filter((f) => existsSync(f) && importsOf(f).some(internal)).map((f) => relative(dist, f)).sort();
  expect(leaking).toEqual(LEAKING);

  let out = '';
  try {
    execFileSync(process.execPath, [tsc, '-p', join(dir, 'app')], { encoding: 'utf8', stdio: 'pipe' });
  } catch (e) {
    out = (e as { stdout: string }).stdout;
  }
  const errors = out.split('\n').filter((l) => /error TS\d+/.test(l));
  // The consumer's own file compiles: store.projectInfo is typed, store.project is not published.
  expect(errors.filter((l) => l.startsWith('index.ts'))).toEqual([]);
  // featureguard's own declarations hold no error without esModuleInterop (state-db.d.ts default-imported better-sqlite3).
  expect(errors.filter((l) => l.includes('/pkg/dist/'))).toEqual([]);
  // This checkout holds two @types/node (20 for featureguard, 25 nested under apache-arrow), which conflict whatever
  // featureguard publishes; a user's install has the one apache-arrow resolves.
  if (LEAKING.length === 0) expect(errors.filter((l) => !l.includes('/@types/node/'))).toEqual([]);
}, 180_000);

it('resolves the types of featureguard/stats and featureguard/signature under node10 resolution (typesVersions)', () => {
  let out = '';
  try {
    execFileSync(process.execPath, [tsc, '-p', join(dir, 'legacy')], { encoding: 'utf8', stdio: 'pipe' });
  } catch (e) {
    out = (e as { stdout: string }).stdout;
  }
  expect(out.split('\n').filter((l) => /error TS\d+/.test(l) && !l.includes('/@types/node/'))).toEqual([]);
}, 120_000);
