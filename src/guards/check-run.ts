/**
 * `featureguard check` as a service: run the guards on a view's window or on a
 * dataset file without materializing anything, recorded as a run of kind
 * `check` (CI pipelines fail on a `block` verdict).
 *
 * @example
 * const r = await checkView(project, { view: 'airport_daily', start: '2001-06-01', end: '2001-07-01' });
 * if (r.verdict === 'block') process.exitCode = 1;
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { extname, resolve } from 'node:path';
import { getService, getView, resolveFeatureRefs, viewJoinKeys } from '../definitions/definition-set.js';
import { isCompatibleType } from '../definitions/type-compat.js';
import type { FeatureType, JoinKeyType } from '../definitions/types.js';
import { NOT_JUDGED, alertFinishedRun } from '../alerts/dispatch.js';
import { ConflictError, InputError, isCallerError } from '../errors.js';
import { parseInstant } from '../time/instant.js';
import { ident, literal } from '../offline/engine.js';
import { duckdbType, sourceUnreadable } from '../offline/source-sql.js';
import type { Project } from '../project.js';
import { datasetFileLineage, viewLineage } from '../runs/lineage-record.js';
import type { Run } from '../runs/types.js';
import { rawViewRelationSql } from './raw-relation.js';
import { loadArrowIpcFile } from '../offline/arrow-file.js';
import { runGuardStage, type DatasetGuardInfo, type GuardStageResult } from './stage.js';
import { liveCompactionLease } from '../serving/push-compact-journal.js';

export interface CheckRunResult extends GuardStageResult {
  readonly run: Run;
}

/** The first line of an error, for messages. */
const firstLine = (e: unknown) => (e instanceof Error ? e.message : String(e)).split('\n')[0];

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

/**
 * Run `judge` as the check run `run`: it loads the rows into the temp table it is given and runs the guard stage.
 * A failure before the stage returned fails the run and alerts it, as a materialization's does (an alert on failed
 * runs pages someone), unless the caller caused it; a judged run was alerted by the guard stage, so a failure after
 * that alerts nothing more. The table and `conn` are released either way.
 */
async function asCheckRun(
  project: Project,
  run: Run,
  conn: DuckDBConnection,
  judge: (table: string) => Promise<{ g: GuardStageResult; rows: number }>,
): Promise<CheckRunResult> {
  const table = `fg_check_${run.id.replaceAll('-', '')}`;
  let judged = false;
  try {
    const { g, rows } = await judge(table);
    judged = true;
    return finish(project, run, g, rows);
  } catch (e) {
    project.runs.update(run.id, { status: 'failed', finished_at: new Date().toISOString(), message: firstLine(e) });
    if (!judged && !isCallerError(e)) await alertFinishedRun(project, run.id, NOT_JUDGED);
    throw e;
  } finally {
    await conn.run(`DROP TABLE IF EXISTS ${ident(table)}`).catch(() => undefined);
    conn.closeSync();
  }
}

/**
 * A check reads its view's source without a lease (checks and materializations of a view run side by side), but
 * never while a compaction merges the files it reads: a compaction holding the view's materialization lease
 * refuses it (409 `compaction_running`), as it refuses a materialization; and a compaction starting while the check
 * runs sees its running run and is refused (`check_running`, `serving/push-compact.ts`).
 */
function refuseWhileCompacting(project: Project, view: string): void {
  const held = liveCompactionLease(project.state, view);
  if (held === undefined) return;
  throw new ConflictError(
    `cannot check feature view '${view}' now: the pushed files it reads are being compacted (pid ${held.pid} on ${held.host}, since ${held.acquired_at}); try again in a moment`,
    { view, owner: held.owner, pid: held.pid, host: held.host, since: held.acquired_at },
    'compaction_running',
  );
}

