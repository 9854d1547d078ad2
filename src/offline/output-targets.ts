/**
 * Where a dataset build may write. Refused before any work is done: an output
 * (or its manifest) that is one of the project's source files or matched by a
 * source's glob (the next build or materialization would read the dataset as
 * source rows, or the source would be gone), featureguard's state or SQLite
 * online store, the entity input itself, or a folder; a folder that cannot be created or written is named with the reason.
 *
 * @example
 * checkOutputTargets(project, ['/p/data/train.parquet'], '/p/data/entities.parquet');
 */
import { accessSync, constants, existsSync, realpathSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { isGlob } from '../definitions/source-location.js';
import { InputError } from '../errors.js';
import type { Project } from '../project.js';

/** A DuckDB-style glob as a regular expression over whole paths (`*` and `?` stay within a folder, `**` crosses them). */
export function globRegExp(pattern: string): RegExp {
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i];
    if (ch === '*' && pattern[i + 1] === '*') {
      // `**/` also matches no folder at all (data/**/*.parquet takes data/x.parquet).
      if (pattern[i + 2] === '/') {
        re += '(?:.*/)?';
        i += 2;
      } else {
        re += '.*';
        i++;
      }
    } else if (ch === '*') re += '[^/]*';
    else if (ch === '?') re += '[^/]';
    else if (ch === '[') {
      const end = pattern.indexOf(']', i + 1);
      if (end < 0) re += '\\[';
      else {
        re += `[${pattern.slice(i + 1, end).replace(/^!/, '^').replace(/\\/g, '\\\\')}]`;
        i = end;
      }
    } else if (ch === '{') {
      const end = pattern.indexOf('}', i + 1);
      if (end < 0) re += '\\{';
      else {
        re += `(?:${pattern.slice(i + 1, end).split(',').map((a) => a.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|')})`;
        i = end;
      }
    } else re += ch.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

/** The path with symbolic links resolved as far as it exists. */
function real(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    const parent = dirname(path);
    return parent === path ? path : resolve(real(parent), path.slice(parent.length + 1));
  }
}

/** Throws `InputError` (exit 2, HTTP 400) when a build must not write to one of `targets` (absolute paths). */
export function checkOutputTargets(project: Project, targets: readonly string[], entityFile?: string): void {
  const sources = [...project.registry.current().sources.values()];
  const stateDir = real(project.stateDir);
  const store = project.config.online_store;
  // A SQLite online store configured outside the state folder is featureguard's own too.
  const onlineFile = store?.type === 'sqlite' && store.path !== undefined ? real(resolve(project.root, store.path)) : undefined;
  for (const target of targets) {
    for (const path of [target, `${target}.manifest.json`]) {
      const p = real(path);
      if (p === stateDir || p.startsWith(`${stateDir}/`)) {
        throw new InputError(`the output ${path} is inside ${project.stateDir}, featureguard's own state; write the dataset elsewhere`, { path }, 'bad_output');
      }
      if (p === onlineFile || (onlineFile !== undefined && [`${onlineFile}-wal`, `${onlineFile}-shm`, `${onlineFile}-journal`].includes(p))) {
        throw new InputError(`the output ${path} is the online store's database (online_store.path); write the dataset elsewhere`, { path }, 'bad_output');
      }
      if (existsSync(path) && statSync(path).isDirectory()) throw new InputError(`the output ${path} is a folder; give a file name`, { path }, 'bad_output');
      if (entityFile !== undefined && p === real(entityFile)) {
        throw new InputError(`the output ${path} is the entity input itself; write the dataset to another file`, { path }, 'bad_output');
      }
      for (const s of sources) {
        const file = s.path ?? s.database;
        if (file === undefined) continue;
        const abs = resolve(project.root, file);
        const hit = s.path !== undefined && isGlob(s.path) ? globRegExp(abs).test(path) || globRegExp(real(dirname(abs)) + abs.slice(dirname(abs).length)).test(p) : p === real(abs);
        if (hit) {
          throw new InputError(
            `the output ${path} is ${isGlob(file) ? `matched by the path '${file}'` : 'the file'} of source '${s.name}': writing it would ${isGlob(file) ? 'add the dataset to that source' : 'replace the source'}; write the dataset elsewhere`,
            { path, source: s.name },
            'bad_output',
          );
        }
      }
    }
    // The folder is created when the build writes (a blocked build creates nothing): check its nearest existing ancestor.
    let dir = dirname(target);
    while (!existsSync(dir) && dirname(dir) !== dir) dir = dirname(dir);
    if (!statSync(dir).isDirectory()) throw new InputError(`cannot write the output ${target}: ${dir} is a file, not a folder`, { path: target }, 'bad_output');
    try {
      accessSync(dir, constants.W_OK);
    } catch (e) {
      throw new InputError(`cannot write the output ${target}: ${(e as Error).message.split(',')[0]}`, { path: target }, 'bad_output');
    }
  }
}
