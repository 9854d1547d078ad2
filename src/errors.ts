/**
 * The one error base class. Everything a user can cause is a `FeatureguardError`
 * with a stable `code`, an HTTP `status` and a CLI `exitCode`; the server maps it
 * to `{"error": {code, message, details}}` in `app.onError`, the CLI to an exit code.
 */
export type ErrorDetails = Record<string, unknown> | unknown[] | undefined;

export interface FeatureguardErrorOptions {
  status?: number;
  exitCode?: number;
  details?: ErrorDetails;
  cause?: unknown;
}

export class FeatureguardError extends Error {
  readonly code: string;
  readonly status: number;
  readonly exitCode: number;
  readonly details: ErrorDetails;

  constructor(code: string, message: string, options: FeatureguardErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'FeatureguardError';
    this.code = code;
    this.status = options.status ?? 500;
    this.exitCode = options.exitCode ?? 3;
    this.details = options.details;
  }

  /** The `{code, message, details}` the API and the CLI's `--json` write (`details` null when there are none). */
  toJSON(): { code: string; message: string; details: ErrorDetails | null } {
    return { code: this.code, message: this.message, details: this.details ?? null };
  }
}

/** One problem in a definition file: where it is and what is wrong. */
export interface DefinitionProblem {
  file: string;
  line?: number;
  column?: number;
  /** JSON path inside the object, e.g. `/features/1/type`. */
  path: string;
  /** Name of the object (when known). */
  object?: string;
  message: string;
}

/** Bad definitions or config: exit code 2, HTTP 422. */
export class DefinitionError extends FeatureguardError {
  readonly problems: DefinitionProblem[];
  constructor(problems: DefinitionProblem[], message?: string) {
    super('invalid_definition', message ?? formatProblems(problems), {
      status: 422,
      exitCode: 2,
      details: { problems },
    });
    this.name = 'DefinitionError';
    this.problems = problems;
  }
}

export function formatProblems(problems: DefinitionProblem[]): string {
  return problems
    .map((p) => {
      const where = p.line === undefined ? p.file : `${p.file}:${p.line}:${p.column ?? 1}`;
      const obj = p.object ? ` (${p.object})` : '';
      return `${where}${obj} at ${p.path || '/'}: ${p.message}`;
    })
    .join('\n');
}

/** Wrong input from a caller (bad flag, bad request body): exit 2, HTTP 400. */
export class InputError extends FeatureguardError {
  constructor(message: string, details?: ErrorDetails, code = 'bad_request') {
    super(code, message, { status: 400, exitCode: 2, details });
    this.name = 'InputError';
  }
}

/** Something named does not exist: exit 2, HTTP 404. */
export class NotFoundError extends FeatureguardError {
  constructor(message: string, details?: ErrorDetails) {
    super('not_found', message, { status: 404, exitCode: 2, details });
    this.name = 'NotFoundError';
  }
}

/** The operation conflicts with current state (a materialization already running, a breaking change): HTTP 409. */
export class ConflictError extends FeatureguardError {
  /** `exitCode` 2 when the caller resolves the conflict by asking differently (a flag), 3 when it must wait. */
  constructor(message: string, details?: ErrorDetails, code = 'conflict', exitCode: 2 | 3 = 3) {
    super(code, message, { status: 409, exitCode, details });
    this.name = 'ConflictError';
  }
}

/** Missing or insufficient credentials: HTTP 401 or 403. */
export class AuthError extends FeatureguardError {
  constructor(message: string, status: 401 | 403 = 401) {
    super(status === 401 ? 'unauthorized' : 'forbidden', message, { status, exitCode: 2 });
    this.name = 'AuthError';
  }
}

export function isFeatureguardError(e: unknown): e is FeatureguardError {
  return e instanceof FeatureguardError;
}

/** Whether `e` is a mistake of the caller's (a `FeatureguardError` with a 4xx status), not a failure of the system. */
export function isCallerError(e: unknown): boolean {
  return e instanceof FeatureguardError && e.status < 500;
}
