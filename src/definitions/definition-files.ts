/**
 * Parse definition files (YAML with one object per document, or JSON holding an
 * object or a list of objects) into plain values that remember where they came
 * from: any JSON path inside an object maps back to a line and column.
 */
import { isMap, isScalar, isSeq, LineCounter, parseAllDocuments, parseDocument, visit, type Document, type Node, type YAMLError } from 'yaml';
import type { DefinitionProblem } from '../errors.js';
import { pointerKey, pointerToken } from '../json-pointer.js';
import { looksLikeDataFile } from './kindless.js';

/** A line and column (1-based) in a file; absent when unknown. */
export interface Position {
  readonly line?: number;
  readonly column?: number;
}

/** Where an object was defined, and how to find a path inside it. */
export interface DefinitionOrigin {
  /** File path relative to the project root, with `/` separators. */
  readonly file: string;
  /** The object's own place in its file: `/3` for the fourth item of a JSON list; absent (`''`) for a whole document. */
  readonly pointer?: string;
  /** Line and column of a JSON pointer inside the object (`/features/1/type`); `atKey` points at the key. */
  locate(pointer: string, atKey?: boolean): Position;
}

/** One top-level object found in a file. */
export interface ParsedObject {
  readonly value: unknown;
  readonly origin: DefinitionOrigin;
}

/** Split a JSON pointer into segments (`/a/0/b~1c` → `['a', '0', 'b/c']`). */
export function pointerSegments(pointer: string): string[] {
  if (pointer === '' || pointer === '/') return [];
  return pointer.slice(1).split('/').map((s) => pointerKey(s));
}

function originFor(file: string, doc: Document | undefined, lines: LineCounter, base: (string | number)[]): DefinitionOrigin {
  return {
    file,
    pointer: base.map((segment) => `/${segment}`).join(''),
    locate(pointer, atKey = false) {
      if (!doc) return {};
      const segs: (string | number)[] = [...base, ...pointerSegments(pointer)];
      if (atKey && segs.length > base.length) {
        const parent = doc.getIn(segs.slice(0, -1), true);
        const last = String(segs[segs.length - 1]);
        if (isMap(parent)) {
          const pair = parent.items.find((it) => isScalar(it.key) && String(it.key.value) === last);
          const range = pair && isScalar(pair.key) ? pair.key.range : undefined;
          if (range) return toPosition(lines, range[0]);
        }
      }
      for (let n = segs.length; n >= 0; n--) {
        const node = (n === 0 ? doc.contents : doc.getIn(segs.slice(0, n), true)) as Node | null | undefined;
        if (node && typeof node === 'object' && 'range' in node && node.range) return toPosition(lines, node.range[0]);
      }
      return {};
    },
  };
}

function toPosition(lines: LineCounter, offset: number): Position {
  const { line, col } = lines.linePos(offset);
  return { line, column: col };
}

function problem(file: string, pos: Position, message: string): DefinitionProblem {
  return { file, line: pos.line, column: pos.column, path: '', message };
}

/** A parser error message without yaml's trailing code excerpt. */
function parserReason(message: string): string {
  return message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '');
}

/**
 * Uses of anchors (`*a`, each counted with the aliases inside what it names) a document may expand: a bound
 * on alias bombs (nested anchors expanding to millions of nodes). Generous: a view whose thousands of features
 * share settings through `<<: *f` stays far below it, and the 8 MiB file cap bounds the work as well.
 */
const MAX_ALIAS_COUNT = 100_000;

/** Aliases of a document that name no anchor before them, with their offsets. */
function danglingAliases(doc: Document.Parsed): { name: string; offset: number }[] {
  const out: { name: string; offset: number }[] = [];
  visit(doc, {
    Alias(_, node) {
      if (node.resolve(doc) === undefined) out.push({ name: node.source, offset: node.range?.[0] ?? 0 });
    },
  });
  return out;
}

const danglingReason = (name: string): string => `alias *${name} names no anchor &${name} before it in this document (anchors do not carry across '---')`;

/** The key a duplicate-key error at `offset` points at, and the JSON pointer of the mapping holding it twice. */
function duplicateKeyAt(node: unknown, offset: number, pointer = ''): { key: string; pointer: string } | undefined {
  // Only the nodes around the offset are searched.
  const range = (node as Node | null)?.range;
  if (!range || offset < range[0] || offset >= range[2]) return undefined;
  if (isMap(node)) {
    for (const pair of node.items) {
      if (!isScalar(pair.key)) continue;
      const key = String(pair.key.value);
      if (pair.key.range?.[0] === offset) return { key, pointer };
      const found = duplicateKeyAt(pair.value, offset, `${pointer}/${pointerToken(key)}`);
      if (found) return found;
    }
  } else if (isSeq(node)) {
    for (const [i, item] of node.items.entries()) {
      const found = duplicateKeyAt(item, offset, `${pointer}/${i}`);
      if (found) return found;
    }
  }
  return undefined;
}

/** A parser error as a problem; a duplicate key is named, with the path of its mapping (the parser names neither). */
function parserProblem(file: string, lines: LineCounter, doc: Document, err: YAMLError, format: 'YAML' | 'JSON'): DefinitionProblem {
  const dup = err.code === 'DUPLICATE_KEY' ? duplicateKeyAt(doc.contents, err.pos[0]) : undefined;
  const reason = dup ? `duplicate key '${dup.key}' (a mapping holds each key once)` : parserReason(err.message);
  return { ...problem(file, toPosition(lines, err.pos[0]), `invalid ${format}: ${reason}`), path: dup?.pointer ?? '' };
}

