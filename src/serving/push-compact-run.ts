/**
 * The quality-log run of a compaction (`compactPushedFiles`): kind `compact`, one per call that merges something (a
 * dry run, or a compaction with nothing to merge, records none). Created when the first change begins (a merge, or
 * the finishing of a journal a stopped compaction left), finished `success`, or `failed` with the message of the
 * first group that could not be merged or of the error that stopped the compaction.
 *
 * It names no view: a compaction merges the files of several folders, each read by several views, and changes no
 * row any of them reads (the merged file is checked to read as the files did), so it is no run of a view's rows
 * (`runs list --view` lists those); the views whose leases it held are its `options.views`. Its lineage is the
 * files it merged (`inputs`: path, size, rows and row checksum as the compaction read them, and the file they went
 * into) and the files it wrote (`output`, `other_outputs`, with their rows). No alert selects it.
 *
 * @example
 * const run = compactionRun(project, { olderThan: '10m' });
 * await run.begin();
 * run.merged(group, mergedFile, rows, checksum, prints);
 * await run.finish();
 */
import { hostname } from 'node:os';
import type { Project } from '../project.js';
import { fileUri } from '../runs/dataset-names.js';
import { currentUser, usedDefinitionVersions } from '../runs/lineage-record.js';
import type { Lineage, LineageInput, Run } from '../runs/types.js';
import { VERSION } from '../version.js';

/** A file merged, as the compaction read it before merging. */
export interface MergedFilePrint {
  readonly path: string;
  readonly size: number;
  readonly rows: number;
  /** The sum of DuckDB's `hash` of each row (`fingerprintRelation`), as text. */
  readonly checksum: string;
}

/** One group of files the run merged (or tried to), as its `options.groups` records it. */
export interface CompactionRunGroup {
  readonly folder: string;
  readonly sources: readonly string[];
  readonly views: readonly string[];
  readonly status: 'compacted' | 'failed';
  /** How many files it merged (tried to). */
  readonly files: number;
  /** The merged file (null when `failed`). */
  readonly file: string | null;
  readonly rows: number | null;
  /** The row checksum the merged file was checked against: the files' checksums summed. */
  readonly checksum: string | null;
  readonly reason: string | null;
  readonly code: string | null;
  /** A journal a stopped compaction left that this one finished (`true`), or a merge of its own. */
  readonly recovered: boolean;
}

export interface CompactionRun {
  /** Create the run (once; later calls do nothing): before the first change. */
  begin(): Promise<void>;
  /** Files merged into `file`; `prints` of every file merged, or the bare paths when not read (a journal's). */
  merged(group: { folder: string; sources: readonly string[]; views: readonly string[] }, file: string, rows: number | null, checksum: string | null, prints: readonly (MergedFilePrint | string)[], recovered?: boolean): void;
  /** Files that could not be merged, with why (what was read of them, if anything). */
  failed(group: { folder: string; sources: readonly string[]; views: readonly string[] }, files: readonly (MergedFilePrint | string)[], reason: string, code: string): void;
  /** Finish it: `success`, or `failed` with the first failed group's reason, or with `error` (what stopped the compaction). The run, or null when none was begun. */
  finish(error?: unknown): Promise<Run | null>;
}

/**
 * The run of one compaction of `project`. `options`: what it was asked for, recorded with the run. The definition
 * versions it records are those of the views and sources it locked in the definitions applied when it finishes
 * (the compaction plans under its leases with the definitions applied then).
 */
export function compactionRun(project: Project, options: { views?: readonly string[]; olderThan?: string }): CompactionRun {
  let id: string | null = null;
  const groups: CompactionRunGroup[] = [];
  const inputs: LineageInput[] = [];
  const outputs: { kind: string; uri: string; rows: number }[] = [];
  const inputOf = (sources: readonly string[], f: MergedFilePrint | string, into: string | null): LineageInput => {
    const path = typeof f === 'string' ? f : f.path;
    const print = typeof f === 'string' ? { path } : { path, size: f.size, rows: f.rows, checksum: f.checksum };
    return { name: sources.join(', '), kind: 'file', uri: fileUri(path), fingerprint: into === null ? print : { ...print, merged_into: into } };
  };
  const asked = { ...(options.views ? { only_views: [...options.views] } : {}), older_than: options.olderThan ?? '0' };
  const recordedOptions = () => ({ ...asked, views: [...new Set(groups.flatMap((g) => g.views))].sort(), groups });
  return {
    async begin() {
      if (id !== null) return;
      id = (await project.runs.createWhenFree({ kind: 'compact', options: recordedOptions() })).id;
    },
    merged(group, file, rows, checksum, prints, recovered = false) {
      groups.push({ folder: group.folder, sources: [...group.sources], views: [...group.views], status: 'compacted', files: prints.length, file, rows, checksum, reason: null, code: null, recovered });
      for (const f of prints) inputs.push(inputOf(group.sources, f, file));
      // A journal of an earlier version recorded no rows: the merged file's are not counted then.
      outputs.push({ kind: 'file', uri: fileUri(file), rows: rows ?? 0 });
    },
    failed(group, files, reason, code) {
      groups.push({ folder: group.folder, sources: [...group.sources], views: [...group.views], status: 'failed', files: files.length, file: null, rows: null, checksum: null, reason, code, recovered: false });
      for (const f of files) inputs.push(inputOf(group.sources, f, null));
    },
    async finish(error) {
      if (id === null) return null;
      const failed = groups.find((g) => g.status === 'failed');
      const message = error !== undefined ? firstLine(error instanceof Error ? error.message : String(error)) : failed ? `${failed.folder}: ${firstLine(failed.reason ?? '')}` : null;
      const rows = groups.reduce((n, g) => n + (g.rows ?? 0), 0);
      const viewKeys = [...new Set(groups.flatMap((g) => g.views))].map((v) => `feature_view/${v}`);
      const sourceKeys = [...new Set(groups.flatMap((g) => g.sources))].map((s) => `source/${s}`);
      const [output, ...others] = outputs;
      const lineage: Lineage = {
        job: 'compact',
        definition_versions: usedDefinitionVersions(project.registry, project.registry.current(), [...viewKeys, ...sourceKeys]),
        inputs,
        output: output ?? null,
        ...(others.length > 0 ? { other_outputs: others } : {}),
        package_version: VERSION,
        host: hostname(),
        user: currentUser(),
      };
      return project.runs.updateWhenFree(id, {
        status: message === null ? 'success' : 'failed', finished_at: new Date().toISOString(), rows_in: rows, rows_out: rows, message, lineage, options: recordedOptions(),
      });
    },
  };
}

function firstLine(text: string): string {
  return text.split('\n')[0];
}
