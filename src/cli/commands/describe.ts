/**
 * `describe NAME[@VERSION]`: an applied object as YAML with its versions; `NAME@N` an older version, or a
 * removed object's last definition (`NAME@latest`: the current one, as `describe NAME`). Thin: the version is
 * looked up by `objectVersion` (`registry/object-version.ts`), which the SDK and the API call too.
 * `@` splits the name from the version: definition names are `[a-z_][a-z0-9_]*` (schemas/*.schema.json), so it
 * cannot be part of one. (`--version N` cannot be: the program's own `--version` is read anywhere on the line.)
 * `--definition` prints the version's definition alone, as YAML a definitions file takes (a rollback: paste it
 * into the object's file and apply; the new version has that version's hash).
 */
import type { Command } from 'commander';
import type { ObjectVersion } from '../../registry/object-version.js';
import type { VersionRecord } from '../../registry/types.js';
import type { CommandContext } from '../context.js';
import { KINDS, parseKind } from '../kinds.js';

export function registerDescribeCommand(program: Command, ctx: CommandContext): void {
  program
    .command('describe')
    .description('show an applied object as YAML with its versions (NAME@N: version N, also of a removed object)')
    .argument('<name>', 'object name, or NAME@N for version N (NAME@latest: the current one)')
    .option('--kind <kind>', 'kind, when several kinds share the name')
    .option('--versions', 'also show what changed in each version')
    .option('--definition', "print only the version's definition, as YAML to paste into a definitions file (a rollback)")
    .action(async (ref: string, opts: { kind?: string; versions?: boolean; definition?: boolean }) => {
      const at = ref.indexOf('@');
      const name = at < 0 ? ref : ref.slice(0, at);
      const { objectVersion, parseVersionSelector } = await import('../../registry/object-version.js');
      const selector = at < 0 ? 'latest' : parseVersionSelector(ref.slice(at + 1), `${name}@1`);
      const project = await ctx.project();
      const kinds = opts.kind ? [await parseKind(opts.kind)] : KINDS;
      const found = kinds.filter((k) => project.registry.versions(k, name).length > 0);
      const { InputError, NotFoundError } = await import('../../errors.js');
      if (found.length === 0) {
        const missing = `no ${opts.kind ? `${kinds[0]} ` : 'object '}named '${name}' in the registry`;
        // In the files but not applied: said as the other commands say it (`unapplied-hint.ts`).
        const { unappliedObjectHint } = await import('../unapplied-hint.js');
        const hint = await unappliedObjectHint(project, kinds, name).catch(() => undefined);
        if (hint) throw new NotFoundError(`${missing}: ${hint}`);
        // A misspelt name: the closest object of the kinds asked for, current or removed, as `objectVersion` suggests.
        const { didYouMean } = await import('../../definitions/suggest.js');
        const { registry } = project;
        const names = [...registry.currentVersions().values(), ...registry.removedVersions().values()].filter((v) => kinds.includes(v.kind)).map((v) => v.name);
        throw new NotFoundError(`${missing}${didYouMean(name, names) || " (run 'featureguard list')"}`);
      }
      if (found.length > 1) {
        throw new InputError(`'${name}' names several objects (${found.join(', ')}): pass --kind`);
      }
      const shown = objectVersion(project.registry, found[0] as VersionRecord['kind'], name, selector);
      if (opts.definition) await printDefinition(ctx, shown);
      else await printDescription(ctx, shown, opts.versions === true);
    });
}

