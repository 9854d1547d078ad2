/**
 * Load a project from disk: `featureguard.yaml` and every definition file under
 * the definitions folder. Everything is validated (JSON Schemas, then
 * cross-references); all problems are reported at once in one `DefinitionError`,
 * each with file, line, column and path. No DuckDB here (see `source-check.ts`).
 *
 * @example
 * const config = loadConfig(root);
 * const defs = loadDefinitions(root, config); // frozen, equal to defineX() output
 */
import { existsSync, readdirSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { DefinitionError, type DefinitionProblem } from '../errors.js';
import { checkCrossReferences } from './cross-references.js';
import { deepFreeze, normalizeDurations as normalize } from './define.js';
import { parseDefinitionFile, type ParsedObject } from './definition-files.js';
import { dataFileProblem, hasKind, kindlessRestProblem, MAX_KINDLESS_LISTED } from './kindless.js';
import { definitionOrigin, pathInFile, setDefinitionOrigin } from './origins.js';
import { show, validateWithSchema } from './schema-validation.js';
import { referenceFields, type ReferenceFields } from './reference-fields.js';
import { resolveInProject, sourceRootsOf, type SourceRoots } from './source-location.js';
import { configProblems } from './config-checks.js';
import { didYouMean } from './suggest.js';
import { fetchBlockedPort } from '../alerts/bad-ports.js';
import { redisUrlProblem } from '../online/redis-url-query.js';
import type { Definition, DefinitionKind, ProjectConfig } from './types.js';

export const CONFIG_FILE_NAME = 'featureguard.yaml';
export const DEFINITION_KINDS: readonly DefinitionKind[] = ['entity', 'source', 'feature_view', 'feature_service'];
const EXTENSIONS = ['.yaml', '.yml', '.json'];
/** JSON files in a project folder that are never definitions: npm's and TypeScript's, and dataset manifests. */
const NOT_DEFINITIONS = /^(package(-lock)?\.json|npm-shrinkwrap\.json|tsconfig(\.[^/]*)?\.json|.*\.manifest\.json)$/i;

/** Read and validate `<root>/featureguard.yaml`. Throws `DefinitionError` naming file, line and path. */
export function loadConfig(root: string): ProjectConfig {
  const full = join(root, CONFIG_FILE_NAME);
  if (!existsSync(full)) {
    throw new DefinitionError([{ file: CONFIG_FILE_NAME, path: '', message: `not found in ${root}` }]);
  }
  const readProblems: DefinitionProblem[] = [];
  const text = readDefinitionText(full, CONFIG_FILE_NAME, readProblems);
  if (text === undefined) throw new DefinitionError(readProblems);
  const { objects, problems } = parseDefinitionFile(CONFIG_FILE_NAME, text);
  if (problems.length > 0) throw new DefinitionError(problems);
  if (objects.length !== 1) {
    throw new DefinitionError([{ file: CONFIG_FILE_NAME, path: '', line: 1, column: 1, message: `must hold exactly one YAML document (found ${objects.length})` }]);
  }
  const [{ origin }] = objects;
  const value = normalize(objects[0].value);
  // The specific checks' messages replace the schema's at the same path (it refuses the same values, more tersely).
  const specific = configProblems(value);
  const specificPaths = new Set(specific.map((p) => p.path));
  const schemaProblems = [...validateWithSchema('project', value).filter((p) => !specificPaths.has(p.path)), ...specific].map((p): DefinitionProblem => {
    const pos = origin.locate(p.path, 'atKey' in p ? p.atKey === true : undefined);
    return { file: CONFIG_FILE_NAME, line: pos.line, column: pos.column, path: p.path, message: p.message };
  });
  const config = value as ProjectConfig;
  if (schemaProblems.length === 0 && config.definitions !== undefined && resolveInProject(root, config.definitions) === undefined) {
    const pos = origin.locate('/definitions');
    schemaProblems.push({ file: CONFIG_FILE_NAME, line: pos.line, column: pos.column, path: '/definitions', message: `'${config.definitions}' is outside the project root` });
  }
  if (schemaProblems.length === 0) {
    const store = config.online_store;
    // A query option ioredis reads as text (`?connectTimeout=2000`) crashed every command that opened the store.
    const urlProblem = store?.type === 'redis' && !store.cluster?.length && store.url !== undefined && schemaProblems.length === 0 ? redisUrlProblem(store.url) : undefined;
    if (urlProblem !== undefined) {
      const pos = origin.locate('/online_store/url');
      schemaProblems.push({ file: CONFIG_FILE_NAME, line: pos.line, column: pos.column, path: '/online_store/url', message: urlProblem });
    }
    // A cluster's credentials: a single node's are in its URL, where these keys would be silently ignored.
    const credential = store?.type === 'redis' && !store.cluster?.length ? (['username', 'password_env', 'tls'] as const).find((k) => store[k] !== undefined) : undefined;
    if (credential !== undefined) {
      const pos = origin.locate(`/online_store/${credential}`);
      schemaProblems.push({ file: CONFIG_FILE_NAME, line: pos.line, column: pos.column, path: `/online_store/${credential}`, message: 'username, password_env and tls go with cluster; a single node takes them in online_store.url (rediss://USER:PASSWORD@HOST:PORT/DB)' });
    }
    const alertNames = new Map<string, number>();
    (config.alerts ?? []).forEach((alert, i) => {
      // One name, one delivery slot and summary: a second alert of that name would never be sent.
      const first = alertNames.get(alert.name);
      if (first !== undefined) {
        const pos = origin.locate(`/alerts/${i}/name`);
        schemaProblems.push({ file: CONFIG_FILE_NAME, line: pos.line, column: pos.column, path: `/alerts/${i}/name`, message: `alert name '${alert.name}' is taken by alerts[${first}]; give each alert its own name` });
      } else alertNames.set(alert.name, i);
      const why = webhookUrlProblem(alert.url);
      if (why === null) return;
      const pos = origin.locate(`/alerts/${i}/url`);
      schemaProblems.push({ file: CONFIG_FILE_NAME, line: pos.line, column: pos.column, path: `/alerts/${i}/url`, message: why });
    });
  }
  if (schemaProblems.length > 0) throw new DefinitionError(schemaProblems);
  // Kept for the problems found later (a definitions folder that does not exist), located as these are.
  setDefinitionOrigin(config, origin);
  return deepFreeze(config);
}

/** A problem of featureguard.yaml at `pointer`: with line and column when `config` was read by `loadConfig`. */
function configProblem(config: ProjectConfig, pointer: string, message: string): DefinitionProblem {
  const origin = definitionOrigin(config);
  const pos = origin.file === CONFIG_FILE_NAME ? origin.locate(pointer) : {};
  return { file: CONFIG_FILE_NAME, line: pos.line, column: pos.column, path: pointer, message };
}

/** Why a webhook URL cannot be delivered to, or null. */
function webhookUrlProblem(url: string): string | null {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return 'not a URL';
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') return `a webhook URL is http or https, not ${u.protocol.slice(0, -1)}`;
  // fetch refuses such URLs, and its error would carry the password into the quality log.
  if (u.username || u.password) return 'a webhook URL holds no user name or password (they could not be sent); put a token in its path or query, or sign the body with secret_env';
  const blocked = fetchBlockedPort(url);
  if (blocked !== null) return `port ${blocked} is one Node's fetch refuses to connect to (a WHATWG fetch "bad port", kept from protocols such as IRC, SIP or X11): every delivery would fail with "bad port"; use another port for the receiver`;
  return null;
}

/** Definition files under `dir`, recursively (following symbolic links), sorted, skipping hidden entries and `node_modules`. Paths relative to `dir`. */
function listDefinitionFiles(dir: string, prefix = '', problems: DefinitionProblem[] = [], shown = prefix, seen = new Set<string>()): string[] {
  const out: string[] = [];
  let entries;
  let here: string;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
    here = realpathSync(dir);
    seen.add(here);
  } catch (e) {
    problems.push({ file: shown || '.', path: '', message: `cannot read this folder: ${readReason(e)}` });
    return out;
  }
  // Hidden entries (the state folder), installed packages and the JSON files that are never definitions (a
  // `definitions: .` project holds its package.json, tsconfig.json, and maybe dataset manifests) are skipped.
  entries = entries.filter((e) => !e.name.startsWith('.') && e.name !== 'node_modules' && !NOT_DEFINITIONS.test(e.name)).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const e of entries) {
    const rel = prefix ? `${prefix}/${e.name}` : e.name;
    const shownRel = shown ? `${shown}/${e.name}` : e.name;
    const full = join(dir, e.name);
    // A symbolic link is followed: to a folder (shared definitions linked in) as to a file. Skipping one would
    // make `apply` remove every object defined below it.
    let isDir = e.isDirectory();
    if (e.isSymbolicLink()) {
      try {
        isDir = statSync(full).isDirectory();
      } catch (err) {
        // A link to nothing (a share not mounted, a folder moved): what it led to cannot be told, and skipping it
        // would make `apply` remove every object defined there. A problem, whatever its name.
        problems.push({ file: shownRel, path: '', message: `cannot follow this symbolic link: ${readReason(err)}; restore what it points to, or remove the link` });
        continue;
      }
    }
    if (isDir) {
      // A folder read already, or one holding this one (a link up the tree): reading it would read files twice,
      // or the project itself, before the loop showed.
      const real = realpathSync(full);
      if (seen.has(real) || here === real || here.startsWith(`${real}${sep}`)) {
        problems.push({ file: shownRel, path: '', message: `this ${e.isSymbolicLink() ? 'symbolic link leads' : 'folder is reached through a link'} to a folder read already or holding this one (a loop, or a second way to it); skipped` });
        continue;
      }
    }
    if (isDir) out.push(...listDefinitionFiles(full, rel, problems, shownRel, seen));
    else if (EXTENSIONS.some((x) => e.name.toLowerCase().endsWith(x))) out.push(rel);
  }
  return out;
}

