// Turns one attempt's outcome into what the ladder needs to know: did it succeed, did the
// receiver ask us to stop (for the endpoint or for this message), and when may we come back.

type ResponseClass = {
  /** Success is any 2xx; redirects are not followed, so 3xx is a failure. */
  ok: boolean;
  /** "disable": disable the endpoint (gone). "abort": cancel this delivery only. */
  control: "disable" | "abort" | null;
  /** The raw Retry-After value, parsed later against the clock by parseRetryAfter. */
  retryAfter: string | null;
};

export function classifyResponse(status: number, headers: Headers): ResponseClass {
  const ok = status >= 200 && status <= 299;
  // The header may carry a list ("disable, foo"); compare tokens, case-insensitively.
  const tokens = (headers.get("webhook-delivery") ?? "").split(",").map((t) => t.trim().toLowerCase());
  let control: ResponseClass["control"] = null;
  // Disabling the endpoint outranks aborting one message: it stops that message too.
  if (status === 410 || tokens.includes("disable")) control = "disable";
  else if (tokens.includes("abort-message")) control = "abort";
  return { ok, control, retryAfter: headers.get("retry-after") };
}

type FetchFailure = "timeout" | "connection" | "dns" | "tls";

const DNS_HINTS =
  /\bdns\b|resolv|getaddrinfo|enotfound|eai_again|name not resolved|no such host|unknown host|host not found|name or service not known|gai_strerror/i;
const TLS_HINTS = /\btls\b|\bssl\b|certificate|handshake|\bx509\b|self[- ]signed|err_cert/i;

/**
 * Best effort: fetch() errors carry no stable code in workerd, only messages, so the kind is
 * read from the message text (and its cause). Anything unrecognised is a connection failure,
 * the kind that is retried on the normal ladder.
 */
export function classifyFetchError(err: unknown, timedOut: boolean): FetchFailure {
  if (timedOut) return "timeout";
  // AbortSignal.timeout() rejects with a DOMException named TimeoutError; read the name off any
  // object rather than relying on DOMException being an Error subclass in every runtime.
  const name = typeof err === "object" && err !== null ? (err as { name?: unknown }).name : undefined;
  if (name === "TimeoutError") return "timeout";
  const text = describe(err);
  if (DNS_HINTS.test(text)) return "dns";
  if (TLS_HINTS.test(text)) return "tls";
  return "connection";
}

function describe(err: unknown, depth = 0): string {
  if (depth > 3 || err === null || err === undefined) return "";
  if (err instanceof Error) {
    const cause = (err as { cause?: unknown }).cause;
    return `${err.name}: ${err.message} ${describe(cause, depth + 1)}`;
  }
  if (typeof err === "object") {
    const message = (err as { message?: unknown }).message;
    if (typeof message === "string") return message;
  }
  return String(err);
}
