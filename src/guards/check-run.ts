/**
 * `featureguard check` as a service: run the guards on a view's window or on a
 * dataset file without materializing anything, recorded as a run of kind
 * `check` (CI pipelines fail on a `block` verdict).
 *
 * @example
 * const r = await checkView(project, { view: 'airport_daily', start: '2001-06-01', end: '2001-07-01' });
 * if (r.verdict === 'block') process.exitCode = 1;
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { getService, getView, resolveFeatureRefs, viewJoinKeys } from '../definitions/definition-set.js';
import { InputError } from '../errors.js';
import { ident, literal } from '../offline/engine.js';
import type { Project } from '../project.js';
import { viewLineage } from '../runs/lineage-record.js';
import type { Run } from '../runs/types.js';
import { rawViewRelationSql } from './raw-relation.js';
import { runGuardStage, type DatasetGuardInfo, type GuardStageResult } from './stage.js';

export interface CheckRunResult extends GuardStageResult {
  readonly run: Run;
}

function toDate(v: string | Date, what: string): Date {
  const d = v instanceof Date ? v : new Date(/^\d{4}-\d{2}-\d{2}$/.test(v) ? `${v}T00:00:00Z` : v);
  if (Number.isNaN(d.getTime())) throw new InputError(`invalid ${what} '${String(v)}': use an ISO 8601 date or time`);
  return d;
}

function sqlTs(d: Date): string {
  return `TIMESTAMP ${literal(d.toISOString().replace('T', ' ').replace('Z', ''))}`;
}

function finish(project: Project, run: Run, g: GuardStageResult, rows: number): CheckRunResult {
  const updated = project.runs.update(run.id, {
    status: g.verdict === 'block' ? 'blocked' : g.verdict === 'warn' ? 'warned' : 'success',
    finished_at: new Date().toISOString(),
    rows_in: rows,
    message: g.blockedReason,
    counts: g.counts,
  });
  return { ...g, run: updated };
}

/** Run the guards on the rows of `view` with `start <= event_timestamp < end`. */
export async function checkView(project: Project, opts: { view: string; start: string | Date; end: string | Date; now?: Date }): Promise<CheckRunResult> {
  const set = project.registry.current();
  const view = getView(set, opts.view);
  const window = { start: toDate(opts.start, 'start'), end: toDate(opts.end, 'end') };
  if (window.end <= window.start) throw new InputError('--end must be after --start');
  const conn = await (await project.engine()).connect();
  const run = project.runs.create({ kind: 'check', view: view.name, window_start: window.start.toISOString(), window_end: window.end.toISOString() });
  const table = `fg_check_${run.id.replaceAll('-', '')}`;
  try {
    const rel = await rawViewRelationSql(project, view, conn);
    const withLineage = project.runs.update(run.id, { lineage: await viewLineage(project, set, view, conn, rel.select, { job: `check:${view.name}`, output: null }) });
    await conn.run(`CREATE TEMP TABLE ${ident(table)} AS SELECT * FROM (${rel.select}) WHERE event_timestamp >= ${sqlTs(window.start)} AND event_timestamp < ${sqlTs(window.end)}`);
    const rows = Number((await conn.runAndReadAll(`SELECT count(*) FROM ${ident(table)}`)).getRowsJS()[0][0]);
    const g = await runGuardStage({ project, run: withLineage, kind: 'check', view, conn, table, window, now: opts.now });
    return finish(project, run, g, rows);
  } catch (e) {
    project.runs.update(run.id, { status: 'failed', finished_at: new Date().toISOString(), message: e instanceof Error ? e.message.split('\n')[0] : String(e) });
    throw e;
  } finally {
    await conn.run(`DROP TABLE IF EXISTS ${ident(table)}`).catch(() => undefined);
    conn.closeSync();
  }
}

interface ManifestLike {
  columns?: { name: string; view?: string; feature?: string }[];
  label?: string | null;
  request?: { service?: string | null; timestamp_column?: string };
}

/**
 * Run the guards on a dataset file (Parquet, CSV or JSON) built for a feature
 * service. Feature columns are found by the manifest beside the file
 * (`FILE.manifest.json`) when present, else by name (`feature` or `view__feature`).
 */
export async function checkDataset(project: Project, opts: { file: string; service?: string; now?: Date }): Promise<CheckRunResult> {
  const file = resolve(opts.file);
  if (!existsSync(file)) throw new InputError(`dataset file not found: ${opts.file}`);
  const manifestPath = `${file}.manifest.json`;
  const manifest: ManifestLike | null = existsSync(manifestPath) ? (JSON.parse(readFileSync(manifestPath, 'utf8')) as ManifestLike) : null;
  const serviceName = opts.service ?? manifest?.request?.service ?? undefined;
  if (!serviceName) throw new InputError('checking a dataset needs --service (or a manifest naming one)');
  const set = project.registry.current();
  const service = getService(set, serviceName);
  const conn = await (await project.engine()).connect();
  const run = project.runs.create({ kind: 'check', service: service.name, options: { dataset: file } });
  const table = `fg_check_${run.id.replaceAll('-', '')}`;
  try {
    const reader = file.endsWith('.csv') ? 'read_csv' : file.endsWith('.json') || file.endsWith('.jsonl') ? 'read_json_auto' : 'read_parquet';
    await conn.run(`CREATE TEMP TABLE ${ident(table)} AS SELECT * FROM ${reader}(${literal(file)})`);
    const cols = new Set(((await conn.runAndReadAll(`DESCRIBE ${ident(table)}`)).getRowObjectsJson() as { column_name: string }[]).map((r) => r.column_name));
    const features: { column: string; view: string; feature: string }[] = [];
    const keys = new Set<string>();
    for (const sel of resolveFeatureRefs(set, service.features)) {
      for (const k of viewJoinKeys(set, sel.view)) if (cols.has(k.name)) keys.add(k.name);
      for (const f of sel.features) {
        const fromManifest = manifest?.columns?.find((c) => c.view === sel.view.name && c.feature === f.name)?.name;
        const column = fromManifest ?? (cols.has(`${sel.view.name}__${f.name}`) ? `${sel.view.name}__${f.name}` : f.name);
        if (cols.has(column)) features.push({ column, view: sel.view.name, feature: f.name });
      }
    }
    const labelName = manifest?.label ?? service.label?.split(':')[1];
    const labelColumn = labelName && cols.has(labelName) ? labelName : undefined;
    const tsCol = manifest?.request?.timestamp_column ?? 'event_timestamp';
    const dataset: DatasetGuardInfo = {
      entityTimestampColumn: tsCol, joinKeyColumns: [...keys], labelColumn, features, viewTimestamps: [], availability: 'event',
    };
    const rows = Number((await conn.runAndReadAll(`SELECT count(*) FROM ${ident(table)}`)).getRowsJS()[0][0]);
    const g = await runGuardStage({ project, run, kind: 'check', service, conn, table, dataset, now: opts.now });
    return finish(project, run, g, rows);
  } catch (e) {
    project.runs.update(run.id, { status: 'failed', finished_at: new Date().toISOString(), message: e instanceof Error ? e.message.split('\n')[0] : String(e) });
    throw e;
  } finally {
    await conn.run(`DROP TABLE IF EXISTS ${ident(table)}`).catch(() => undefined);
    conn.closeSync();
  }
}
