/**
 * A warned run says why in the runs list as on its page, and the CLI says under which policy a check failed
 * (review findings on the flights example: the runs page's "Why" and `runs list`'s MESSAGE were empty for warned
 * runs, whose message is null, while the run page said "Done with warnings: drift on mean_delay: … (and 5 more)";
 * `runs show` printed `[fail] drift.wasserstein …` in a warned run without its warn policy). Real runs of the
 * flights example through the real guard stage.
 */
import { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatRunList, formatRunShow } from '../../src/cli/commands/quality-format.js';
import { uiRoutes } from '../../src/server/ui/index.js';
import { createFlightsUiFixture, type FlightsUiFixture } from './flights-fixture.js';

let f: FlightsUiFixture;
let app: Hono;
beforeAll(async () => {
  f = await createFlightsUiFixture();
  app = new Hono().route('/ui', uiRoutes(f.project));
}, 60_000);
afterAll(async () => f?.close());

const text = (html: string) =>
  html.replace(/<[^>]+>/g, '').replace(/&#39;/g, "'").replace(/&quot;/g, '"').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&').replace(/\s+/g, ' ').trim();

describe('a warned run in the lists', () => {
  it('has no stored message (the premise) and several checks that did not pass', () => {
    expect(f.drifted.status).toBe('warned');
    expect(f.drifted.message).toBeNull();
    expect(f.drifted.counts.warn + f.drifted.counts.fail).toBeGreaterThan(1);
  });

  it("shows on the runs page the reason its own page gives, with how many more checks did not pass", async () => {
    const page = await (await app.request(`/ui/runs/${f.drifted.id}`)).text();
    const verdict = text(/<p class="reason warned" id="reason"[^>]*>([\s\S]*?)<\/p>/.exec(page)![1]);
    const m = /^Done with warnings: (.+?) \(and (\d+) more: see the checks\)$/.exec(verdict);
    expect(m, verdict).not.toBeNull();
    const [, reason, more] = m!;
    expect(Number(more)).toBe(f.drifted.counts.warn + f.drifted.counts.fail - 1);

    const list = await (await app.request('/ui/runs')).text();
    const row = new RegExp(`<tr data-run-id="${f.drifted.id}"[^>]*>([\\s\\S]*?)</tr>`).exec(list)![1];
    const cells = [...row.matchAll(/<td[^>]*>([\s\S]*?)<\/td>/g)].map((c) => text(c[1]));
    expect(cells[cells.length - 1]).toBe(`${reason.length > 160 ? `${reason.slice(0, 159)}…` : reason} (and ${more} more)`);
  });

  it('shows the same reason in runs list (cut to 80 characters), and the stored message of the blocked run as before', () => {
    const results = (id: string) => f.project.runs.results(id);
    const out = formatRunList([f.drifted, f.blocked], 2, 0, results);
    const page = /^(.+?): (.+)$/.exec(out.split('\n')[1].split(/\s{2,}/).pop()!)!;
    expect(page[1]).toMatch(/^drift on [a-z_]+$/);
    expect(out.split('\n')[1]).toMatch(new RegExp(` \\(and ${f.drifted.counts.warn + f.drifted.counts.fail - 1} more\\)$`));
    expect(out.split('\n')[2]).toContain(f.blocked.message!.split('\n')[0].slice(0, 60));
  });
});

describe('runs show', () => {
  it("prints a warned run's reason on its WHY line, as its page and runs list give it, and a blocked run's stored message as before", () => {
    const results = f.project.runs.results(f.drifted.id);
    const out = formatRunShow(f.drifted, results, [], [], false);
    const why = out.split('\n').filter((l) => l.startsWith('  WHY: '));
    expect(why, out).toHaveLength(1);
    // The runs list's MESSAGE is the same reason, cut to 80 characters, with the same count of more checks.
    const listed = formatRunList([f.drifted], 1, 0, () => results).split('\n')[1].split(/\s{2,}/).pop()!;
    const more = f.drifted.counts.warn + f.drifted.counts.fail - 1;
    expect(more).toBeGreaterThan(0);
    const m = /^ {2}WHY: (.+) \(and (\d+) more: see the checks below\)$/.exec(why[0]);
    expect(m, why[0]).not.toBeNull();
    expect(Number(m![2])).toBe(more);
    expect(listed).toBe(`${m![1].length > 80 ? `${m![1].slice(0, 79)}…` : m![1]} (and ${more} more)`);
    // The worst result, named independently: a failed (warn-policy) drift check comes before the warned ones.
    const worst = results.find((r) => r.status === 'fail') ?? results.find((r) => r.status === 'warn')!;
    expect(m![1]).toBe(`${worst.check}${worst.feature ? ` on ${worst.feature}` : ''}: ${worst.message}`);

    const blocked = formatRunShow(f.blocked, f.project.runs.results(f.blocked.id), [], [], false);
    expect(blocked).toContain(`  WHY: ${f.blocked.message!.split('\n')[0]}`);
    expect(formatRunShow(f.reference, f.project.runs.results(f.reference.id), [], [], false)).not.toContain('WHY:');
  });

  it("names the policy of every failed or errored check, warn included", () => {
    const results = f.project.runs.results(f.drifted.id);
    const failed = results.filter((r) => r.status === 'fail' || r.status === 'error');
    expect(failed.length).toBeGreaterThan(0);
    const out = formatRunShow(f.drifted, results, [], [], false);
    for (const r of failed) {
      const line = out.split('\n').find((l) => l.includes(`[${r.status}]`) && l.includes(r.message.split('\n')[0].slice(0, 40)));
      expect(line, r.message).toContain(`[${r.status}] (${r.policy}) `);
    }
  });
});
