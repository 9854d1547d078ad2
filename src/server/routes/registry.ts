/**
 * The registry over HTTP: `GET /v1/registry/{entities,sources,feature_views,feature_services}[/:name][/versions[/:n]]`
 * (`/versions/:n`: one version, `latest` the last, also of a removed object),
 * `POST /v1/registry/plan` (read scope; with the sources' problems, `source_problems`, as the CLI's plan warns of them) and `POST /v1/registry/apply` (admin scope; it also drops the
 * online values of removed views and of views changed in a breaking way, listed in `dropped`; it removes the
 * applied objects its `definitions` leave out only with `allow_removals: true`, else 409 `removals_not_allowed`;
 * with `expected_generation`, only if the registry is still at that generation, else 409 `registry_changed`).
 * Every read goes through `registry.current()`, which re-reads when another process applied.
 */
import { Hono } from 'hono';
import { alertReferenceProblems } from '../../definitions/cross-references.js';
import { validateDefinitions } from '../../definitions/loader.js';
import { checkSources } from '../../definitions/source-check.js';
import type { Definition, DefinitionKind } from '../../definitions/types.js';
import { FeatureguardError, NotFoundError, type DefinitionProblem } from '../../errors.js';
import { applyDefinitions } from '../../registry/apply-definitions.js';
import { httpAppliedBy } from '../../registry/applied-by.js';
import { objectVersion, parseVersionSelector } from '../../registry/object-version.js';
import type { VersionRecord } from '../../registry/types.js';
import { withPushedDropNote } from '../../registry/pushed-views.js';
import { readJson, validateBody } from '../body.js';
import type { ServerContext } from '../context.js';

// A Map, not an object: `constructor` or `__proto__` in the URL must not find an inherited property.
const KINDS = new Map<string, DefinitionKind>([
  ['entities', 'entity'],
  ['sources', 'source'],
  ['feature_views', 'feature_view'],
  ['feature_services', 'feature_service'],
]);

interface ApplyBody {
  definitions: Definition[];
  allow_breaking?: boolean;
  allow_removals?: boolean;
  expected_generation?: number;
}

function item(rec: VersionRecord) {
  return { name: rec.name, version: rec.version, hash: rec.hash, applied_at: rec.applied_at, definition: rec.definition };
}

