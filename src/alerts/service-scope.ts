/**
 * What a feature service consumes, for alert filters: an alert with
 * `services: [delay_model]` also watches the runs of the feature views that
 * `delay_model` reads (materializations, pushes and `check --view` runs have no
 * service of their own), limited to the features the service uses.
 *
 * @example
 * const scope = serviceScope(project.registry.current().services, ['delay_model']);
 * scope.get('airport_hourly'); // '*' (every feature) or Set { 'mean_delay', ... }
 */
import type { FeatureServiceDef } from '../definitions/types.js';

/** View name → the features a service uses from it (`'*'`: all of them). */
export type ServiceScope = ReadonlyMap<string, '*' | ReadonlySet<string>>;

/**
 * The views the named services consume: every view named by a feature
 * reference (`view`, `view:*`, `view:feature`) or by the label (`view:feature`).
 * Unknown service names contribute nothing.
 */
export function serviceScope(services: ReadonlyMap<string, FeatureServiceDef>, names: readonly string[]): ServiceScope {
  const scope = new Map<string, '*' | Set<string>>();
  for (const name of names) {
    const service = services.get(name);
    if (!service) continue;
    for (const ref of [...service.features, ...(service.label ? [service.label] : [])]) {
      const [view, feature] = ref.split(':', 2) as [string, string | undefined];
      const known = scope.get(view);
      if (feature === undefined || feature === '*') scope.set(view, '*');
      else if (known === undefined) scope.set(view, new Set([feature]));
      else if (known !== '*') known.add(feature);
    }
  }
  return scope;
}

/** True when `feature` of `view` is used by the scope (views outside it: false). */
export function scopeIncludes(scope: ServiceScope, view: string, feature: string): boolean {
  const used = scope.get(view);
  return used === '*' || (used !== undefined && used.has(feature));
}
