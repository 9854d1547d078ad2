/**
 * README.md stays navigable and its examples stay true:
 * - every `](#anchor)` link names a heading, by GitHub's slug rules (lowercase, punctuation dropped, spaces to
 *   hyphens, a repeated heading gets `-1`, `-2`, ...);
 * - no table has two rows with the same first cell (two copies of a row drift apart and contradict each other);
 * - every ```yaml block that is a featureguard.yaml (or a part of one) validates with `featureguard validate` on the
 *   flights example, without warnings; every block of definitions (`kind:`) passes the loader's validation
 *   (JSON Schema per kind, then cross-references) together with the example's definitions it leaves in place.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments, parseDocument, stringify } from 'yaml';
import { describe, expect, it } from 'vitest';
import { runCli } from '../cli/cli-io.js';
import { copyFlightsProject, FLIGHTS_EXAMPLE_DIR } from '../helpers/flights.js';
import { tempDir } from '../helpers/temp-dir.js';
import { validateDefinitions } from '../../src/definitions/loader.js';
import { schemaObject } from '../../src/schemas.js';

const README = readFileSync(join(process.cwd(), 'README.md'), 'utf8');

interface Line {
  n: number;
  text: string;
}

/** README lines outside fenced code blocks, numbered from 1. */
function proseLines(md: string): Line[] {
  const out: Line[] = [];
  let fence: string | null = null;
  md.split('\n').forEach((text, i) => {
    const m = /^\s*(`{3,}|~{3,})/.exec(text);
    if (m) {
      if (fence === null) fence = m[1][0].repeat(m[1].length);
      else if (m[1].startsWith(fence)) fence = null;
      return;
    }
    if (fence === null) out.push({ n: i + 1, text });
  });
  return out;
}

/** The fenced blocks of one language, with the line of their opening fence. */
function codeBlocks(md: string, lang: string): { line: number; text: string }[] {
  const out: { line: number; text: string }[] = [];
  const lines = md.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const open = /^(`{3,})(\S*)/.exec(lines[i]);
    if (!open) continue;
    const body: string[] = [];
    let j = i + 1;
    while (j < lines.length && !lines[j].startsWith(open[1])) body.push(lines[j++]);
    if (open[2] === lang) out.push({ line: i + 1, text: body.join('\n') });
    i = j;
  }
  return out;
}

/** GitHub's anchor for a heading (github-slugger): rendered text, lowercase, only letters, digits, _, - and spaces, spaces to -. */
export function slugOf(heading: string): string {
  const rendered = heading.replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1').replace(/<[^>]+>/g, '');
  return rendered.toLowerCase().replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '').replace(/ /g, '-');
}

/** Every anchor the README's headings get, in order, with GitHub's -1, -2 suffixes for repeats. */
export function anchorsOf(md: string): Set<string> {
  const seen = new Map<string, number>();
  const anchors = new Set<string>();
  for (const { text } of proseLines(md)) {
    const h = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(text);
    if (!h) continue;
    const base = slugOf(h[1]);
    let slug = base;
    let n = seen.get(base) ?? 0;
    while (anchors.has(slug)) slug = `${base}-${++n}`;
    seen.set(base, n);
    anchors.add(slug);
  }
  return anchors;
}