export function registryRoutes(ctx: ServerContext): Hono {
  const { registry } = ctx.project;
  const app = new Hono();
  const read = ctx.auth.requireScope('read');

  const currentOf = (kind: DefinitionKind): VersionRecord[] =>
    [...registry.currentVersions().values()].filter((v) => v.kind === kind).sort((a, b) => a.name.localeCompare(b.name));
  const kindOf = (plural: string): DefinitionKind => {
    const kind = KINDS.get(plural);
    if (!kind) throw new NotFoundError(`unknown registry collection '${plural}'`, { known: [...KINDS.keys()] });
    return kind;
  };

  app.get('/', read, (c) => {
    const counts = Object.fromEntries([...KINDS].map(([plural, kind]) => [plural, currentOf(kind).length]));
    return c.json({ generation: registry.generation(), counts });
  });
  app.get('/:collection', read, (c) => c.json({ items: currentOf(kindOf(c.req.param('collection'))).map(item) }));
  app.get('/:collection/:name', read, (c) => {
    const kind = kindOf(c.req.param('collection'));
    const name = c.req.param('name');
    const rec = registry.currentVersions().get(`${kind}/${name}`) ?? currentOf(kind).find((r) => r.name === name);
    if (!rec) throw notCurrent(kind, c.req.param('collection'), name);
    return c.json(item(rec));
  });
  /** A removed object says when and where its versions are (they are still listed); another, that there is none. */
  const notCurrent = (kind: DefinitionKind, collection: string, name: string): NotFoundError => {
    const removal = registry.removedVersions().get(`${kind}/${name}`);
    if (!removal) return new NotFoundError(`no ${kind} named '${name}' in the registry`);
    return new NotFoundError(
      `${kind} '${name}' was removed at version ${removal.version} (${removal.applied_at}); its versions: GET /v1/registry/${collection}/${name}/versions`,
      { kind, name, removed_version: removal.version, removed_at: removal.applied_at },
    );
  };
  app.get('/:collection/:name/versions', read, (c) => {
    const kind = kindOf(c.req.param('collection'));
    const versions = registry.versions(kind, c.req.param('name'));
    if (versions.length === 0) throw new NotFoundError(`no ${kind} named '${c.req.param('name')}' was ever applied`);
    return c.json({ items: versions });
  });
  app.get('/:collection/:name/versions/:version', read, (c) => {
    const kind = kindOf(c.req.param('collection'));
    const name = c.req.param('name');
    const { version, versions, removedSince } = objectVersion(registry, kind, name, parseVersionSelector(c.req.param('version')));
    const removed_since = removedSince ? { version: removedSince.version, applied_at: removedSince.applied_at } : null;
    return c.json({ ...version, removed: version.definition === null, current_version: versions[versions.length - 1]?.version, removed_since });
  });

  app.post('/plan', read, async (c) => {
    const body = registryBody(await readJson(c, ctx.limits.bodyLimit));
    const defs = validateDefinitions(body.definitions, ctx.project.sourceRoots, 'definitions');
    // An alert left filtering on a view the request renames or removes would stop firing without a word.
    // A pushed view removed or taken offline loses values no materialization brings back: said in `notes`.
    // What `validate` finds wrong with the sources, as the CLI's plan warns of it (apply reports it only once applied):
    // warnings, never a failed plan (a push-fed source may have no file yet; a check that cannot run says nothing).
    const sourceProblems = await checkSources(ctx.project.sourceRoots, defs).catch((): DefinitionProblem[] => []);
    return c.json({
      ...withPushedDropNote(ctx.project.state, registry.plan(defs)),
      source_problems: sourceProblems,
      alert_problems: alertReferenceProblems(ctx.project.config.alerts ?? [], defs),
    });
  });
  app.post('/apply', ctx.auth.requireScope('admin'), async (c) => {
    const body = registryBody(await readJson(c, ctx.limits.bodyLimit));
    const defs = validateDefinitions(body.definitions, ctx.project.sourceRoots, 'definitions');
    if (ctx.project.config.server?.allow_query_sources !== true) refuseNewQuerySources(registry.currentVersions(), defs);
    // A body leaving applied objects out removes them only when it says so: a client posting just the view it
    // changed must not remove everything else (refused inside the apply's transaction, on the plan it applies).
    // A body reviewed against a generation (`GET /v1/registry`, a plan's `generation`) applies only onto it: 409
    // `registry_changed` when another apply came in between, checked inside the apply's transaction.
    const result = await applyDefinitions(ctx.project, defs, {
      allowBreaking: body.allow_breaking === true,
      allowRemovals: body.allow_removals === true,
      expectedGeneration: body.expected_generation,
      appliedBy: httpAppliedBy(ctx.auth.runTrigger(c)),
    });
    return c.json({ ...result, plan: withPushedDropNote(ctx.project.state, result.plan) });
  });
  return app;
}

/**
 * The request's envelope, checked by its schema; the definitions in it are checked as files are
 * (`validateDefinitions`: the messages of `featureguard validate`, with did-you-mean, and paths under
 * `definitions[i]`; 422 `invalid_definition`), not by the schema's copy of the definition schemas, whose raw
 * errors (`/ttl: must be equal to constant` for `'6 hours'`) were all a caller saw.
 */
function registryBody(raw: unknown): ApplyBody {
  const definitions = (raw as { definitions?: unknown } | null)?.definitions;
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw) || !Array.isArray(definitions)) return validateBody<ApplyBody>('registry_apply', raw);
  validateBody<ApplyBody>('registry_apply', { ...raw, definitions: [] });
  return { ...(raw as ApplyBody), definitions };
}

/**
 * A source's `query` is SQL that the server runs as it is, and DuckDB SQL can read
 * any file the server can (`read_csv('/etc/…')`), which `path` sources cannot (they
 * must stay inside the project root). Over HTTP a query is therefore accepted only
 * as already applied (re-applying a project that has one), unless the project
 * allows it (`server.allow_query_sources: true`); queries come from the project
 * folder through the CLI. 403 `query_source_refused` names the sources.
 */
function refuseNewQuerySources(current: ReadonlyMap<string, VersionRecord>, defs: readonly Definition[]): void {
  const refused = defs.filter((d) => {
    if (d.kind !== 'source' || d.query === undefined) return false;
    const applied = current.get(`source/${d.name}`)?.definition;
    return !(applied?.kind === 'source' && applied.query === d.query);
  });
  if (refused.length === 0) return;
  const names = refused.map((d) => `'${d.name}'`).join(', ');
  throw new FeatureguardError(
    'query_source_refused',
    `source ${names}: a new or changed query is not accepted over HTTP, since its SQL runs on the server and can read any file the server can. ` +
      'Apply it from the project folder (`featureguard apply`), or set `server.allow_query_sources: true` in featureguard.yaml.',
    { status: 403, exitCode: 2, details: { sources: refused.map((d) => d.name) } },
  );
}