/** Run the guards on the rows of `view` with `start <= event_timestamp < end`. */
export async function checkView(project: Project, opts: { view: string; start: string | Date; end: string | Date; now?: Date }): Promise<CheckRunResult> {
  const set = project.registry.current();
  const view = getView(set, opts.view);
  const window = { start: parseInstant(opts.start, 'start'), end: parseInstant(opts.end, 'end') };
  if (window.end <= window.start) throw new InputError('--end must be after --start');
  // As a materialization's window: the volume check compares a window's rows with earlier whole windows, and a
  // window whose end has not come yet holds only the rows that arrived so far (a false "volume dropped").
  const now = opts.now ?? new Date();
  if (window.end.getTime() > now.getTime()) {
    throw new InputError(
      `window end ${window.end.toISOString()} is later than now (${now.toISOString()}): a checked window ends at or before now, or its rows are compared with whole windows while some have yet to arrive; give --end now or earlier`,
      { end: window.end.toISOString(), now: now.toISOString() },
      'end_in_future',
    );
  }
  refuseWhileCompacting(project, view.name);
  const conn = await (await project.engine()).connect();
  const run = project.runs.create({ kind: 'check', view: view.name, window_start: window.start.toISOString(), window_end: window.end.toISOString() });
  return asCheckRun(project, run, conn, async (table) => {
    // Again with the run recorded: a compaction that took the view's lease before it was sees no check running.
    refuseWhileCompacting(project, view.name);
    let rel: Awaited<ReturnType<typeof rawViewRelationSql>>;
    try {
      rel = await rawViewRelationSql(project, view, conn, set);
      await conn.run(`CREATE TEMP TABLE ${ident(table)} AS SELECT * FROM (${rel.select}) WHERE event_timestamp >= ${sqlTs(window.start)} AND event_timestamp < ${sqlTs(window.end)}`);
    } catch (e) {
      // The same error a materialization of the window would give (paths relative to the project).
      throw sourceUnreadable(view.name, set.sources.get(view.source)!, e, project.root);
    }
    const withLineage = project.runs.update(run.id, { lineage: await viewLineage(project, set, view, conn, rel.select, { job: `check:${view.name}`, output: null }) });
    const rows = Number((await conn.runAndReadAll(`SELECT count(*) FROM ${ident(table)}`)).getRowsJS()[0][0]);
    return { g: await runGuardStage({ project, run: withLineage, kind: 'check', view, conn, table, window, definitions: set, now: opts.now }), rows };
  });
}

interface ManifestLike {
  columns?: { name: string; type?: string; view?: string; feature?: string }[];
  outputs?: { format?: string }[];
  label?: string | null;
  request?: { service?: string | null; timestamp_column?: string };
}

/** The manifest beside a dataset file, checked for the shape the check reads. */
function readManifestLike(path: string): ManifestLike {
  let m: unknown;
  try {
    m = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new InputError(`cannot read the manifest ${path}: ${firstLine(e)}; fix or remove it`, { path }, 'bad_manifest');
  }
  const ok = (v: unknown, t: string) => v === undefined || v === null || typeof v === t;
  const list = (v: unknown, item: (x: Record<string, unknown>) => boolean) =>
    v === undefined || (Array.isArray(v) && v.every((x) => typeof x === 'object' && x !== null && item(x as Record<string, unknown>)));
  const x = m as ManifestLike;
  if (
    typeof m !== 'object' || m === null || Array.isArray(m) || !ok(x.label, 'string') || !ok(x.request, 'object') ||
    !list(x.columns, (c) => typeof c.name === 'string' && ok(c.type, 'string')) || !list(x.outputs, (o) => ok(o.format, 'string'))
  ) {
    throw new InputError(`${path} is not a dataset manifest (columns, outputs, label and request have the wrong shape); fix or remove it`, { path }, 'bad_manifest');
  }
  return x;
}

type FileFormat = 'parquet' | 'csv' | 'json' | 'arrow';

/** How a dataset file is read: the format its manifest records, else its extension's (in any case), else Parquet. */
function fileFormat(file: string, manifest: ManifestLike | null): FileFormat {
  const recorded = manifest?.outputs?.map((o) => o.format).find((f) => f === 'parquet' || f === 'csv' || f === 'json' || f === 'arrow');
  if (recorded) return recorded;
  const ext = extname(file).toLowerCase();
  if (ext === '.arrow' || ext === '.arrows' || ext === '.feather' || ext === '.ipc') return 'arrow';
  return ext === '.csv' ? 'csv' : ext === '.json' || ext === '.jsonl' || ext === '.ndjson' ? 'json' : 'parquet';
}

/** A DuckDB struct literal of column types, for `read_csv`'s `types` and `read_json`'s `columns`. */
const typeStruct = (types: readonly (readonly [string, string])[]) => `{${types.map(([c, t]) => `${literal(c)}: ${literal(t)}`).join(', ')}}`;