/** `line: #anchor` for every in-page link that names no heading. */
export function brokenAnchors(md: string): string[] {
  const anchors = anchorsOf(md);
  const out: string[] = [];
  for (const { n, text } of proseLines(md)) {
    for (const m of text.matchAll(/\]\(#([^)\s]+)\)|href="#([^"]+)"/g)) {
      const anchor = decodeURIComponent(m[1] ?? m[2]);
      if (!anchors.has(anchor)) out.push(`${n}: #${anchor}`);
    }
  }
  return out;
}

/** `line: first cell` of every table row whose first cell an earlier row of the same table already has. */
export function repeatedFirstCells(md: string): string[] {
  const out: string[] = [];
  let table: Map<string, number> | null = null;
  let row = 0;
  for (const { n, text } of proseLines(md)) {
    if (!text.trimStart().startsWith('|')) {
      table = null;
      continue;
    }
    if (table === null) {
      table = new Map();
      row = 0;
    }
    row++;
    if (row <= 2) continue; // the header and the |---| line
    const first = text.trim().slice(1).split(/(?<!\\)\|/)[0].trim();
    if (first === '') continue; // a row that continues the one above (the checks table's family column)
    const earlier = table.get(first);
    if (earlier !== undefined) out.push(`${n}: '${first}' (also on line ${earlier})`);
    else table.set(first, n);
  }
  return out;
}

describe('README.md', () => {
  it('slugs headings as GitHub does', () => {
    expect(slugOf('Statistics: `featureguard/stats`')).toBe('statistics-featureguardstats');
    expect(slugOf('`featureguard check` in CI')).toBe('featureguard-check-in-ci');
    expect(slugOf('Quick tour: from definitions to a model\'s features')).toBe('quick-tour-from-definitions-to-a-models-features');
    expect([...anchorsOf('# A\n## SDK\n```\n## not a heading\n```\n### SDK\n#### SDK 1\n### SDK')]).toEqual(['a', 'sdk', 'sdk-1', 'sdk-1-1', 'sdk-2']);
    expect(brokenAnchors('## SDK\n## SDK\n[a](#sdk-1) [b](#sdk-2)\n')).toEqual(['3: #sdk-2']);
    expect(repeatedFirstCells('| a | b |\n|---|---|\n| x | 1 |\n| | 1b |\n| y | 2 |\n| | 2b |\n| x | 3 |\n\n| a |\n|---|\n| y |\n')).toEqual(["7: 'x' (also on line 3)"]);
  });

  it('every in-page link (#anchor) names a heading', () => {
    expect(brokenAnchors(README)).toEqual([]);
  });

  it('no table lists two rows with the same first cell', () => {
    expect(repeatedFirstCells(README)).toEqual([]);
  });

  const yamlBlocks = codeBlocks(README, 'yaml').map((b) => ({ ...b, docs: parseAllDocuments(b.text).map((d) => d.toJS() as unknown) }));
  const isRecord = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);
  // Another file's YAML (Feast's feature_store.yaml, a CI workflow) says which file it is in its first line.
  const otherFile = (text: string) => /^#\s*\S+\.ya?ml\b/.test(text) && !/^#\s*featureguard\.yaml\b/.test(text);
  const projectKeys = new Set(Object.keys((schemaObject('project') as { properties: Record<string, unknown> }).properties));
  const definitionBlocks = yamlBlocks.filter((b) => b.docs.some((d) => isRecord(d) && 'kind' in d));
  const configBlocks = yamlBlocks.filter(
    (b) => !otherFile(b.text) && b.docs.length === 1 && isRecord(b.docs[0]) && !('kind' in b.docs[0]) && Object.keys(b.docs[0]).every((k) => projectKeys.has(k)),
  );

  it('finds the featureguard.yaml and definition examples', () => {
    expect(definitionBlocks.length).toBeGreaterThanOrEqual(4);
    expect(configBlocks.length).toBeGreaterThanOrEqual(8);
  });

  it('every definition example passes the loader, beside the flights example definitions it does not replace', () => {
    const example: Record<string, unknown>[] = [];
    for (const f of readdirSync(join(FLIGHTS_EXAMPLE_DIR, 'features'))) {
      for (const d of parseAllDocuments(readFileSync(join(FLIGHTS_EXAMPLE_DIR, 'features', f), 'utf8'))) example.push(d.toJS() as Record<string, unknown>);
    }
    const key = (d: Record<string, unknown>) => `${String(d.kind)}:${String(d.name)}`;
    const problems: string[] = [];
    for (const b of definitionBlocks) {
      const own = b.docs.filter(isRecord);
      const names = new Set(own.map(key));
      try {
        validateDefinitions([...example.filter((d) => !names.has(key(d))), ...own], FLIGHTS_EXAMPLE_DIR, `README.md:${b.line}`);
      } catch (e) {
        problems.push(`README.md:${b.line}: ${(e as Error).message}`);
      }
    }
    expect(problems).toEqual([]);
  });

  it('every featureguard.yaml example validates on the flights example without warnings', async () => {
    const base = await copyFlightsProject(join(tempDir('fg-readme-'), 'flights'), { data: 'link' });
    const exampleConfig = parseDocument(readFileSync(join(FLIGHTS_EXAMPLE_DIR, 'featureguard.yaml'), 'utf8')).toJS() as Record<string, unknown>;
    const results: string[] = [];
    for (const b of configBlocks) {
      const fragment = b.docs[0] as Record<string, unknown>;
      // An alert's secret is the deployer's: set here, so that only what the README wrote can warn.
      const secrets = ((fragment.alerts ?? []) as { secret_env?: string }[]).map((a) => a.secret_env).filter((s): s is string => s !== undefined);
      for (const s of secrets) process.env[s] = 'readme-lint';
      writeFileSync(join(base, 'featureguard.yaml'), stringify({ ...exampleConfig, ...fragment, project: exampleConfig.project }));
      try {
        const r = await runCli(['--project', base, 'validate']);
        const said = `${r.out}\n${r.err}`;
        if (r.code !== 0 || /warning/i.test(said)) results.push(`README.md:${b.line}: exit ${r.code}\n${said.trim()}`);
      } finally {
        for (const s of secrets) delete process.env[s];
      }
    }
    expect(results).toEqual([]);
  }, 120_000);
});
