/** The one error envelope: every failure the API answers goes through ApiError. */

export const ERROR_STATUS = {
  bad_request: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  method_not_allowed: 405,
  conflict: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  unprocessable: 422,
  rate_limited: 429,
  internal: 500,
  unavailable: 503,
} as const;

type ErrorCode = keyof typeof ERROR_STATUS;

export interface ErrorIssue {
  path: string;
  message: string;
}

export class ApiError extends Error {
  readonly status: (typeof ERROR_STATUS)[ErrorCode];
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly issues?: ErrorIssue[],
    readonly headers?: Record<string, string>,
  ) {
    super(message);
    this.status = ERROR_STATUS[code];
  }
}

export const notFound = (what: string) => new ApiError("not_found", `${what} not found`);
export const badRequest = (message: string, issues?: ErrorIssue[]) => new ApiError("bad_request", message, issues);

/** Seconds a 503 asks the caller to wait: storage that is overloaded or restarting recovers within about that. */
export const UNAVAILABLE_RETRY_AFTER_S = 1;

const unavailable = (message: string) =>
  new ApiError("unavailable", message, undefined, { "retry-after": String(UNAVAILABLE_RETRY_AFTER_S) });

/**
 * A Durable Object that is overloaded (too many requests queued for it) or was reset mid-call
 * throws with `overloaded` or `retryable` set: that is a moment's unavailability, answered as 503
 * with Retry-After so a client retries, never as a 500. Anything else is not recognised here.
 */
export function asUnavailable(err: unknown): ApiError | null {
  // Drizzle wraps a driver's error ("Failed query: ...") with the runtime's as its cause.
  for (
    let e = err as { overloaded?: unknown; retryable?: unknown; cause?: unknown } | null, depth = 0;
    e && typeof e === "object" && depth < 4;
    depth++
  ) {
    if (e.overloaded === true) return unavailable("this tenant's storage is busy; retry after Retry-After seconds");
    if (e.retryable === true) return unavailable("storage was restarting; retry after Retry-After seconds");
    e = e.cause as typeof e;
  }
  return null;
}

export function errorBody(code: ErrorCode, message: string, requestId: string, issues?: ErrorIssue[]) {
  return { error: { code, message, request_id: requestId, ...(issues?.length ? { issues } : {}) } };
}

export function codeForStatus(status: number): ErrorCode {
  const found = (Object.entries(ERROR_STATUS) as [ErrorCode, number][]).find(([, s]) => s === status);
  if (found) return found[0];
  return status >= 500 ? "internal" : "bad_request";
}
