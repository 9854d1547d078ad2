/**
 * The view `origin_flights` (flights, int64): a second online view over the fixture's source `delays_source`, so a
 * push to the source goes to both views.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadDefinitions } from '../../src/definitions/loader.js';
import type { Fixture } from './fixture.js';

const ORIGIN_FLIGHTS_YAML = `kind: feature_view
name: origin_flights
entities: [airport]
source: delays_source
online: true
features:
  - {name: flights, type: int64}
`;

/** Write `origin_flights` (and the YAML documents in `more`, if any) to `features/more.yaml` and apply the project's definitions. */
export function addOriginFlightsView(fx: Fixture, more?: string): void {
  writeFileSync(join(fx.dir, 'features', 'more.yaml'), more === undefined ? ORIGIN_FLIGHTS_YAML : `${ORIGIN_FLIGHTS_YAML}---\n${more}`);
  fx.project.registry.apply(loadDefinitions(fx.project.root, fx.project.config));
}
