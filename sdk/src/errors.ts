/** The API's error envelope as an exception: code, message, issues and request id, in its words. */
export interface ErrorIssue {
  path: string;
  message: string;
}

export class EdgehooksError extends Error {
  override readonly name = "EdgehooksError";
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly requestId: string | null,
    readonly issues: ErrorIssue[] = [],
  ) {
    super(message);
  }

  /** One line per fact, for a terminal: `not_found: endpoint not found (request req_...)` then each issue. */
  describe(): string {
    const head = `${this.code}: ${this.message}${this.requestId ? ` (request ${this.requestId})` : ""}`;
    return [head, ...this.issues.map((i) => `  ${i.path || "(body)"}: ${i.message}`)].join("\n");
  }

  /** From a non-2xx answer: the envelope when there is one, else the bare status. */
  static from(response: Response, body: unknown): EdgehooksError {
    const error = (
      body as { error?: { code?: unknown; message?: unknown; request_id?: unknown; issues?: unknown } } | null
    )?.error;
    const requestId = typeof error?.request_id === "string" ? error.request_id : response.headers.get("x-request-id");
    if (error && typeof error.code === "string" && typeof error.message === "string") {
      return new EdgehooksError(
        response.status,
        error.code,
        error.message,
        requestId,
        Array.isArray(error.issues) ? (error.issues as ErrorIssue[]) : [],
      );
    }
    return new EdgehooksError(
      response.status,
      `http_${response.status}`,
      response.statusText || "unexpected answer",
      requestId,
    );
  }
}
