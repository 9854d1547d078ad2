/**
 * `featureguard init`: scaffold a new project from the flights example
 * (featureguard.yaml, features/, prepare.ts, package.json, .gitignore). The example ships
 * with the package (`examples/flights`). The YAML files get modelines that resolve once `npm install`
 * has linked featureguard (a dependency of the package.json written) into `node_modules`.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { InputError } from '../errors.js';
import { dependencyRange, VERSION } from '../version.js';

/** The example project shipped with the package (same depth from `src/cli` and `dist/cli`). */
export const EXAMPLE_DIR = fileURLToPath(new URL('../../examples/flights/', import.meta.url));
/** The root of this featureguard installation (its package.json, `schemas/`). */
const PACKAGE_ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** Modelines of the YAML language server, resolved through the project's `node_modules/featureguard`. */
const CONFIG_MODELINE = '# yaml-language-server: $schema=node_modules/featureguard/schemas/project.schema.json\n';
const DEFINITION_MODELINE = '# yaml-language-server: $schema=../node_modules/featureguard/schemas/definition.schema.json\n';
const NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/** What the example's prepare.ts imports, at the versions featureguard itself uses. */
const PREPARE_DEPENDENCIES = ['@duckdb/node-api', 'vega-datasets', 'tsx'] as const;

export interface InitResult {
  dir: string;
  project: string;
  /** Files written, relative to `dir`. */
  files: string[];
  /** With `force`: files of the example's names that already held other content, left as they were. */
  kept: string[];
  /**
   * The command that prepares the data: `npm run prepare-data`, or, when the package.json already has a
   * `prepare-data` script of its own (kept), the script run directly (`npx tsx prepare.mts`).
   */
  prepareCommand: string;
}

/** A valid project name from a folder name: `My Store-2` -> `my_store_2`. */
export function projectNameFor(dir: string): string {
  let name = basename(resolve(dir)).toLowerCase().replace(/[^a-z0-9_]+/g, '_').replace(/^_+|_+$/g, '').slice(0, 63);
  if (!/^[a-z_]/.test(name)) name = `_${name}`.slice(0, 63);
  return NAME.test(name) ? name : 'flights';
}

/**
 * Copy the example into `dir` (created when missing). Refuses a non-empty folder
 * unless `force`, and a featureguard project (a `featureguard.yaml`) even then. With `force`,
 * a file of the example's name that holds other content is the user's: it is kept and listed in `kept`.
 *
 * @example
 * scaffoldProject('my_store'); // { project: 'my_store', files: ['featureguard.yaml', ...] }
 */
