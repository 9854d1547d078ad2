/**
 * Cron expressions of view schedules, checked and read without scheduling them.
 * node-cron's `validate` looks at each field alone: it accepts expressions no
 * date ever matches (`0 0 1 * 1#2`, the 1st that is also the second Monday),
 * on which its `schedule` throws, and refuses some (`0 0 31 2 *`, no 31st of
 * February) as if a field were malformed. `cronProblem` tells them apart, for
 * `validate`/`apply` and for the scheduler.
 */
import cron from 'node-cron';

/**
 * Why `expression` cannot be a view's schedule, or null when it can.
 *
 * @example
 * cronProblem('0 * * * *'); // null
 * cronProblem('0 0 1 * 1#2'); // "'0 0 1 * 1#2' never fires: ..."
 * cronProblem('0 0 31 2 *'); // "'0 0 31 2 *' never fires: ..." (node-cron's validate refuses it)
 */
export function cronProblem(expression: string, timezone = 'UTC'): string | null {
  if (!cron.validate(expression)) {
    if (noDayOfMonthInMonth(expression)) {
      return `'${expression}' never fires: no date matches it (its day of month is past the end of its month: February has at most 29 days; April, June, September and November 30)`;
    }
    return `'${expression}' is not a valid cron expression (5 fields, or 6 with seconds first: [second] minute hour day-of-month month day-of-week, e.g. '0 * * * *')`;
  }
  try {
    nextSlot(expression, timezone);
    return null;
  } catch {
    return `'${expression}' never fires: no date matches it (node-cron requires both the day of month and the day of week to match; '0 0 1 * 1#2' asks for a 1st that is the second Monday)`;
  }
}

/**
 * Whether node-cron refuses `expression` only for its day of month and month together (`0 0 31 2 *`): each is
 * valid with the other any (`*`), so the fields are well formed and no date matches them.
 */
function noDayOfMonthInMonth(expression: string): boolean {
  const fields = expression.trim().split(/\s+/);
  if (fields.length !== 5 && fields.length !== 6) return false;
  const day = fields.length - 3; // day of month, then month
  const anyAt = (i: number) => fields.map((f, j) => (j === i ? '*' : f)).join(' ');
  return cron.validate(anyAt(day)) && cron.validate(anyAt(day + 1));
}

/** The next slot of a valid expression; throws when it never fires. */
function nextSlot(expression: string, timezone: string): Date {
  // A created task is not started: nothing is scheduled.
  const task = cron.createTask(expression, () => undefined, { timezone });
  try {
    return task.getNextRuns(1)[0];
  } finally {
    void task.destroy();
  }
}

/** Next fire time of a cron expression, without scheduling it (null when invalid or never firing). */
export function nextRunOf(expression: string, timezone = 'UTC'): string | null {
  if (!cron.validate(expression)) return null;
  try {
    return nextSlot(expression, timezone).toISOString();
  } catch {
    return null;
  }
}

/**
 * The latest slot of a valid expression in (`now` - `withinMs`, `now` - 1 s], or null. node-cron has no previous
 * run: each second of the window is matched (900 checks for 15 minutes).
 */
export function previousSlot(expression: string, withinMs: number, now = new Date(), timezone = 'UTC'): Date | null {
  const task = cron.createTask(expression, () => undefined, { timezone });
  try {
    // Not the current second: node-cron may be firing it.
    const last = Math.floor(now.getTime() / 1000) - 1;
    for (let s = last; s > last - withinMs / 1000; s--) {
      const at = new Date(s * 1000);
      if (task.match(at)) return at;
    }
    return null;
  } finally {
    void task.destroy();
  }
}
