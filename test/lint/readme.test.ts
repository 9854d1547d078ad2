/**
 * README.md stays navigable and its examples stay true:
 * - every `](#anchor)` link names a heading, by GitHub's slug rules (lowercase, punctuation dropped, spaces to
 *   hyphens, a repeated heading gets `-1`, `-2`, ...);
 * - no table has two rows with the same first cell (two copies of a row drift apart and contradict each other);
 * - every ```yaml/```yml block (any indentation) is classified by readme-yaml.ts: one that is a featureguard.yaml (or
 *   a part of one) has only the project's top-level keys (an unknown one is named with its README line) and validates
 *   with `featureguard validate` on the flights example, without warnings; every block of definitions (`kind:`), and
 *   every `<!-- lint: fragment of KIND -->` merged into the example's definition of that kind, passes the loader's
 *   validation (JSON Schema per kind, then cross-references) together with the example's definitions it leaves in
 *   place; a block left unchecked is marked `<!-- lint: skip: WHY -->` or names its (other) file in its first line.
 * README_LINT_FILE=path lints another README (a mutated copy, to see these tests fail).
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseAllDocuments, parseDocument, stringify } from 'yaml';
import { describe, expect, it } from 'vitest';
import { runCli } from '../cli/cli-io.js';
import { copyFlightsProject, FLIGHTS_EXAMPLE_DIR } from '../helpers/flights.js';
import { tempDir } from '../helpers/temp-dir.js';
import { validateDefinitions } from '../../src/definitions/loader.js';
import { schemaObject } from '../../src/schemas.js';
import { configProblems, mergeFragment, yamlBlocks } from './readme-yaml.js';

const README_FILE = resolve(process.env.README_LINT_FILE ?? join(process.cwd(), 'README.md'));
const README = readFileSync(README_FILE, 'utf8');
const projectKeys = new Set(Object.keys((schemaObject('project') as { properties: Record<string, unknown> }).properties));

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

  const blocks = yamlBlocks(README);
  const isRecord = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);
  const definitionBlocks = blocks.filter((b) => b.class === 'definitions');
  const fragmentBlocks = blocks.filter((b) => b.class === 'fragment');
  const configBlocks = blocks.filter((b) => b.class === 'config');

  it('classifies YAML blocks: yml and indented fences, marks, unknown top-level keys named with their line', () => {
    const md = [
      '# T', // 1
      '```yaml', // 2
      'qualty: {drift: {policy: warn}}', // 3
      '```', // 4
      '- a list item:', // 5
      '  ```yml', // 6
      '  quality: {}', // 7
      '  alert: []', // 8
      '  ```', // 9
      '<!-- lint: fragment of feature_view -->', // 10
      '', // 11
      '~~~yaml', // 12
      'features: []', // 13
      '~~~', // 14
      '<!-- lint: skip: Prometheus rules -->', // 15
      '```yaml', // 16
      '- alert: X', // 17
      '```', // 18
      '```yaml', // 19
      '- alert: Y', // 20
      '```', // 21
      '```yaml', // 22
      '# .github/workflows/x.yml', // 23
      'on: push', // 24
      '```', // 25
      '```yaml', // 26
      'kind: entity', // 27
      '```', // 28
      '```text', // 29
      'qualty: 1', // 30
      '```', // 31
    ].join('\n');
    const got = yamlBlocks(md);
    expect(got.map((b) => [b.line, b.class, b.mark])).toEqual([
      [2, 'config', undefined],
      [6, 'config', undefined],
      [12, 'fragment', 'feature_view'],
      [16, 'skipped', 'Prometheus rules'],
      [19, 'config', undefined],
      [22, 'other-file', undefined],
      [26, 'definitions', undefined],
    ]);
    expect(got[1].text).toBe('quality: {}\nalert: []');
    const problems = got.filter((b) => b.class === 'config').flatMap((b) => configProblems(b, projectKeys));
    expect(problems).toEqual([
      expect.stringMatching(/^README\.md:3: unknown top-level key 'qualty' of featureguard\.yaml \(did you mean 'quality'\?\)/),
      expect.stringMatching(/^README\.md:8: unknown top-level key 'alert' of featureguard\.yaml \(did you mean 'alerts'\?\)/),
      expect.stringMatching(/^README\.md:19: not a mapping: .*<!-- lint: skip: WHY -->/),
    ]);
    expect(configProblems(yamlBlocks('```yaml\n# only a comment\n```')[0], projectKeys)).toEqual([expect.stringMatching(/^README\.md:1: no YAML value \(comments only\)/)]);
    expect(configProblems(yamlBlocks('```yaml\nquality: {a: 1\n```')[0], projectKeys)).toEqual([expect.stringMatching(/^README\.md:\d+: /)]);
    expect(mergeFragment({ name: 'v', features: [{ name: 'a' }], quality: { x: 1 } }, { features: [{ name: 'b' }], quality: { y: 2 } })).toEqual({
      name: 'v',
      features: [{ name: 'a' }, { name: 'b' }],
      quality: { y: 2 },
    });
  });

  it('has featureguard.yaml and definition examples to check', () => {
    expect(definitionBlocks.map((b) => b.line), 'no definition block found: is the fence syntax still ```yaml?').not.toEqual([]);
    expect(configBlocks.map((b) => b.line), 'no featureguard.yaml block found: is the fence syntax still ```yaml?').not.toEqual([]);
  });

  it('every featureguard.yaml example has only the project\'s top-level keys, and every unchecked block says why', () => {
    expect(configBlocks.flatMap((b) => configProblems(b, projectKeys))).toEqual([]);
    expect(blocks.flatMap((b) => (b.class === 'config' ? [] : b.errors))).toEqual([]);
  });

  it('every definition example passes the loader, beside the flights example definitions it does not replace', () => {
    const example: Record<string, unknown>[] = [];
    for (const f of readdirSync(join(FLIGHTS_EXAMPLE_DIR, 'features'))) {
      for (const d of parseAllDocuments(readFileSync(join(FLIGHTS_EXAMPLE_DIR, 'features', f), 'utf8'))) example.push(d.toJS() as Record<string, unknown>);
    }
    const key = (d: Record<string, unknown>) => `${String(d.kind)}:${String(d.name)}`;
    const problems: string[] = [];
    for (const b of [...definitionBlocks, ...fragmentBlocks]) {
      let own = b.docs.filter(isRecord);
      if (b.class === 'fragment') {
        const into = example.find((d) => d.kind === b.mark);
        if (into === undefined || own.length !== 1) {
          problems.push(`README.md:${b.line}: a fragment of ${b.mark} is one mapping, and the flights example has a ${b.mark} to merge it into`);
          continue;
        }
        own = [mergeFragment(into, own[0])];
      }
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
    const checkable = configBlocks.filter((b) => configProblems(b, projectKeys).length === 0);
    const base = await copyFlightsProject(join(tempDir('fg-readme-'), 'flights'), { data: 'link' });
    const exampleConfig = parseDocument(readFileSync(join(FLIGHTS_EXAMPLE_DIR, 'featureguard.yaml'), 'utf8')).toJS() as Record<string, unknown>;
    const results: string[] = [];
    for (const b of checkable) {
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