export function scaffoldProject(dir: string, options: { name?: string; force?: boolean } = {}): InitResult {
  const target = resolve(dir);
  const project = options.name ?? projectNameFor(target);
  if (!NAME.test(project)) {
    throw new InputError(`invalid project name '${project}': use 1-63 lowercase letters, digits and underscores, starting with a letter or underscore`);
  }
  // The user's featureguard.yaml (its project name, online store, policy) is never replaced, not even with --force.
  const ownConfig = join(target, 'featureguard.yaml');
  if (existsSync(ownConfig)) {
    const named = /^project:\s*['"]?([A-Za-z0-9_]+)/m.exec(safeRead(ownConfig) ?? '')?.[1];
    throw new InputError(
      `folder ${target} already is the featureguard project${named ? ` '${named}'` : ''} (its featureguard.yaml): init creates new projects and never overwrites one, --force or not; to look at the example, init it into another folder (featureguard init ../flights-example) and copy what you need`,
      { file: ownConfig, ...(named ? { project: named } : {}) },
      'already_a_project',
    );
  }
  if (existsSync(target) && readdirSync(target).length > 0 && !options.force) {
    throw new InputError(`folder ${target} is not empty: choose an empty or new folder, or pass --force to add the example's files to it (a file of the same name with other content is kept)`);
  }
  if (!existsSync(join(EXAMPLE_DIR, 'featureguard.yaml'))) {
    throw new InputError(`the flights example is missing from this installation (${EXAMPLE_DIR})`);
  }
  mkdirSync(join(target, 'features'), { recursive: true });
  const files: string[] = [];
  const kept: string[] = [];
  // A file of the example's name is written when absent; one that holds other content is the user's and kept.
  const writeExample = (rel: string, content: string) => {
    const to = join(target, rel);
    if (existsSync(to)) {
      if (safeRead(to) !== content) kept.push(rel);
      return;
    }
    writeFileSync(to, content);
    files.push(rel);
  };
  // prepare.ts is an ES module (top-level await): in a folder whose package.json is not "type": "module" (an
  // existing CommonJS project, with --force) it is written as prepare.mts, which is a module whatever the folder.
  const pkg = join(target, 'package.json');
  const existing = existsSync(pkg) ? readPackageJson(pkg) : null;
  const script = existing !== null && existing.type !== 'module' ? 'prepare.mts' : 'prepare.ts';
  // A `prepare-data` script the package.json already has is the user's (`python etl.py`) unless it runs ours: it is
  // kept, and the next steps and featureguard.yaml then name our script's command itself, not `npm run prepare-data`.
  const ownScripts = (existing?.scripts ?? {}) as Record<string, unknown>;
  const theirs = 'prepare-data' in ownScripts && ownScripts['prepare-data'] !== `tsx ${script}`;
  const prepareCommand = theirs ? `npx tsx ${script}` : 'npm run prepare-data';
  const config = readFileSync(join(EXAMPLE_DIR, 'featureguard.yaml'), 'utf8')
    .replace(/^# yaml-language-server: .*\n/m, CONFIG_MODELINE)
    // The example's own comment names its script for the repository; a project prepares with the command init's
    // next steps print (its package.json script, or prepare.ts/.mts run directly beside a prepare-data of the user's).
    .replace(/^# Prepare the data first: .*$/m, `# Prepare the data first: ${prepareCommand}   (see "The flights example" in featureguard's README)`)
    .replace(/^project: flights$/m, `project: ${project}`);
  writeExample('featureguard.yaml', config);
  for (const f of readdirSync(join(EXAMPLE_DIR, 'features')).sort()) {
    const text = readFileSync(join(EXAMPLE_DIR, 'features', f), 'utf8');
    writeExample(`features/${f}`, /\.ya?ml$/.test(f) && !text.startsWith('# yaml-language-server:') ? `${DEFINITION_MODELINE}${text}` : text);
  }
  writeExample(script, readFileSync(join(EXAMPLE_DIR, 'prepare.ts'), 'utf8'));
  // What prepare.ts needs, and featureguard itself: the modelines' schemas, `import 'featureguard'`.
  const dependencies = {
    featureguard: featureguardDependency(target),
    ...Object.fromEntries(PREPARE_DEPENDENCIES.map((name) => [name, dependencyRange(name) ?? 'latest'])),
  };
  if (existing === null) {
    const manifest = {
      name: project.replaceAll('_', '-').replace(/^-+/, '') || 'featureguard-project',
      private: true,
      type: 'module',
      scripts: { 'prepare-data': `tsx ${script}` },
      dependencies,
    };
    writeFileSync(pkg, `${JSON.stringify(manifest, null, 2)}\n`);
    files.push('package.json');
  } else {
    // An existing project's package.json keeps everything it has; the script and the dependencies it lacks are added.
    const scripts = (existing.scripts ?? {}) as Record<string, string>;
    const deps = (existing.dependencies ?? {}) as Record<string, string>;
    const devDeps = (existing.devDependencies ?? {}) as Record<string, string>;
    const missing = Object.entries(dependencies).filter(([name]) => !(name in deps) && !(name in devDeps));
    if (!('prepare-data' in scripts) || missing.length > 0) {
      const merged = { ...existing, scripts: { ...scripts, 'prepare-data': scripts['prepare-data'] ?? `tsx ${script}` }, dependencies: { ...deps, ...Object.fromEntries(missing) } };
      writeFileSync(pkg, `${JSON.stringify(merged, null, 2)}\n`);
      files.push('package.json (merged)');
    }
  }
  const gitignore = join(target, '.gitignore');
  const ignored = existsSync(gitignore) ? readFileSync(gitignore, 'utf8') : null;
  const lines = ['data/', '.featureguard/'].filter((l) => !(ignored ?? '').split(/\r?\n/).some((x) => x.trim() === l || x.trim() === `/${l}`));
  if (lines.length > 0) {
    writeFileSync(gitignore, `${ignored === null ? '' : ignored.endsWith('\n') || ignored === '' ? ignored : `${ignored}\n`}${lines.join('\n')}\n`);
    files.push(ignored === null ? '.gitignore' : '.gitignore (merged)');
  }
  return { dir: relative(process.cwd(), target) || '.', project, files, kept, prepareCommand };
}

/** A file's text, or undefined when it cannot be read (a folder, no permission): then it is not the example's. */
function safeRead(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

/** A package.json's contents, or a clear error naming it. */
function readPackageJson(path: string): Record<string, unknown> {
  try {
    const v = JSON.parse(readFileSync(path, 'utf8')) as unknown;
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) return v as Record<string, unknown>;
  } catch {
    // reported below
  }
  throw new InputError(`${path} is not a JSON object; fix it, or init into another folder`, { file: path }, 'bad_package_json');
}

/**
 * How the project written to `target` depends on featureguard: an installed package (under a `node_modules`
 * folder: from the registry, or npx's cache, which does not last) by its version; a source checkout (this
 * repository) by a `file:` link to it, which `npm install` links offline.
 */
export function featureguardDependency(target: string, root = PACKAGE_ROOT): string {
  if (root.split(sep).includes('node_modules')) return `^${VERSION}`;
  return `file:${relative(target, root).split(sep).join('/') || '.'}`;
}
