/**
 * The log of a condition the server answers 503 for (a FeatureguardError of status 503: `store_unavailable`,
 * `timeout`, `store_busy`, `shutting_down`, …): expected and documented, not a bug, so logged as the condition,
 * not as a stack per request. Per error code: one short `warn` line when it starts (the first request's method,
 * path and message, and the runs it made: `run_ids` and `views`), one line with the count every `everyMs` while it
 * lasts, and an `info` line once no request met it for `everyMs`. At 1,000 failing reads a second that is a line every 10 s instead of 2 MB/s of stacks.
 *
 * @example
 * const unavailable = unavailableLog((level, fields, msg) => log[level](fields, msg));
 * unavailable(err, c.req.method, '/v1/online-features');
 */
import type { FeatureguardError } from '../errors.js';

export type UnavailableLogWrite = (level: 'warn' | 'info', fields: Record<string, unknown>, msg: string) => void;

/** The 503 errors a request met, logged per code as above; `everyMs` defaults to 10 s. */
export function unavailableLog(write: UnavailableLogWrite, everyMs = 10_000): (err: FeatureguardError, method: string, path: string, runs?: { run_ids: string[]; views: string[] }) => void {
  const ongoing = new Map<string, { since: number; lineAt: number; count: number; total: number; end: NodeJS.Timeout }>();
  const ended = (code: string) => {
    const o = ongoing.get(code);
    if (!o) return;
    ongoing.delete(code);
    write('info', { code, requests: o.total, seconds: Math.round((Date.now() - o.since) / 1000) }, `no more 503 ${code}`);
  };
  return (err, method, path, runs) => {
    const now = Date.now();
    const o = ongoing.get(err.code);
    if (!o) {
      write('warn', { code: err.code, status: err.status, method, path, ...runs, error: err.message }, `answering 503 ${err.code}`);
      ongoing.set(err.code, { since: now, lineAt: now, count: 0, total: 1, end: quietFor(() => ended(err.code), everyMs) });
      return;
    }
    o.count++;
    o.total++;
    o.end.refresh();
    if (now - o.lineAt < everyMs) return;
    write('warn', { code: err.code, requests: o.count, seconds: Math.round((now - o.lineAt) / 1000), error: err.message }, `still answering 503 ${err.code}`);
    o.lineAt = now;
    o.count = 0;
  };
}

/** A timer that keeps no process alive. */
function quietFor(fn: () => void, ms: number): NodeJS.Timeout {
  const t = setTimeout(fn, ms);
  t.unref();
  return t;
}
