/**
 * Counters have their series from the first scrape, at 0: Prometheus' `increase()` and `rate()` never count a
 * series' first sample, so a counter that appears at 1 hides the first event (the README's
 * `increase(featureguard_alert_given_up_total[1h]) > 0` would never fire for an alert's first lost trigger).
 */
import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { countGivenUp } from '../../src/alerts/given-up.js';
import { openProject, type Project } from '../../src/project.js';
import { createApp, type FeatureguardApp } from '../../src/server/app.js';
import { createFixture, type Fixture } from './fixture.js';

let fx: Fixture;
let project: Project;
let app: FeatureguardApp;

beforeAll(async () => {
  fx = await createFixture();
  appendFileSync(join(fx.dir, 'featureguard.yaml'), 'alerts:\n  - {name: retrain, url: "http://127.0.0.1:41999/hook", statuses: [failed], redeliver_for: 0}\n');
  project = openProject(fx.dir);
  app = createApp(project);
});
afterAll(async () => {
  await project?.close();
  await fx?.close();
});

const scrape = async () => (await app.request('/metrics')).text();
const sample = (text: string, series: string) => text.split('\n').find((l) => l.startsWith(`${series} `))?.slice(series.length + 1);

describe('zero series', () => {
  it('has every counter series at 0 before any run', async () => {
    const m = await scrape();
    expect(sample(m, 'featureguard_alert_given_up_total{alert="retrain"}')).toBe('0');
    for (const status of ['success', 'warned', 'blocked', 'failed']) {
      expect(sample(m, `featureguard_materialize_runs_total{view="origin_delays",status="${status}"}`)).toBe('0');
      expect(sample(m, `featureguard_push_runs_total{view="origin_delays",status="${status}"}`)).toBe('0');
      for (const kind of ['materialize', 'dataset', 'push', 'check', 'compact']) {
        expect(sample(m, `featureguard_run_verdicts_total{kind="${kind}",status="${status}"}`)).toBe('0');
      }
    }
    // The rows pushed too: a series born at 500 hid the first push's rows from `increase()` (a review finding).
    for (const to of ['online', 'offline', 'both']) expect(sample(m, `featureguard_push_rows_total{view="origin_delays",to="${to}"}`), to).toBe('0');
  });

  it('counts from the zero series on: a given-up delivery is an increase of 1', async () => {
    countGivenUp(project.state, 'retrain', 1);
    expect(sample(await scrape(), 'featureguard_alert_given_up_total{alert="retrain"}')).toBe('1');
  });

  it('adds the zero series of a view applied while serving', async () => {
    appendFileSync(join(fx.dir, 'features', 'defs.yaml'), `---
kind: feature_view
name: later_delays
entities: [airport]
source: delays_source
ttl: "0"
online: true
features:
  - {name: dep_delay, type: float64}
`);
    const { loadDefinitions } = await import('../../src/definitions/loader.js');
    project.registry.apply(loadDefinitions(project.root, project.config));
    const m = await scrape();
    expect(sample(m, 'featureguard_push_runs_total{view="later_delays",status="blocked"}')).toBe('0');
    expect(sample(m, 'featureguard_push_rows_total{view="later_delays",to="online"}')).toBe('0');
  });
});
