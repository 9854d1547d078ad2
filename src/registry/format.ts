/**
 * Human-readable text for plans and version histories (the CLI's output; the
 * `--json` output is the plain objects). Compact: one line per object, one
 * indented line per changed field, breaking changes marked `!`.
 */
import { describeAppliedBy } from './applied-by.js';
import type { DropReason, FieldChange, ObjectChange, Plan, VersionRecord } from './types.js';

export interface FormatOptions {
  /** Colour (ANSI) the markers: only when writing to a terminal. */
  color?: boolean;
  /** The plan is about to be applied with `--allow-breaking` (changes the breaking-change note). */
  allowBreaking?: boolean;
  /** The plan is about to be applied with `--allow-removals` (changes the removal note). */
  allowRemovals?: boolean;
}

const MARK = { add: '+', change: '~', remove: '-', unchanged: ' ' } as const;
const ANSI = { add: '32', change: '33', remove: '31', unchanged: '0', breaking: '1;31' } as const;

function paint(text: string, code: string, color: boolean | undefined): string {
  return color ? `\u001b[${code}m${text}\u001b[0m` : text;
}

/** `"6h"`, `12`, `{"name":"x",...}` shortened to `max` characters; absent values as `(none)`. */
export function formatValue(value: unknown, max = 72): string {
  if (value === null || value === undefined) return '(none)';
  const text = JSON.stringify(value);
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** One line per changed field: `/ttl: "6h" -> "12h"`, `/features/p90_delay: added {...}`, `/features/x: removed`. */
export function formatFieldChanges(changes: readonly FieldChange[], indent = '      '): string[] {
  return changes.map((c) => {
    if (c.before === null && c.after !== null && typeof c.after === 'object' && !Array.isArray(c.after)) return `${indent}${c.path}: added ${formatValue(c.after)}`;
    if (c.after === null && c.before !== null && typeof c.before === 'object' && !Array.isArray(c.before)) return `${indent}${c.path}: removed`;
    return `${indent}${c.path}: ${formatValue(c.before)} -> ${formatValue(c.after)}`;
  });
}

function formatObjectChange(c: ObjectChange, options: FormatOptions): string[] {
  const head = `  ${paint(MARK[c.action], ANSI[c.action], options.color)} ${c.kind} ${c.name}`;
  const lines = [head];
  if (c.action === 'change') lines.push(...formatFieldChanges(c.changes));
  for (const reason of c.breaking) lines.push(`      ${paint('! BREAKING:', ANSI.breaking, options.color)} ${reason}`);
  return lines;
}

/** Counts per action. */
export function planCounts(plan: Plan): Record<ObjectChange['action'], number> {
  const counts = { add: 0, change: 0, remove: 0, unchanged: 0 };
  for (const c of plan.changes) counts[c.action]++;
  return counts;
}

/**
 * The plan as text.
 *
 * @example
 * Plan: 0 to add, 1 to change, 0 to remove, 8 unchanged.
 *   ~ feature_view airport_hourly
 *       /ttl: "6h" -> "12h"
 */
export function formatPlan(plan: Plan, options: FormatOptions = {}): string {
  const n = planCounts(plan);
  const lines = [`Plan: ${n.add} to add, ${n.change} to change, ${n.remove} to remove, ${n.unchanged} unchanged.`];
  if (!plan.hasChanges) {
    lines.push('No changes: the registry matches the definitions.');
    return lines.join('\n');
  }
  for (const c of plan.changes) if (c.action !== 'unchanged') lines.push(...formatObjectChange(c, options));
  lines.push(...formatDrops(plan.drops, plan.dropReasons, false));
  lines.push(...plan.notes);
  if (plan.breaking) {
    const count = plan.changes.reduce((s, c) => s + c.breaking.length, 0);
    const verdict = options.allowBreaking ? 'applied because of --allow-breaking' : `apply refuses ${count > 1 ? 'them' : 'it'} unless --allow-breaking`;
    lines.push(paint(`${count} breaking change${count > 1 ? 's' : ''}: ${verdict}.`, ANSI.breaking, options.color));
  }
  // The CLI's apply removes only with --allow-removals (the SDK's and HTTP's plan is the plain object).
  if (n.remove > 0) {
    const verdict = options.allowRemovals ? 'applied because of --allow-removals' : `apply refuses ${n.remove > 1 ? 'them' : 'it'} unless --allow-removals`;
    lines.push(paint(`${n.remove} removal${n.remove > 1 ? 's' : ''}: ${verdict}.`, ANSI.remove, options.color));
  }
  return lines.join('\n');
}

const GONE: Partial<Record<DropReason, string>> = { removed: 'removed', no_longer_online: 'no longer online' };

/**
 * What an apply does (`done` false: the plan) or did (true: the apply's result) to the views it drops, as
 * `reasons` says: a view that stays online answers NOT_FOUND until materialized again; a removed one, or one no
 * longer online, loses its values for good; an offline one has none, only its quality history starts afresh. A
 * view without a reason was left to drop by an earlier apply.
 */
export function formatDrops(views: readonly string[], reasons: Readonly<Record<string, DropReason>>, done: boolean): string[] {
  const of = (...want: DropReason[]) => views.filter((v) => reasons[v] !== undefined && want.includes(reasons[v]));
  // Not in this plan: left pending by an earlier apply (the store could not be reached then), dropped now.
  const earlier = views.filter((v) => reasons[v] === undefined);
  const changed = of('changed');
  const gone = of('removed', 'no_longer_online');
  const offline = of('offline');
  const lines: string[] = [];
  if (changed.length > 0) {
    const many = changed.length > 1;
    lines.push(done
      ? `Dropped the online values of ${changed.join(', ')}: changed in a breaking way; ${many ? 'they answer' : 'it answers'} NOT_FOUND until materialized again.`
      : `Apply drops the online values of ${changed.join(', ')}: ${many ? 'they answer' : 'it answers'} NOT_FOUND until materialized again.`);
  }
  if (gone.length > 0) {
    lines.push(`${done ? 'Dropped' : 'Apply deletes'} the online values of ${gone.map((v) => `${v} (${GONE[reasons[v] as DropReason]})`).join(', ')}.`);
  }
  if (earlier.length > 0) lines.push(`${done ? 'Dropped' : 'Apply drops'} the online values of ${earlier.join(', ')}, left to drop by an earlier apply.`);
  if (offline.length > 0) {
    lines.push(`${done ? 'Started' : 'Apply starts'} the quality history of ${offline.join(', ')} afresh (not online: no online values to drop; drift and volume checks compare only later runs).`);
  }
  return lines;
}

/** `2026-11-25T18:10:02.123Z` -> `2026-11-25 18:10:02Z`. */
export function shortTime(iso: string): string {
  return iso.replace('T', ' ').replace(/\.\d+Z$/, 'Z');
}

/**
 * A version's one-line summary: `v2  2026-11-25 18:12:00Z  9a8b7c6d5e4f`, `(removed)` for removals, `(same as v1)`
 * for a version whose definition is an earlier one's (`sameAs`: a rollback), then who applied it (`by cli alice@build-7`).
 */
export function formatVersionLine(v: VersionRecord, sameAs: number | null = null): string {
  const mark = v.definition === null ? '  (removed)' : sameAs !== null ? `  (same as v${sameAs})` : '';
  const by = v.applied_by ? `  by ${describeAppliedBy(v.applied_by)}` : '';
  return `v${v.version}  ${shortTime(v.applied_at)}  ${v.hash.slice(0, 12)}${mark}${by}`;
}