/**
 * Load a dataset file into `table`, its columns typed as the build wrote them. `written` holds the manifest's
 * column types (the build's own columns, before CSV or JSON turned them into text): a CSV is read with the
 * writer's dialect and those types, `""` as the empty string it is (DuckDB reads a quoted empty field as NULL by
 * default, which failed a `nullable: false` string feature); a JSON file with them (an int64 beyond ±2^53 was
 * written as its text). Without them (no manifest) the columns are sniffed, but a CSV's string and list
 * features are read as such (the sniffer reads a zip code '02134' as the number 2134, a list '[1.5, nan]' as
 * text), and a declared column the sniffer typed otherwise (an int32 read as BIGINT, an int64 beyond ±2^53 in
 * JSON as text) takes its declared type when every value is one.
 */
async function loadDatasetFile(
  conn: DuckDBConnection,
  table: string,
  file: string,
  format: FileFormat,
  written: ReadonlyMap<string, string>,
  declared: ReadonlyMap<string, FeatureType | JoinKeyType>,
): Promise<void> {
  const describe = async (sql: string) =>
    ((await conn.runAndReadAll(`DESCRIBE ${sql}`)).getRowObjectsJson() as { column_name: string; column_type: string }[]).map((r) => [r.column_name, r.column_type] as const);
  // Arrow keeps its types, as Parquet does: nothing to reconcile after.
  if (format === 'arrow') return loadArrowIpcFile(conn, table, file);
  let reader = `read_parquet(${literal(file)})`;
  if (format === 'csv') {
    const dialect = written.size > 0 ? `, header = true, delim = ',', quote = '"', escape = '"', allow_quoted_nulls = false` : ', allow_quoted_nulls = false';
    const csvTypes: Partial<Record<FeatureType | JoinKeyType, string>> = { string: 'VARCHAR', 'float32[]': 'FLOAT[]', 'float64[]': 'DOUBLE[]' };
    const sniffed = await describe(`SELECT * FROM read_csv(${literal(file)}${dialect})`);
    const typed = sniffed.flatMap(([c]) => {
      const t = written.get(c) ?? csvTypes[declared.get(c)!];
      return t === undefined ? [] : [[c, t] as const];
    });
    reader = `read_csv(${literal(file)}${dialect}${typed.length ? `, types = ${typeStruct(typed)}` : ''})`;
  } else if (format === 'json') {
    reader = `read_json_auto(${literal(file)})`;
    if (written.size > 0) reader = `read_json(${literal(file)}, columns = ${typeStruct((await describe(`SELECT * FROM ${reader}`)).map(([c, t]) => [c, written.get(c) ?? t]))})`;
  }
  await conn.run(`CREATE TEMP TABLE ${ident(table)} AS SELECT * FROM ${reader}`);
  if (format === 'parquet') return;
  for (const [c, t] of await describe(ident(table))) {
    const d = declared.get(c);
    if (d === undefined || written.has(c) || isCompatibleType(d, t)) continue;
    // A JSON column (numbers mixed with texts) as the text of each value, without a string's quotes. Integers must
    // read back as the same digits (a cast rounds '1.5' and 1.5 to 2); other types must cast.
    const x = t === 'JSON' ? `(${ident(c)} ->> '$')` : ident(c);
    const cast = `TRY_CAST(${x} AS ${duckdbType(d)})`;
    const bad = d === 'int32' || d === 'int64' ? `${cast}::VARCHAR IS DISTINCT FROM ${x}::VARCHAR` : `${cast} IS NULL`;
    const [row] = (await conn.runAndReadAll(`SELECT count_if(${ident(c)} IS NOT NULL AND ${bad}) AS bad FROM ${ident(table)}`)).getRowObjectsJson();
    if (Number(row.bad) === 0) await conn.run(`ALTER TABLE ${ident(table)} ALTER ${ident(c)} TYPE ${duckdbType(d)} USING ${cast}`);
  }
}

/**
 * Run the guards on a dataset file (Parquet, Arrow IPC, CSV or JSON) built for a feature
 * service. Feature columns are found by the manifest beside the file
 * (`FILE.manifest.json`) when present, else by name (`feature` or `view__feature`).
 */
