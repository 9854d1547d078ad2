import { readFileSync } from 'node:fs';

interface PackageJson {
  version: string;
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
}

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as PackageJson;

/** The package version, read once from package.json. */
export const VERSION: string = pkg.version;

/**
 * The version range featureguard itself depends on `name` with (`^1.5.6-r.1`), for the package.json
 * `init` writes: a range of our own choosing could match no release (every `@duckdb/node-api` release
 * is a pre-release, which `^1.5.0` never matches).
 */
export function dependencyRange(name: string): string | undefined {
  return pkg.dependencies?.[name] ?? pkg.devDependencies?.[name];
}
