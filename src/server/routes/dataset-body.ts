/**
 * The body of `POST /v1/datasets` read as its schema (`schemas/api/datasets.schema.json`) with the mistakes a
 * client makes said plainly: two fields of which one is given (`features` and `feature_service`, `entities` and
 * `entity_rows`) as "give one, not both", and an unknown property first, with the field it likely meant, rather
 * than after the `required` problems its absence causes (`service` for `feature_service`).
 *
 * @example
 * validDatasetBody<DatasetBody>({ service: 'delay_model', entity_rows: [...] });
 * // InputError: invalid request body: unknown property 'service' (did you mean 'feature_service'?)
 */
import { closest } from '../../definitions/suggest.js';
import { FeatureguardError } from '../../errors.js';
import { invalidBody, validateBody, type BodyProblem } from '../body.js';

const FIELDS = ['features', 'feature_service', 'entities', 'entity_rows', 'full_feature_names', 'availability', 'timestamp_column', 'format'];

/** Pairs of fields a request gives one of. */
const ONE_OF = [['features', 'feature_service'], ['entities', 'entity_rows']] as const;

/** The field an unknown property likely meant: a near spelling, or the field it is the end or start of (`service`, `rows`). */
function meant(name: string): string | undefined {
  const lower = name.toLowerCase();
  return closest(name, FIELDS) ?? FIELDS.find((f) => lower.length >= 4 && (f.endsWith(`_${lower}`) || f.startsWith(`${lower}_`)));
}

/** `validateBody('datasets', body)`, its problems said as above. */
export function validDatasetBody<T>(body: unknown): T {
  const given = body !== null && typeof body === 'object' && !Array.isArray(body) ? (body as Record<string, unknown>) : null;
  if (given !== null) {
    for (const [a, b] of ONE_OF) {
      if (given[a] !== undefined && given[b] !== undefined) {
        throw invalidBody([{ path: '/', message: `give '${a}' or '${b}', not both` }]);
      }
    }
  }
  try {
    return validateBody<T>('datasets', body);
  } catch (e) {
    if (!(e instanceof FeatureguardError) || e.code !== 'invalid_request' || given === null) throw e;
    const problems = ((e.details as { problems?: BodyProblem[] } | undefined)?.problems ?? []).map((p) => {
      const unknown = /^unknown property '([^']*)'/.exec(p.message);
      // (A suggestion the shared wording made already is kept as it is.)
      const near = unknown && p.path === '/' && !p.message.includes('did you mean') ? meant(unknown[1]) : undefined;
      return { ...p, unknown: unknown !== null, message: near === undefined ? p.message : `${p.message} (did you mean '${near}'?)` };
    });
    // A misspelt field is the cause; the `required` problems its absence makes come after it.
    throw invalidBody([...problems.filter((p) => p.unknown), ...problems.filter((p) => !p.unknown)].map(({ path, message }) => ({ path, message })));
  }
}