export async function checkDataset(project: Project, opts: { file: string; service?: string; now?: Date }): Promise<CheckRunResult> {
  const file = resolve(opts.file);
  if (!existsSync(file)) throw new InputError(`dataset file not found: ${opts.file}`);
  if (statSync(file).isDirectory()) throw new InputError(`${opts.file} is a folder; give the dataset file`, { file: opts.file }, 'bad_dataset_file');
  const manifestPath = `${file}.manifest.json`;
  const manifest = existsSync(manifestPath) ? readManifestLike(manifestPath) : null;
  const serviceName = opts.service ?? manifest?.request?.service ?? undefined;
  if (!serviceName) throw new InputError('checking a dataset needs --service (or a manifest naming one)');
  const set = project.registry.current();
  const service = getService(set, serviceName);
  const conn = await (await project.engine()).connect();
  const run = project.runs.create({ kind: 'check', service: service.name, options: { dataset: file } });
  return asCheckRun(project, run, conn, async (table) => {
    const format = fileFormat(file, manifest);
    // The service's features with the column names a build writes for them (the manifest's, else `view__feature`
    // or `feature`), and its join keys.
    const refs = resolveFeatureRefs(set, service.features);
    const wanted = refs.flatMap((sel) =>
      sel.features.map((f) => {
        const fromManifest = manifest?.columns?.find((c) => c.view === sel.view.name && c.feature === f.name)?.name;
        return { view: sel.view.name, feature: f.name, type: f.type, names: fromManifest ? [fromManifest] : [`${sel.view.name}__${f.name}`, f.name] };
      }),
    );
    const joinKeys = refs.flatMap((sel) => viewJoinKeys(set, sel.view));
    // What the service declares, by column name, and the types the build wrote, by column name.
    const declared = new Map<string, FeatureType | JoinKeyType>(joinKeys.map((k) => [k.name, k.type]));
    for (const w of wanted) for (const name of w.names) declared.set(name, w.type);
    const written = new Map((manifest?.columns ?? []).flatMap((c) => (c.type ? [[c.name, c.type] as const] : [])));
    try {
      await loadDatasetFile(conn, table, file, format, written, declared);
    } catch (e) {
      throw new InputError(`cannot read the dataset file ${opts.file}: ${firstLine(e)}`, { file: opts.file }, 'bad_dataset_file');
    }
    const described = (await conn.runAndReadAll(`DESCRIBE ${ident(table)}`)).getRowObjectsJson() as { column_name: string; column_type: string }[];
    const cols = new Set(described.map((r) => r.column_name));
    const keys = new Set(joinKeys.map((k) => k.name).filter((k) => cols.has(k)));
    // A feature the file lacks is checked too (under its last candidate name): the schema check fails it as a missing column.
    const features = wanted.map((w) => ({ column: w.names.find((n) => cols.has(n)) ?? w.names.at(-1)!, view: w.view, feature: w.feature }));
    const labelName = manifest?.label ?? service.label?.split(':')[1];
    const labelColumn = labelName && cols.has(labelName) ? labelName : undefined;
    // A build writes the entity timestamp as event_timestamp whatever the entity rows called it (the manifest keeps
    // the request's name, e.g. `at` for --timestamp-column at); a file written otherwise may still use that name.
    const tsCol = cols.has('event_timestamp') ? 'event_timestamp' : manifest?.request?.timestamp_column ?? 'event_timestamp';
    const dataset: DatasetGuardInfo = {
      entityTimestampColumn: tsCol, joinKeyColumns: [...keys], labelColumn, features, viewTimestamps: [], availability: 'event',
      ...(labelName && !labelColumn ? { missingLabel: labelName } : {}),
    };
    const rows = Number((await conn.runAndReadAll(`SELECT count(*) FROM ${ident(table)}`)).getRowsJS()[0][0]);
    // What was judged, pinned: the file's content (a file replaced later is told apart), the definitions, who ran it.
    const lineage = await datasetFileLineage(project, set, service, refs.map((sel) => sel.view), file, manifest ? manifestPath : null);
    const withLineage = project.runs.update(run.id, { lineage });
    return { g: await runGuardStage({ project, run: withLineage, kind: 'check', service, conn, table, dataset, definitions: set, now: opts.now }), rows };
  });
}
