/**
 * Which of a README's YAML blocks are what, for the README lint (readme.test.ts). Every ```yaml / ```yml (or ~~~)
 * block, at any indentation (inside a list item too), is one of:
 * - `definitions`: a document has `kind:` (checked by the loader beside the flights example's definitions);
 * - `fragment`: marked `<!-- lint: fragment of KIND -->` on the line before the fence (blank lines between allowed):
 *   part of a definition of KIND, checked merged into the flights example's first definition of that kind;
 * - `skipped`: marked `<!-- lint: skip: WHY -->` (another tool's YAML, a comment-only block): not checked, and the
 *   reason is required;
 * - `other-file`: its first line is a comment naming another YAML file (`# .github/workflows/data.yml`);
 * - `config`: anything else is featureguard.yaml, or a part of one. It must be one mapping whose top-level keys are
 *   the project schema's; `configProblems` names the README line of each one that is not.
 * Plain functions over a string, so that a test can feed them a README of its own.
 */
import { isMap, parseAllDocuments } from 'yaml';
import { didYouMean } from '../../src/definitions/suggest.js';

export type BlockClass = 'definitions' | 'fragment' | 'skipped' | 'other-file' | 'config';

export interface YamlBlock {
  /** README line of the opening fence, from 1. */
  line: number;
  /** The block's text, without the fence's indentation. */
  text: string;
  class: BlockClass;
  /** `fragment`: the definition kind; `skipped`: the reason given. */
  mark?: string;
  /** The parsed documents (toJS). */
  docs: unknown[];
  /** YAML syntax errors, `README.md:LINE: message`. */
  errors: string[];
}

const FENCE = /^(\s*)(`{3,}|~{3,})\s*([^\s`]*)/;
const MARK = /^\s*<!--\s*lint:\s*(fragment of\s+(\w+)|skip:\s*(\S.*?))\s*-->\s*$/;
/** Another file's YAML (Feast's feature_store.yaml, a CI workflow) says which file it is in its first line. */
const OTHER_FILE = /^#\s*\S+\.ya?ml\b/;
const OWN_FILE = /^#\s*featureguard\.yaml\b/;

const isRecord = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/** Every yaml/yml fenced block of `md`, classified. `file` names the README in messages. */
export function yamlBlocks(md: string, file = 'README.md'): YamlBlock[] {
  const lines = md.split('\n');
  const out: YamlBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = FENCE.exec(lines[i]);
    if (!open) continue;
    const [, indent, fence, lang] = open;
    const body: string[] = [];
    let j = i + 1;
    for (; j < lines.length; j++) {
      const close = /^\s*(`{3,}|~{3,})\s*$/.exec(lines[j]);
      if (close && close[1][0] === fence[0] && close[1].length >= fence.length) break;
      // Lines of a block indented in a list item lose that indentation (no more than they have).
      const lead = /^\s*/.exec(lines[j])![0].length;
      body.push(lines[j].slice(Math.min(lead, indent.length)));
    }
    const start = i;
    i = j;
    if (!/^ya?ml$/i.test(lang)) continue;
    let k = start - 1;
    while (k >= 0 && lines[k].trim() === '') k--;
    const mark = k >= 0 ? MARK.exec(lines[k]) : null;
    const text = body.join('\n');
    const parsed = parseAllDocuments(text);
    const docsList = Array.isArray(parsed) ? parsed : [];
    const errors = docsList.flatMap((d) => d.errors.map((e) => `${file}:${start + 2 + (e.linePos?.[0].line ?? 1) - 1}: ${e.message.split('\n')[0]}`));
    const docs = docsList.map((d) => d.toJS() as unknown);
    const base = { line: start + 1, text, docs, errors };
    if (mark?.[2]) out.push({ ...base, class: 'fragment', mark: mark[2] });
    else if (mark?.[3]) out.push({ ...base, class: 'skipped', mark: mark[3] });
    else if (docs.some((d) => isRecord(d) && 'kind' in d)) out.push({ ...base, class: 'definitions' });
    else if (OTHER_FILE.test(text) && !OWN_FILE.test(text)) out.push({ ...base, class: 'other-file' });
    else out.push({ ...base, class: 'config' });
  }
  return out;
}

/**
 * What is wrong with a `config` block before `featureguard validate` sees it: not one mapping, or a top-level key
 * the project schema does not have (`README.md:LINE: unknown top-level key 'qualty' (did you mean 'quality'?)`,
 * LINE that of the key).
 */
export function configProblems(block: YamlBlock, projectKeys: ReadonlySet<string>, file = 'README.md'): string[] {
  if (block.errors.length > 0) return block.errors;
  const docs = parseAllDocuments(block.text);
  const how = `a featureguard.yaml example is one mapping of its keys; if this is another file's YAML, name the file in a first-line comment (# rules.yml), or mark the block <!-- lint: skip: WHY --> or <!-- lint: fragment of KIND -->`;
  if (!Array.isArray(docs) || docs.length !== 1 || !isMap(docs[0].contents)) {
    const what = !Array.isArray(docs) || docs.length === 0 || docs[0].contents === null ? 'no YAML value (comments only)' : docs.length > 1 ? `${docs.length} documents` : 'not a mapping';
    return [`${file}:${block.line}: ${what}: ${how}`];
  }
  const out: string[] = [];
  for (const item of docs[0].contents.items) {
    const key = (item.key as { value?: unknown; range?: [number, number, number] } | null) ?? null;
    const name = String(key?.value ?? '');
    if (projectKeys.has(name)) continue;
    const line = block.line + 1 + block.text.slice(0, key?.range?.[0] ?? 0).split('\n').length - 1;
    out.push(`${file}:${line}: unknown top-level key '${name}' of featureguard.yaml${didYouMean(name, projectKeys)}: ${how}`);
  }
  return out;
}

/**
 * A `fragment of KIND` block merged into `into` (the example's definition of that kind): a list the fragment gives is
 * appended to the definition's (`features:` adds features), any other key replaces the definition's.
 */
export function mergeFragment(into: Record<string, unknown>, fragment: Record<string, unknown>): Record<string, unknown> {
  const out = { ...into };
  for (const [k, v] of Object.entries(fragment)) out[k] = Array.isArray(v) && Array.isArray(out[k]) ? [...(out[k] as unknown[]), ...v] : v;
  return out;
}