/** Parse one file's text. Syntax errors become problems (file, line, column, the parser's reason). */
export function parseDefinitionFile(file: string, text: string): { objects: ParsedObject[]; problems: DefinitionProblem[] } {
  return file.toLowerCase().endsWith('.json') ? parseJsonFile(file, text) : parseYamlFile(file, text);
}

function parseYamlFile(file: string, text: string): { objects: ParsedObject[]; problems: DefinitionProblem[] } {
  // Files joined into one (`cat a.yaml b.yaml`, with or without `---` between) carry each one's byte-order mark
  // at the start of a line: not content (the parser read `\ufeffkind`, so "missing 'kind'").
  text = text.replace(/^\ufeff/gm, '');
  const lines = new LineCounter();
  // Merge keys (`<<: *defaults`) are expanded; the parser's own warnings become problems below, never stderr lines.
  const docs = parseAllDocuments(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true, merge: true, logLevel: 'error' });
  const objects: ParsedObject[] = [];
  const problems: DefinitionProblem[] = [];
  // An empty stream (only comments or whitespace) holds no documents.
  const list = Array.isArray(docs) ? docs : [];
  for (const doc of list) {
    // A tag the parser does not know (`!env DATA_PATH`) would silently be the plain text: featureguard expands no tags.
    const unknownTags = doc.warnings.filter((w) => w.code === 'TAG_RESOLVE_FAILED');
    for (const w of unknownTags) {
      problems.push(problem(file, toPosition(lines, w.pos[0]), `invalid YAML: ${parserReason(w.message)} (definitions take no custom tags: no environment or file substitution; write the value itself)`));
    }
    if (doc.errors.length > 0 || unknownTags.length > 0) {
      for (const err of doc.errors) problems.push(parserProblem(file, lines, doc, err, 'YAML'));
      continue;
    }
    // An empty document, e.g. after a trailing `---`.
    if (doc.contents === null || (isScalar(doc.contents) && doc.contents.value === null)) continue;
    let value: unknown;
    try {
      value = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
    } catch (e) {
      // An alias to nothing (a merge `<<: *key` of it fails as "Merge sources must be maps"), or an alias bomb
      // (aliases expanding to millions of nodes).
      const dangling = danglingAliases(doc)[0];
      const at = toPosition(lines, dangling?.offset ?? doc.contents?.range?.[0] ?? 0);
      const reason = dangling
        ? danglingReason(dangling.name)
        : /resource exhaustion/.test((e as Error).message)
          ? `aliases expand to too many nodes (each use of an anchor counts the aliases inside it; at most ${MAX_ALIAS_COUNT.toLocaleString('en-US')}): split the document, or write the repeated parts out`
          : (e as Error).message;
      problems.push(problem(file, at, `invalid YAML: ${reason}`));
      continue;
    }
    objects.push({ value, origin: originFor(file, doc, lines, []) });
  }
  return { objects, problems };
}

/** Offset of the first comma followed (after white space) by `]` or `}`, outside strings; undefined when none. */
function trailingComma(text: string): number | undefined {
  let comma = -1;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"') {
      for (i++; i < text.length && text[i] !== '"'; i++) if (text[i] === '\\') i++;
      comma = -1;
    } else if (c === ',') comma = i;
    else if ((c === ']' || c === '}') && comma >= 0) return comma;
    else if (!/\s/.test(c)) comma = -1;
  }
  return undefined;
}

function parseJsonFile(file: string, text: string): { objects: ParsedObject[]; problems: DefinitionProblem[] } {
  const lines = new LineCounter();
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    // One line: V8 quotes the text around some errors, newlines and all.
    let reason = (e instanceof Error ? e.message : String(e)).replace(/\r?\n/g, '\\n');
    let at: number | undefined = Number(/position (\d+)/.exec(reason)?.[1] ?? Number.NaN);
    if (Number.isNaN(at)) {
      // V8 names no position for some errors; the commonest, a trailing comma, is found here (outside strings).
      at = trailingComma(text);
      if (at !== undefined) reason = 'a trailing comma before a closing bracket or brace (JSON allows none)';
    }
    lines.addNewLine(0);
    for (let i = 0; i < text.length; i++) if (text[i] === '\n') lines.addNewLine(i + 1);
    const pos = at !== undefined ? toPosition(lines, at) : {};
    return { objects: [], problems: [problem(file, pos, `invalid JSON: ${reason.replace(/ in JSON at position \d+.*$/, '')}`)] };
  }
  // A data file's rows are one problem of the whole file (`dataFileProblem`): no line to find in them, and parsing
  // thousands of rows again took seconds.
  if (Array.isArray(value) && looksLikeDataFile(value)) return { objects: value.map((v, i) => ({ value: v, origin: originFor(file, undefined, lines, [i]) })), problems: [] };
  // JSON is YAML: parse again with the YAML parser only to map paths to lines.
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const dup = doc.errors.find((e) => e.code === 'DUPLICATE_KEY');
  if (dup) return { objects: [], problems: [parserProblem(file, lines, doc, dup, 'JSON')] };
  const located = doc.errors.length === 0 ? doc : undefined;
  const objects = Array.isArray(value)
    ? value.map((v, i) => ({ value: v, origin: originFor(file, located, lines, [i]) }))
    : [{ value, origin: originFor(file, located, lines, []) }];
  return { objects, problems: [] };
}
