/**
 * `plan` and `apply` as a regression review found them: apply --json's `generation`, plan's removal warning, a
 * registry that moved under --expect-generation, the removal refusal's wording, usage errors under --json.
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from './cli-io.js';
import { SMALL_DEFS, writeSmallProject } from './small-project.js';

let dir: string;
const fg = (...argv: string[]) => runCli(['--project', dir, ...argv]);
const defsFile = () => join(dir, 'features', 'defs.yaml');
beforeEach(() => {
  dir = writeSmallProject('fg-apply-plan-review-');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('apply --json', () => {
  it('has the generation the registry is at after the apply (the next plan --json generation)', async () => {
    const plan = JSON.parse((await fg('--json', 'plan')).out) as { generation: number };
    const applied = await fg('--json', 'apply');
    expect(applied.code).toBe(0);
    const result = JSON.parse(applied.out) as { generation?: number; applied: unknown[] };
    expect(result.applied.length).toBeGreaterThan(0);
    const next = JSON.parse((await fg('--json', 'plan')).out) as { generation: number };
    expect(result.generation).toBe(next.generation);
    expect(result.generation).toBeGreaterThan(plan.generation);
    // Nothing to apply: the generation stays.
    const again = JSON.parse((await fg('--json', 'apply')).out) as { generation?: number; applied: unknown[] };
    expect([again.applied.length, again.generation]).toEqual([0, next.generation]);
  });
});

describe('plan with a removal', () => {
  it('says apply refuses it unless --allow-removals, as it says for breaking changes; apply --allow-removals says it is applied', async () => {
    expect((await fg('apply')).code).toBe(0);
    // The service left out of the files: one removal, not breaking.
    writeFileSync(defsFile(), SMALL_DEFS.slice(0, SMALL_DEFS.indexOf('---\nkind: feature_service')));
    const plan = await fg('plan');
    expect(plan.code).toBe(0);
    expect(plan.out).toContain('  - feature_service svc');
    expect(plan.out.split('\n')).toContain('1 removal: apply refuses it unless --allow-removals.');
    expect(plan.out).not.toContain('breaking change');
    // The refused apply prints the same plan first.
    const refused = await fg('apply');
    expect(refused.code).toBe(2);
    expect(refused.out.split('\n')).toContain('1 removal: apply refuses it unless --allow-removals.');
    const applied = await fg('apply', '--allow-removals');
    expect(applied.code).toBe(0);
    expect(applied.out.split('\n')).toContain('1 removal: applied because of --allow-removals.');
    // --json's plan is the plain object: no text added.
    expect(JSON.stringify(JSON.parse((await fg('--json', 'plan')).out))).not.toContain('allow-removals');
  });

  it('counts several removals', async () => {
    expect((await fg('apply')).code).toBe(0);
    writeFileSync(defsFile(), SMALL_DEFS.slice(0, SMALL_DEFS.indexOf('---\nkind: feature_view')));
    const plan = await fg('plan');
    expect(plan.out.split('\n')).toContain('2 removals: apply refuses them unless --allow-removals.');
  });
});

describe('apply --expect-generation onto a registry that moved', () => {
  it('says the registry moved instead of printing a plan made against the current registry, then refuses', async () => {
    const reviewed = JSON.parse((await fg('--json', 'plan')).out) as { generation: number };
    // A teammate's apply comes in between: the registry now matches the files.
    expect((await fg('apply')).code).toBe(0);
    const now = JSON.parse((await fg('--json', 'plan')).out) as { generation: number };
    expect(now.generation).toBeGreaterThan(reviewed.generation);
    const r = await fg('apply', '--expect-generation', String(reviewed.generation));
    expect(r.code).toBe(2);
    expect(r.out).not.toContain('Plan:');
    expect(r.out).not.toContain('No changes');
    expect(r.out).toBe(`The registry moved from generation ${reviewed.generation} to ${now.generation} since the plan you reviewed: nothing applied.`);
    expect(r.err).toMatch(/^error: the registry changed since generation \d+/);
    // At the current generation: the plan as before.
    const ok = await fg('apply', '--expect-generation', String(now.generation));
    expect([ok.code, ok.out.split('\n')[0]]).toEqual([0, 'Plan: 0 to add, 0 to change, 0 to remove, 4 unchanged.']);
  });
});

describe('the removal refusal', () => {
  it('speaks of dropping online values only when a view is among the removals', async () => {
    expect((await fg('apply')).code).toBe(0);
    writeFileSync(defsFile(), SMALL_DEFS.slice(0, SMALL_DEFS.indexOf('---\nkind: feature_service')));
    const service = await fg('apply');
    expect(service.code).toBe(2);
    expect(service.err).toBe(
      "error: refusing to remove 1 applied object the project's files no longer define (pass --allow-removals to remove it, or restore its definition to keep it):\n  - feature_service svc",
    );
    writeFileSync(defsFile(), SMALL_DEFS.slice(0, SMALL_DEFS.indexOf('---\nkind: feature_view')));
    const view = await fg('apply');
    expect(view.code).toBe(2);
    expect(view.err.split('\n')[0]).toContain(
      "error: refusing to remove 2 applied objects the project's files no longer define (pass --allow-removals to remove them, dropping the online values of removed views, or restore their definitions to keep them)",
    );
    expect(readFileSync(defsFile(), 'utf8')).not.toContain('feature_view');
  });
});

describe('a flag the parser refuses, under --json', () => {
  it('is one {"error"} document on stderr, code usage, exit 2; plain text without --json', async () => {
    for (const argv of [['runs', 'prune', '--json'], ['--json', 'runs', 'prune']]) {
      const r = await fg(...argv);
      expect(r.code).toBe(2);
      expect(r.out).toBe('');
      expect(JSON.parse(r.err)).toEqual({ error: { code: 'usage', message: "required option '--older-than <when>' not specified", details: null } });
    }
    const unknown = await fg('--json', 'apply', '--allow-removal');
    expect(unknown.code).toBe(2);
    const e = (JSON.parse(unknown.err) as { error: { code: string; message: string } }).error;
    expect(e.code).toBe('usage');
    expect(e.message).toMatch(/^unknown option '--allow-removal'/);
    expect(e.message).toContain('--allow-removals');
    const plain = await fg('runs', 'prune');
    expect([plain.code, plain.err]).toEqual([2, "error: required option '--older-than <when>' not specified\n(add --help for usage)"]);
    // Help is not an error.
    const help = await fg('--json', 'runs', 'prune', '--help');
    expect(help.code).toBe(0);
    expect(help.out).toContain('--older-than');
  });
});
