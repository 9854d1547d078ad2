/**
 * Summaries of matches an alert held back (`min_interval`). A storm that stops
 * within the interval would otherwise be reported only with the next match, which
 * may never come: when an interval ends with matches held back and no delivery
 * since, one `featureguard.held_back` event per alert and view/service says how
 * many and which runs. `serve` sends them (a sweep every minute); it counts as a
 * delivery, so a target still gets at most one per interval.
 *
 * @example
 * await sendHeldBackSummaries(project); // POSTs {event: 'featureguard.held_back', suppressed: 3, runs: [...]}
 */
import type { Project } from '../project.js';
import { heldBackRuns, type AlertAttempt } from './attempts.js';
import { deliver, type AlertOptions } from './dispatch.js';
import { claimHeldBack, forgetUnconfigured, releaseHeldBack, unclaimHeldBack } from './throttle.js';

/** `view:NAME` / `service:NAME` as the payload's `target`; `{}` for runs of neither (project-wide). */
function targetOf(target: string): Record<string, string> {
  const [kind, ...rest] = target.split(':');
  return kind === 'view' || kind === 'service' ? { [kind]: rest.join(':') } : {};
}

/** Send the summaries that are due at `now`; returns the attempts made. Delivery problems are recorded, never thrown. */
export async function sendHeldBackSummaries(project: Project, now = Date.now(), opts: AlertOptions = {}): Promise<AlertAttempt[]> {
  const alerts = project.config.alerts ?? [];
  forgetUnconfigured(project.state, alerts, now);
  const out: AlertAttempt[] = [];
  for (const alert of alerts) {
    if (!alert.min_interval) continue;
    for (const claim of claimHeldBack(project.state, alert, now)) {
      try {
        const { since, runs } = heldBackRuns(project.state, alert.name, claim.target);
        // Runs pruned from the quality log meanwhile: nothing to list, nor to record the delivery on. The count
        // goes with the next delivery.
        if (runs.length === 0) {
          unclaimHeldBack(project.state, alert, claim);
          continue;
        }
        const body = {
          event: 'featureguard.held_back',
          alert: alert.name,
          project: project.config.project,
          target: targetOf(claim.target),
          suppressed: claim.suppressed,
          since,
          runs,
          sent_at: new Date(now).toISOString(),
        };
        // Recorded on the latest held-back run: `runs show` of it lists the summary's attempts.
        const attempts = await deliver(project.state, alert, runs[runs.length - 1].id, JSON.stringify(body), opts);
        if (!attempts.some((a) => a.ok)) releaseHeldBack(project.state, alert, claim);
        out.push(...attempts);
      } catch {
        // The run went between the query and the record (a prune): tried again next time.
        releaseHeldBack(project.state, alert, claim);
      }
    }
  }
  return out;
}
