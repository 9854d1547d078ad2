/**
 * Delivery ids: every body carries `delivery_id`, also sent as `X-Featureguard-Delivery`, the same on every try and
 * redelivery of one delivery, so a receiver that got a delivery twice (its answer lost or late, a process killed
 * between a try arriving and its record) acts once. A run's delivery is `run:<run id>:<alert>`; a held-back summary's
 * is `held_back:` and a hash of its alert, target, `since` and runs, so the same summary sent again (its tries failed,
 * or its settle was lost) has the same id, and one that reports more runs has another.
 *
 * @example
 * deliver(state, alert, runId, body, { deliveryId: runDeliveryId(runId, alert.name) });
 */
import { createHash } from 'node:crypto';

export const DELIVERY_HEADER = 'X-Featureguard-Delivery';

/** The id of `alert`'s delivery for a run (one per run and alert: an alert fires once per run). */
export function runDeliveryId(runId: string, alert: string): string {
  return `run:${runId}:${alert}`;
}

/** The id of a held-back summary: the same for the same alert, target, `since` and runs. */
export function heldBackDeliveryId(alert: string, target: string, since: string | null, runIds: readonly string[]): string {
  return `held_back:${createHash('sha256').update(JSON.stringify([alert, target, since, runIds])).digest('hex').slice(0, 32)}`;
}
