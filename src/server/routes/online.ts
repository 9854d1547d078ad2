/**
 * `POST /v1/online-features` and Feast's `POST /get-online-features` (read scope):
 * the Feast request body in (`features` or `feature_service`, `entities`,
 * `full_feature_names`), the Feast response shape out. Entity rows per request
 * are capped (`server.max_entities`, default 1,000; 413 beyond).
 *
 * Feast's path reads a body as Feast's server does (`feastReadBody`): fields it
 * does not know are ignored, a null is an absent field, and a named feature service
 * wins over `features`; `view@latest:feature` is `view:feature` (`feastFeatureRefs`), and an
 * entity's name given for its join key is read as the key (`entityNamesAsJoinKeys`). featureguard's
 * own path refuses all of that, so that a misspelt field is a 400 instead of a silent default, and both
 * `features` and `feature_service` a 400 ("give 'features' or 'feature_service', not both": the schema's
 * pair, said as for every route by `body-problems.ts`).
 */
import { Hono } from 'hono';
import { InputError } from '../../errors.js';
import { getOnlineFeaturesJson } from '../../serving/online-features.js';
import { feastFields, invalidBody, laxBoolean, readJson, validateBody } from '../body.js';
import { LAX_BOOLEAN_WORDS, shown } from '../body-problems.js';
import type { ServerContext } from '../context.js';
import { asSent, entityNamesAsJoinKeys, feastFeatureRefs } from './feast.js';

/** The Feast `get-online-features` request body. */
export interface FeastOnlineRequest {
  features?: string[];
  feature_service?: string;
  entities: Record<string, (string | number)[]>;
  full_feature_names?: boolean;
}

/** The fields of a read; Feast's server ignores any other. */
const READ_FIELDS = ['features', 'feature_service', 'entities', 'full_feature_names'] as const;

/** A Feast client's read body as Feast's server takes it (see the module comment); other values are left to the schema. */
export function feastReadBody(body: unknown, currentVersion: (view: string) => number | undefined = () => undefined): unknown {
  // By shape, not by identity: NaN (which JSON bodies may hold) is not equal to itself.
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return body;
  const fields = feastFields(body, READ_FIELDS) as Record<string, unknown>;
  if (fields.feature_service === '') delete fields.feature_service;
  else if (typeof fields.feature_service === 'string') delete fields.features;
  if ('features' in fields) fields.features = feastFeatureRefs(fields.features, currentVersion);
  if ('full_feature_names' in fields) {
    const full = laxBoolean(fields.full_feature_names);
    if (typeof full !== 'boolean') {
      // Said as what Feast takes (its text forms too), not as the schema's "must be a boolean".
      throw invalidBody([{ path: '/full_feature_names', message: `must be ${LAX_BOOLEAN_WORDS}, got ${shown(full)}` }]);
    }
    fields.full_feature_names = full;
  }
  return fields;
}

/**
 * A reference given twice is refused, as Feast's `_validate_feature_refs` refuses it (the answer would have fewer
 * columns than were asked for); the SDK and datasets read it once.
 */
function refuseRepeatedRefs(refs: readonly string[], sent: readonly string[] = refs): void {
  const seen = new Map<string, number>();
  refs.forEach((ref, i) => {
    const first = seen.get(ref);
    if (first === undefined) return void seen.set(ref, i);
    // Two references Feast's rewrite made one (`view@latest:f` and `view:f`): both named as sent.
    if (sent[first] !== sent[i]) {
      throw new InputError(`feature references '${sent[first]}' and '${sent[i]}' are the same reference ('${ref}'); give each reference once`, { reference: sent[i], same_as: sent[first] }, 'feature_name_collision');
    }
    throw new InputError(`feature reference '${sent[i]}' is given twice; give each reference once`, { reference: sent[i] }, 'feature_name_collision');
  });
}

/** The references of a Feast read as the client sent them (before `feastFeatureRefs`), by index of `read`. */
function refsAsSent(raw: unknown, read: readonly string[]): string[] {
  const given = raw !== null && typeof raw === 'object' ? (raw as Record<string, unknown>).features : undefined;
  return read.map((r, i) => (Array.isArray(given) && typeof given[i] === 'string' ? (given[i] as string) : r));
}

export function onlineRoutes(ctx: ServerContext, options: { feast?: boolean } = {}): Hono {
  const app = new Hono();
  const currentVersion = (view: string) => ctx.project.registry.currentVersions().get(`feature_view/${view}`)?.version;
  app.post('/', ctx.auth.requireScope('read'), async (c) => {
    const raw = await readJson(c, ctx.limits.bodyLimit);
    const body = validateBody<FeastOnlineRequest>('online_features', options.feast ? feastReadBody(raw, currentVersion) : raw);
    const sent = body.features && options.feast ? refsAsSent(raw, body.features) : body.features;
    if (body.features) refuseRepeatedRefs(body.features, sent);
    // Read -> sent, for the references Feast's rewrite changed; join key -> the entity name sent for it.
    const refs = new Map((body.features ?? []).flatMap((r, i) => (sent && sent[i] !== r ? [[r, sent[i]] as const] : [])));
    let keys = new Map<string, string>();
    const read = (entities: FeastOnlineRequest['entities']) => getOnlineFeaturesJson(
      ctx.project,
      { features: body.features, service: body.feature_service, entities, fullFeatureNames: body.full_feature_names === true },
      { maxEntities: ctx.limits.maxEntities, feastKeys: options.feast === true, pythonJson: options.feast === true },
    );
    let json: string;
    try {
      try {
        json = await read(body.entities);
      } catch (e) {
        // Feast's path: an entity's name for its join key is read as the key (`entityNamesAsJoinKeys`), looked up only then.
        const named = options.feast && e instanceof InputError && e.code === 'missing_join_key' ? entityNamesAsJoinKeys(body.entities, ctx.project.registry.current()) : null;
        if (named === null) throw e;
        keys = named.renamed;
        json = await read(named.entities);
      }
    } catch (e) {
      throw refs.size > 0 || keys.size > 0 ? asSent(e, refs, keys) : e;
    }
    return c.body(json, 200, { 'content-type': 'application/json' });
  });
  return app;
}
