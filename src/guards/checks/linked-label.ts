/**
 * Target leakage on label-linked views (QUALITY-CHECKS.md §3 leakage): a feature
 * view is linked to a label when a feature service consumes some of its features
 * and names that label (`label: outcome:delayed`). On a materialization, check or
 * push of the view, a deterministic sample of its rows (up to `sample_rows`, by
 * hash of keys and event time) gets the label joined point-in-time — the label
 * view's latest row for the same keys at or before the row's event time, one
 * DuckDB `ASOF LEFT JOIN` — and each feature the service uses is scored against it
 * as a dataset build would score it. A feature that predicts the label almost
 * perfectly fails before any training set is built from it.
 *
 * Skipped, with the reason, when the label view's join keys are not columns of
 * the view's rows (the label is about another entity: only a dataset build's entity
 * rows can join the two), and below `drift.min_rows` rows (a few rows score 0 or 1
 * by chance: small pushes are not judged).
 */
import { randomBytes } from 'node:crypto';
import { featuresOfView, viewJoinKeys } from '../../definitions/definition-set.js';
import type { DefinitionSet, FeatureViewDef } from '../../definitions/types.js';
import { ident } from '../../offline/engine.js';
import { runSetup, viewRelationSql } from '../../offline/source-sql.js';
import type { CheckResult } from '../../runs/types.js';
import { policyOf, result, skipped, type CheckContext } from '../check.js';
import { describeTable } from '../profile.js';
import { targetLeakage } from './target-leakage.js';

const FAMILY = 'leakage' as const;

interface Link {
  label: string;
  labelView: FeatureViewDef;
  labelFeature: string;
  services: string[];
  /** Columns of the view's rows the services use as features. */
  features: string[];
}

/** The labels linked to `view` through feature services, with the features each service uses. */
function linksOf(set: DefinitionSet, view: FeatureViewDef): Link[] {
  const links = new Map<string, Link>();
  for (const service of set.services.values()) {
    if (!service.label) continue;
    const used = featuresOfView(set, service.features, view.name);
    if (used.length === 0) continue;
    const [labelViewName, labelFeature] = service.label.split(':', 2) as [string, string];
    const labelView = set.views.get(labelViewName);
    if (!labelView || labelView.name === view.name) continue;
    const link = links.get(service.label) ?? { label: service.label, labelView, labelFeature, services: [], features: [] };
    link.services.push(service.name);
    for (const f of used) if (!link.features.includes(f)) link.features.push(f);
    links.set(service.label, link);
  }
  return [...links.values()];
}

/** Target leakage of a view's rows against every label linked to it. */
export async function linkedLabelLeakage(ctx: CheckContext, view: FeatureViewDef): Promise<CheckResult[]> {
  if (policyOf(ctx, FAMILY) === 'off') return [];
  const set = ctx.definitions;
  const links = linksOf(set, view);
  if (links.length === 0) return [skipped(ctx, FAMILY, `no feature service pairs ${view.name} with a label: target leakage is checked on dataset builds`, { method: 'target' })];
  if (!ctx.eventTimestampColumn || ctx.rowCount === 0) return [skipped(ctx, FAMILY, 'no rows with an event timestamp to join labels onto', { method: 'target' })];
  // A handful of rows scores 0 or 1 by chance (two rows with different labels give an AUC of 0 or 1).
  const minRows = ctx.quality.drift.min_rows;
  if (ctx.rowCount < minRows) return [skipped(ctx, FAMILY, `${ctx.rowCount} row(s) < min_rows ${minRows}: too few to score target leakage`, { method: 'target' })];
  const out: CheckResult[] = [];
  const have = new Set(ctx.columns.map((c) => c.name));
  for (const link of links) {
    const keys = viewJoinKeys(set, link.labelView).map((k) => k.name);
    const missing = keys.filter((k) => !have.has(k));
    if (missing.length) {
      out.push(skipped(ctx, FAMILY, `label ${link.label} is keyed by ${keys.join(', ')}; the rows of ${view.name} lack ${missing.join(', ')}: checked on dataset builds only`, { method: 'target', details: { label: link.label } }));
      continue;
    }
    out.push(...(await scoreLink(ctx, set, link, keys)));
  }
  return out;
}

