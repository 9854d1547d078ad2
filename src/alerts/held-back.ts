/**
 * Summaries of matches an alert held back (`min_interval`). A storm that stops
 * within the interval would otherwise be reported only with the next match, which
 * may never come: when an interval ends with matches held back and no delivery
 * since, one `featureguard.held_back` event per alert and view/service says how
 * many and which runs. `serve` sends them (a sweep every minute); it counts as a
 * delivery, so a target still gets at most one per interval. An alert whose `min_interval` was removed (or set to 0)
 * with matches held back sends their summary at the next sweep (or its next delivery for the target reports them).
 *
 * @example
 * await sendHeldBackSummaries(project); // POSTs {event: 'featureguard.held_back', suppressed: 3, runs: [{id, …, links}]}
 */
import { featuresOfView } from '../definitions/definition-set.js';
import type { AlertConfig } from '../definitions/types.js';
import type { Project } from '../project.js';
import { onInterrupt } from '../state/interrupt.js';
import { writeWhenFree } from '../state/state-db.js';
import { heldBackRuns, recordInterruptedTry, triesOf } from './attempts.js';
import { datasetOutputs } from './dataset-outputs.js';
import type { AlertAttempt } from './attempts-types.js';
import { heldBackDeliveryId } from './delivery-id.js';
import { DELIVERY_TIMEOUT_MS, backoffMs, deliver, runLinks, type AlertOptions } from './dispatch.js';
import { firstTriesMs } from './redelivery.js';
import { claimHeldBack, forgetUnconfigured, releaseHeldBack, settleHeldBack, unclaimHeldBack, type HeldBackClaim } from './throttle.js';

/** `view:NAME` / `service:NAME` as the payload's `target`; `{}` for runs of neither (project-wide). */
function targetOf(target: string): Record<string, string> {
  const [kind, ...rest] = target.split(':');
  return kind === 'view' || kind === 'service' ? { [kind]: rest.join(':') } : {};
}

/** For a `service:NAME` target, the views the service consumes (its runs of them count under it); else none. */
function viewsOfService(project: Project, target: string): string[] {
  if (!target.startsWith('service:')) return [];
  try {
    const registry = project.registry.current();
    const service = registry.services.get(target.slice('service:'.length));
    if (!service) return [];
    const refs = [...service.features, ...(service.label ? [service.label] : [])];
    return [...registry.views.keys()].filter((view) => featuresOfView(registry, refs, view).length > 0);
  } catch {
    // A registry that no longer resolves the service's references: its own runs only.
    return [];
  }
}

/**
 * Send the summaries that are due at `now`; returns the attempts made. Delivery problems are recorded, never thrown.
 * A summary's count is taken only once a try arrived: one that fails, is interrupted, or whose process is killed
 * meanwhile is sent again (the last once its claim has run out). `opts.signal` stops the sending: the summaries
 * not sent are due again at once, for the next process.
 */
export async function sendHeldBackSummaries(project: Project, now = Date.now(), opts: AlertOptions = {}): Promise<AlertAttempt[]> {
  const alerts = project.config.alerts ?? [];
  // Every write waits for another process's write lock on a timer, never in SQLite's synchronous busy wait (`serve`
  // sends these in the background while it answers requests).
  const free = <T>(write: () => T) => writeWhenFree(project.state, write);
  await free(() => forgetUnconfigured(project.state, alerts, now));
  const hold = firstTriesMs(opts.tries ?? 3, opts.timeoutMs ?? DELIVERY_TIMEOUT_MS, backoffMs(opts));
  const out: AlertAttempt[] = [];
  for (const alert of alerts) {
    // An alert that no longer throttles (min_interval removed or set to 0) still sends what it held back, at once.
    if (opts.signal?.aborted) continue;
    for (const claim of await free(() => claimHeldBack(project.state, alert, now, hold))) {
      // Stopped (`serve` stopping): the summaries not sent are put back as they were, due for the next process.
      if (opts.signal?.aborted) await free(() => unclaimHeldBack(project.state, alert, claim));
      else out.push(...(await sendSummary(project, alert, claim, now, opts)));
    }
  }
  return out;
}

/** POST one claimed summary and settle or release its claim. */
async function sendSummary(project: Project, alert: AlertConfig, claim: HeldBackClaim, now: number, opts: AlertOptions): Promise<AlertAttempt[]> {
  let undo: () => void = () => undefined;
  const free = <T>(write: () => T) => writeWhenFree(project.state, write);
  try {
    const { since, runs } = heldBackRuns(project.state, alert.name, claim.target, 100, viewsOfService(project, claim.target));
    // Runs pruned from the quality log meanwhile: nothing to list, nor to record the delivery on. The count
    // goes with the next delivery.
    if (runs.length === 0) {
      await free(() => unclaimHeldBack(project.state, alert, claim));
      return [];
    }
    const deliveryId = heldBackDeliveryId(alert.name, claim.target, since, runs.map((r) => r.id));
    const body = {
      event: 'featureguard.held_back',
      delivery_id: deliveryId,
      alert: alert.name,
      project: project.config.project,
      target: targetOf(claim.target),
      suppressed: claim.suppressed,
      since,
      // Each run's links, as a run's own delivery has them: the summary's runs may be of several views (a service's).
      // A dataset build's files and manifests too (`run.outputs` of its own delivery): the builds a job would retrain on.
      runs: runs.map((r) => ({ ...r, ...(r.kind === 'dataset' ? { outputs: datasetOutputs(project.runs.get(r.id), r.status) } : {}), links: runLinks(r.id, project.config.server?.public_url) })),
      sent_at: new Date(now).toISOString(),
    };
    // Recorded on the latest held-back run: `runs show` of it lists the summary's attempts, each saying it is the summary.
    const runId = runs[runs.length - 1].id;
    const note = `held-back summary (featureguard.held_back) of ${runs.length} run${runs.length === 1 ? '' : 's'}`;
    // Stopped while sending (Ctrl-C, a second signal to serve): the try in flight is recorded as interrupted and the
    // claim released, as for a summary whose every try failed (a kill leaves the claim to run out instead).
    const before = triesOf(project, runId, alert.name);
    undo = onInterrupt(() => {
      recordInterruptedTry(project.state, alert, runId, triesOf(project, runId, alert.name) - before + 1, note);
      releaseHeldBack(project.state, alert, claim);
    });
    const attempts = await deliver(project.state, alert, runId, JSON.stringify(body), { ...opts, note, deliveryId, target: claim.target });
    if (attempts.some((a) => a.ok)) await free(() => settleHeldBack(project.state, alert, claim));
    else if (opts.signal?.aborted) await free(() => unclaimHeldBack(project.state, alert, claim));
    else await free(() => releaseHeldBack(project.state, alert, claim));
    return attempts;
  } catch {
    // The run went between the query and the record (a prune), or the state database was busy: tried again next time.
    await free(() => releaseHeldBack(project.state, alert, claim));
    return [];
  } finally {
    undo();
  }
}
