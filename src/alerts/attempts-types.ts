/**
 * A webhook delivery attempt as the quality log records it (attempts.ts), apart from the functions that read and
 * write them: the SDK's published declarations import it from here, so a user's compiler never reaches
 * better-sqlite3's types or the internal `Project` through it.
 */

export interface AlertAttempt {
  run_id: string;
  /** Alert name from featureguard.yaml. */
  alert: string;
  /** Scheme, host and port of the webhook, with `/…` when it has a path or query: see `webhookEndpoint`. */
  url: string;
  /** 1, 2, 3. */
  attempt: number;
  /** HTTP status, null when the request itself failed. */
  status_code: number | null;
  ok: boolean;
  error: string | null;
  /** ISO 8601 UTC time the attempt started. */
  at: string;
  duration_ms: number;
}