/** Why a file or folder could not be read, in words (permission, a dangling link, a folder named like a file). */
function readReason(e: unknown): string {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  if (code === 'ENOENT') return 'it does not exist (a symbolic link to nothing?)';
  if (code === 'EISDIR') return 'it is a folder, not a file';
  if (code === 'ENOTDIR') return 'it is a file, not a folder';
  return (e as Error).message.split('\n')[0];
}

/** Larger files are no hand-written definitions. */
export const MAX_DEFINITION_FILE_BYTES = 8 * 2 ** 20;

const UTF8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Line and column (1-based, in characters) of the first bytes of `bytes` that are no UTF-8, as the decoder
 * finds them: line by line (a newline byte is never inside a UTF-8 sequence), then byte by byte in that line.
 */
function firstNonUtf8(bytes: Uint8Array): { line: number; column: number } | undefined {
  for (let start = 0, line = 1; start <= bytes.length; line++) {
    const newline = bytes.indexOf(0x0a, start);
    const end = newline < 0 ? bytes.length : newline;
    try {
      UTF8.decode(bytes.subarray(start, end));
    } catch {
      const decoder = new TextDecoder('utf-8', { fatal: true });
      let column = 1;
      try {
        for (let i = start; i < end; i++) column += decoder.decode(bytes.subarray(i, i + 1), { stream: true }).length;
        decoder.decode(); // a sequence cut short by the end of the line
      } catch {
        return { line, column };
      }
    }
    if (newline < 0) break;
    start = newline + 1;
  }
  return undefined;
}

