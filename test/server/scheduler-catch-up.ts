/** What `serve` gives the scheduler for its catch-up, for tests that start a scheduler without a server. */
import { lastMaterializedEnd } from '../../src/materialize/intervals.js';
import type { SchedulerOptions } from '../../src/scheduler/scheduler.js';
import type { Fixture } from './fixture.js';

export function catchUpOptions(fx: Fixture): SchedulerOptions {
  return {
    runs: fx.project.runs,
    materializedUntil: async (view) => lastMaterializedEnd(fx.project.state, view, await (await fx.project.onlineStore()).epoch()),
  };
}