async function scoreLink(ctx: CheckContext, set: DefinitionSet, link: Link, keys: string[]): Promise<CheckResult[]> {
  const rel = viewRelationSql(ctx.project.sourceRoots, set, link.labelView);
  await runSetup(ctx.conn, rel.setup);
  const features = link.features.filter((f) => ctx.columns.some((c) => c.name === f));
  const labelColumn = features.includes(link.labelFeature) || keys.includes(link.labelFeature) ? `__fg_label_${link.labelFeature}` : link.labelFeature;
  const table = `fg_leakage_${randomBytes(6).toString('hex')}`;
  const ts = ident(ctx.eventTimestampColumn!);
  const sampleRows = Math.max(1, Math.floor(ctx.quality.leakage.sample_rows));
  const on = [...keys.map((k) => `s.${ident(k)} = l.${ident(k)}`), `s.${ts} >= l.event_timestamp`].join(' AND ');
  const sample = `${table}_rows`;
  const k = keys.map(ident).join(', ');
  try {
    await ctx.conn.run(`CREATE TEMP TABLE ${ident(sample)} AS SELECT * FROM ${ident(ctx.table)} WHERE ${ts} IS NOT NULL ORDER BY hash(${[...keys, ctx.eventTimestampColumn!].map(ident).join(', ')}) LIMIT ${sampleRows}`);
    // The label side: only rows up to the newest sampled time (the scan skips later data), one row per
    // (keys, event time): the latest created, then the greatest label value, so reruns agree.
    await ctx.conn.run(
      `CREATE TEMP TABLE ${ident(table)} AS
       WITH l AS (
         SELECT ${k}, event_timestamp, ${ident(link.labelFeature)} FROM (${rel.select}) AS src
         WHERE event_timestamp <= (SELECT max(${ts}) FROM ${ident(sample)})
         QUALIFY row_number() OVER (PARTITION BY ${k}, event_timestamp ORDER BY created_timestamp DESC NULLS LAST, ${ident(link.labelFeature)} DESC NULLS LAST) = 1
       )
       SELECT ${[...keys, ctx.eventTimestampColumn!, ...features].map((c) => `s.${ident(c)}`).join(', ')}, l.${ident(link.labelFeature)} AS ${ident(labelColumn)}
       FROM ${ident(sample)} AS s ASOF LEFT JOIN l ON ${on}`,
    );
    // Rows without a label as of their time (new entities, labels that come later) do not count.
    const labelled = Number((await ctx.conn.runAndReadAll(`SELECT count(${ident(labelColumn)}) AS n FROM ${ident(table)}`)).getRowsJS()[0][0]);
    if (labelled < ctx.quality.drift.min_rows) {
      return [skipped(ctx, FAMILY, `only ${labelled} sampled row(s) have a label ${link.label} as of their time (< min_rows ${ctx.quality.drift.min_rows}): too few to score target leakage`, { method: 'target', details: { label: link.label, services: link.services } })];
    }
    const sub: CheckContext = {
      ...ctx,
      table,
      columns: await describeTable(ctx.conn, table),
      features: ctx.features.filter((f) => features.includes(f.column)),
      dataset: { entityTimestampColumn: ctx.eventTimestampColumn!, joinKeyColumns: keys, labelColumn, availability: 'event', viewTimestamps: [], features: [] },
    };
    const results = await targetLeakage(sub, sub.dataset!);
    const via = `label ${link.label} via ${link.services.join(', ')}`;
    return results.map((r) => ({
      ...r,
      message: `${r.message} (${via})`,
      details: { ...(r.details ?? {}), label: link.label, label_view: link.labelView.name, services: link.services },
    }));
  } catch (e) {
    return [result(ctx, { check: FAMILY, method: 'target', status: 'error', message: `target leakage against ${link.label} could not be computed: ${(e as Error).message.split('\n')[0]}`, details: { label: link.label } })];
  } finally {
    for (const t of [table, sample]) await ctx.conn.run(`DROP TABLE IF EXISTS ${ident(t)}`).catch(() => undefined);
  }
}