/** A definition file's text, or a problem naming it. */
function readDefinitionText(full: string, file: string, problems: DefinitionProblem[]): string | undefined {
  try {
    // A named pipe would block the read forever, a log file renamed .yaml fill the memory: refused by their stat.
    const st = statSync(full);
    if (!st.isFile()) {
      problems.push({ file, path: '', message: `cannot read this file: ${st.isDirectory() ? 'it is a folder, not a file' : 'it is not a regular file (a pipe or device?)'}` });
      return undefined;
    }
    if (st.size > MAX_DEFINITION_FILE_BYTES) {
      problems.push({ file, path: '', message: `this file is ${(Math.ceil((st.size / 2 ** 20) * 10) / 10).toFixed(1)} MiB: a definition file holds at most ${MAX_DEFINITION_FILE_BYTES / 2 ** 20} MiB (is it a data file in the definitions' folder?)` });
      return undefined;
    }
    const bytes = readFileSync(full);
    // UTF-16 (what Windows PowerShell 5 writes with `>` and Out-File) read as UTF-8 would be NUL bytes in every message.
    const utf16 = (bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff);
    if (utf16 || bytes.includes(0)) {
      const what = utf16 ? 'this file is UTF-16' : 'this file holds NUL bytes (UTF-16 without a byte-order mark, or no text at all)';
      problems.push({ file, path: '', message: `${what}: save it as UTF-8 (in PowerShell: Out-File -Encoding utf8)` });
      return undefined;
    }
    // Read leniently, Latin-1 text ('Zürich' from an older editor) would be U+FFFD in allowed values and
    // descriptions: the registry would store it, and the guards refuse every row of the true value.
    let text: string;
    try {
      text = UTF8.decode(bytes); // a leading byte-order mark is dropped: it is not content
    } catch {
      const at = firstNonUtf8(bytes);
      const where = at === undefined ? '' : ` at line ${at.line}, column ${at.column}`;
      problems.push({ file, path: '', line: at?.line, column: at?.column, message: `this file is not UTF-8${where} (Latin-1 or Windows-1252 text?): save it as UTF-8` });
      return undefined;
    }
    return text;
  } catch (e) {
    problems.push({ file, path: '', message: `cannot read this file: ${readReason(e)}` });
    return undefined;
  }
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/**
 * Validate one parsed object; returns the definition when it passed its schema. A view or service that did not
 * has its references added to `partial` (checked with the others: `referenceFields`).
 */
function validateObject(obj: ParsedObject, problems: DefinitionProblem[], known: Map<DefinitionKind, Set<string>>, partial: ReferenceFields[]): Definition | undefined {
  const { value, origin } = obj;
  const at = (path: string, message: string, object?: string, atKey = false): DefinitionProblem => {
    const pos = origin.locate(path, atKey);
    return { file: origin.file, line: pos.line, column: pos.column, path: pathInFile(origin, path), object, message };
  };
  if (!isRecord(value)) {
    problems.push(at('', `expected a definition (a mapping with kind: ${DEFINITION_KINDS.join(' | ')}), got ${show(value)}`));
    return undefined;
  }
  const kind = value.kind;
  const name = typeof value.name === 'string' ? value.name : undefined;
  if (typeof kind !== 'string' || !(DEFINITION_KINDS as readonly string[]).includes(kind)) {
    const message = kind === undefined
      ? `missing 'kind': every definition starts with kind: ${DEFINITION_KINDS.join(' | ')}`
      : `unknown kind ${show(kind)}: use one of ${DEFINITION_KINDS.join(', ')}${typeof kind === 'string' ? didYouMean(kind, DEFINITION_KINDS) : ''}`;
    problems.push(at(kind === undefined ? '' : '/kind', message, name));
    return undefined;
  }
  const k = kind as DefinitionKind;
  if (name !== undefined) known.get(k)!.add(name);
  const object = name === undefined ? k : `${k} ${name}`;
  const normalized = normalize(value);
  const schemaProblems = validateWithSchema(k, normalized);
  for (const p of schemaProblems) problems.push(at(p.path, p.message, object, p.atKey));
  if (schemaProblems.length === 0) return normalized as unknown as Definition;
  const refs = isRecord(normalized) ? referenceFields(normalized) : undefined;
  if (refs !== undefined) {
    setDefinitionOrigin(refs, origin);
    partial.push(refs);
  }
  return undefined;
}

/** Problems in file order, then by line (stable for problems without a line). */
export function sortProblems(problems: DefinitionProblem[]): DefinitionProblem[] {
  return problems
    .map((p, i) => ({ p, i }))
    .sort((a, b) => (a.p.file < b.p.file ? -1 : a.p.file > b.p.file ? 1 : (a.p.line ?? 0) - (b.p.line ?? 0) || a.i - b.i))
    .map(({ p }) => p);
}

/** A `name:` key at the start of a line (a YAML document's own name), its value unquoted. */
const TOP_LEVEL_NAME = /^name:[ \t]*["']?([^"'\s#]+)["']?[ \t]*(?:#.*)?$/gm;

/**
 * The definition files under `dir` (the project's definitions folder) with their text, in file order, named relative
 * to `root`; a file that cannot be read or listed is a problem in `problems`, and skipped.
 */
function* definitionTexts(root: string, dir: string, problems: DefinitionProblem[]): Generator<{ file: string; text: string }> {
  const prefix = relative(root, dir).split(sep).join('/');
  // With `definitions: .` the project file itself lies in the folder: it is the configuration, not a definition.
  for (const rel of listDefinitionFiles(dir, '', problems, prefix).filter((f) => prefix !== '' || f !== CONFIG_FILE_NAME)) {
    const file = prefix ? `${prefix}/${rel}` : rel;
    const text = readDefinitionText(join(dir, rel), file, problems);
    if (text !== undefined) yield { file, text };
  }
}

/**
 * Read, validate and cross-check every definition under `<root>/<config.definitions ?? 'features'>`.
 * Returns deeply frozen objects in file order; throws one `DefinitionError` listing all problems.
 */
export function loadDefinitions(root: string, config: ProjectConfig): Definition[] {
  const folder = config.definitions ?? 'features';
  const dir = resolveInProject(root, folder);
  if (dir === undefined) throw new DefinitionError([configProblem(config, '/definitions', `'${folder}' is outside the project root`)]);
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    const what = existsSync(dir) ? `'${folder}' is a file, not a folder of definitions` : `definitions folder '${folder}' does not exist`;
    throw new DefinitionError([configProblem(config, '/definitions', what)]);
  }
  const problems: DefinitionProblem[] = [];
  const known = new Map<DefinitionKind, Set<string>>(DEFINITION_KINDS.map((k) => [k, new Set<string>()]));
  const defs: Definition[] = [];
  const partial: ReferenceFields[] = [];
  for (const { file, text } of definitionTexts(root, dir, problems)) {
    try {
      const parsed = parseDefinitionFile(file, text);
      problems.push(...parsed.problems);
      // A file that did not parse: the names it holds at top level are not "unknown" elsewhere as well (one YAML
      // slip in entities.yaml was reported again as an unknown entity in every view using it).
      if (parsed.problems.length > 0) for (const m of text.matchAll(TOP_LEVEL_NAME)) for (const names of known.values()) names.add(m[1]);
      // A data file left in the folder (thousands of rows, none with a kind): one problem, not one per row.
      const dataFile = dataFileProblem(file, parsed.objects);
      if (dataFile !== undefined) {
        problems.push(dataFile);
        continue;
      }
      const kindless = parsed.objects.filter((o) => !hasKind(o.value));
      const rest = kindlessRestProblem(file, parsed.objects, kindless);
      if (rest !== undefined) problems.push(rest);
      const unlisted = new Set(kindless.slice(MAX_KINDLESS_LISTED));
      for (const obj of parsed.objects) {
        if (unlisted.has(obj)) continue;
        const def = validateObject(obj, problems, known, partial);
        if (def) {
          setDefinitionOrigin(def, obj.origin);
          defs.push(def);
        }
      }
    } catch (e) {
      // Values nested thousands deep overflow the stack of the recursive steps (parsing, validation): said of the file.
      if (!(e instanceof RangeError)) throw e;
      problems.push({ file, path: '', message: `cannot read this file: values nested too deeply (${e.message})` });
    }
  }
  problems.push(...checkCrossReferences(defs, sourceRootsOf(root, config), known, partial));
  if (problems.length > 0) throw new DefinitionError(sortProblems(problems));
  return defs.map((d) => deepFreeze(d));
}

/**
 * Validate definitions given in code or over HTTP (not read from files) exactly as
 * the loader validates files: JSON Schema per kind, then cross-references. Objects
 * that already came from the loader keep their file and line in messages; others
 * are named `<label>[i]` (e.g. `(code)[2]`, `definitions[0]` of a request body).
 * Returns the definitions frozen; throws one `DefinitionError` listing every problem.
 *
 * @example
 * store.apply(validateDefinitions([defineEntity({ name: 'airport', join_keys: [...] })], root));
 */
export function validateDefinitions(input: readonly unknown[], root: string | SourceRoots, label = '(code)'): Definition[] {
  const problems: DefinitionProblem[] = [];
  const known = new Map<DefinitionKind, Set<string>>(DEFINITION_KINDS.map((k) => [k, new Set<string>()]));
  const defs: Definition[] = [];
  const partial: ReferenceFields[] = [];
  input.forEach((value, i) => {
    const fromFile = isRecord(value) ? definitionOrigin(value) : null;
    const origin = fromFile && fromFile.file !== '(code)' ? fromFile : { file: `${label}[${i}]`, locate: () => ({}) };
    try {
      const def = validateObject({ value, origin }, problems, known, partial);
      if (def) {
        setDefinitionOrigin(def, origin);
        defs.push(def);
      }
    } catch (e) {
      // Values nested thousands deep overflow the stack of the recursive steps (normalization, validation): a
      // problem of that definition, as of a file (a RangeError here was a 500 over HTTP).
      if (!(e instanceof RangeError)) throw e;
      problems.push({ file: origin.file, path: '', message: `values nested too deeply (${e.message})` });
    }
  });
  problems.push(...checkCrossReferences(defs, root, known, partial));
  if (problems.length > 0) throw new DefinitionError(sortProblems(problems));
  return defs.map((d) => deepFreeze(d));
}

/**
 * The objects of every definition file as parsed, unvalidated (no schema, no cross-references, no source read):
 * cheap enough for an error message to say where a name is defined. Unreadable files and parse problems are skipped.
 */
export function parseDefinitionObjects(root: string, config: ProjectConfig): ParsedObject[] {
  const folder = config.definitions ?? 'features';
  const dir = resolveInProject(root, folder);
  if (dir === undefined || !existsSync(dir) || !statSync(dir).isDirectory()) return [];
  const out: ParsedObject[] = [];
  for (const { file, text } of definitionTexts(root, dir, [])) {
    try {
      out.push(...parseDefinitionFile(file, text).objects);
    } catch {
      // Too deeply nested to parse: validate says so; a hint has nothing to find there.
    }
  }
  return out;
}