/** `--definition`: the definition alone (`--json`: the object), `kind` and `name` first; a removal has none. */
async function printDefinition(ctx: CommandContext, { version: v, versions }: ObjectVersion): Promise<void> {
  if (v.definition === null) {
    const { InputError } = await import('../../errors.js');
    const before = [...versions].reverse().find((h) => h.version < v.version && h.definition !== null);
    const hint = before ? `: give its last definition, 'featureguard describe ${v.name}@${before.version} --definition'` : '';
    throw new InputError(`version ${v.version} removes ${v.kind} '${v.name}'${hint}`, { kind: v.kind, name: v.name, version: v.version }, 'no_definition');
  }
  const { stringify } = await import('yaml');
  const { kind, name, ...rest } = v.definition;
  const definition = { kind, name, ...rest };
  ctx.print(definition, () => stringify(definition, { lineWidth: 0, flowCollectionPadding: false }).trimEnd());
}

async function printDescription(ctx: CommandContext, shown: ObjectVersion, withChanges: boolean): Promise<void> {
  const { diffFields } = await import('../../registry/diff.js');
  const { formatFieldChanges, formatVersionLine, shortTime } = await import('../../registry/format.js');
  const { stringify } = await import('yaml');
  const { fileOrigin } = await import('../../definitions/origins.js');
  const { version: v, versions, removedSince } = shown;
  const last = versions[versions.length - 1] as VersionRecord;
  // Where this version was applied from (null: from code or over HTTP, or applied before origins were kept).
  const from = v.definition ? fileOrigin(v.definition) : null;
  const history = versions.map((h, i) => ({
    version: h.version,
    hash: h.hash,
    applied_at: h.applied_at,
    removed: h.definition === null,
    applied_by: h.applied_by ?? null,
    same_as: sameAs(versions, i),
    ...(withChanges ? { changes: diffFields(i === 0 ? null : versions[i - 1]?.definition ?? null, h.definition) } : {}),
  }));
  const value = {
    kind: v.kind,
    name: v.name,
    version: v.version,
    hash: v.hash,
    applied_at: v.applied_at,
    applied_from: from,
    applied_by: v.applied_by ?? null,
    removed: v.definition === null,
    definition: v.definition,
    current_version: last.version,
    removed_since: removedSince ? { version: removedSince.version, applied_at: removedSince.applied_at } : null,
    versions: history,
  };
  ctx.print(value, () => {
    const lines = [
      `${v.kind} ${v.name}: version ${v.version}${v.definition === null ? ' (removed)' : ''}, applied ${shortTime(v.applied_at)}${from ? ` from ${from.file}${from.line === null ? '' : `:${from.line}`}` : ''}, hash ${v.hash.slice(0, 12)}`,
      ...versionNote(shown, last, shortTime),
      '',
    ];
    if (v.definition) lines.push(stringify(v.definition, { lineWidth: 0, flowCollectionPadding: false }).trimEnd(), '');
    lines.push(`Versions (${versions.length}):`);
    history.forEach((h, i) => {
      lines.push(`  ${formatVersionLine(versions[i] as VersionRecord, h.same_as)}`);
      if (h.changes && i > 0) lines.push(...formatFieldChanges(h.changes, '      '));
    });
    return lines.join('\n');
  });
}

/** Which version this is when it is not simply the current definition: an older one, or of a removed object. */
function versionNote({ version: v, versions, removedSince }: ObjectVersion, last: VersionRecord, shortTime: (iso: string) => string): string[] {
  if (removedSince && v === removedSince) {
    // The version before a removal always has a definition (an object is removed only while it is defined).
    const before = versions[versions.length - 2];
    return before ? [`(removed; its last definition is version ${before.version}: 'featureguard describe ${v.name}@${before.version}')`] : [];
  }
  if (removedSince) return [`(removed since version ${removedSince.version}, applied ${shortTime(removedSince.applied_at)}: this is an earlier version)`];
  if (v !== last) return [`(an older version: the current one is version ${last.version})`];
  return [];
}

/** The earliest version before `versions[i]` with the same definition (a rollback to it), or null. */
function sameAs(versions: readonly VersionRecord[], i: number): number | null {
  const v = versions[i] as VersionRecord;
  if (v.definition === null) return null;
  return versions.slice(0, i).find((h) => h.definition !== null && h.hash === v.hash)?.version ?? null;
}
