/**
 * Alert deliveries that will never arrive, counted per alert in the state database (so the CLI's, every server's
 * and cron's count): redeliveries given up once `redeliver_for` ran out (or their alert was gone for a week), and
 * deliveries of alerts that are not redelivered (`redeliver_for: 0`, without `min_interval`) whose every try failed
 * or was interrupted. `GET /metrics` exports it as `featureguard_alert_given_up_total`: the pending gauges drop a
 * delivery once it is given up, so a rule on them alone resolves while the trigger is lost.
 *
 * @example
 * countGivenUp(project.state, 'retrain', 1);
 * givenUpByAlert(project.state); // [{ alert: 'retrain', total: 1 }]
 */
import { ensureTables, hasTable, type StateDb } from '../state/state-db.js';

const DDL = `
CREATE TABLE IF NOT EXISTS alert_given_up (
  alert TEXT PRIMARY KEY,
  total INTEGER NOT NULL
);
`;

/** Add `n` given-up deliveries of `alert` (call it inside or outside a transaction: the table is made first). */
export function countGivenUp(state: StateDb, alert: string, n: number): void {
  if (n <= 0) return;
  ensureTables(state, 'alert_given_up', DDL);
  state.prepare('INSERT INTO alert_given_up (alert, total) VALUES (?, ?) ON CONFLICT (alert) DO UPDATE SET total = total + excluded.total').run(alert, n);
}

/** The given-up deliveries counted so far, per alert. */
export function givenUpByAlert(state: StateDb): { alert: string; total: number }[] {
  if (!hasTable(state, 'alert_given_up')) return [];
  return state.prepare('SELECT alert, total FROM alert_given_up ORDER BY alert').all() as { alert: string; total: number }[];
}
