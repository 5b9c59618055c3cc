/**
 * One HTTP attempt of a delivery: SSRF check, render, sign, POST with a timeout and no redirects,
 * keep the first 16 KiB of the answer. Never throws for a receiver's failure: a failure is data.
 * Shared by the dispatcher (scheduled/manual/recover attempts) and the endpoint test button.
 */
import type { Config } from "../config";
import { newIdBeside } from "../db/ids";
import { classifyFetchError, classifyResponse } from "../delivery/classify";
import { renderBody } from "../delivery/envelope";
import type { FailureKind } from "../delivery/retry-policy";
import { signatureHeaders } from "../delivery/sign";
import { checkDestination, destinationRules } from "../delivery/ssrf";
import type { AttemptError, AttemptTrigger } from "../domain/deliveries";
import { selfHosts } from "../lib/self-hosts";
import type { ConnectionSlots } from "./connection-slots";
import type { ResolvedEndpoint } from "./endpoint-snapshot";
import { firstAttemptId, isFirstScheduled } from "./first-attempt-id";
import { MASK } from "./shown-headers";
import { traceHeader } from "./trace-header";

const RESPONSE_BODY_LIMIT = 16 * 1024;

interface AttemptEvent {
  id: string;
  type: string;
  createdAt: number;
  /** The producer's data as JSON text. */
  payload: string;
  /** The ingest request's W3C trace, if it had one: the attempt is sent as a new span of it. */
  traceId?: string | null;
  traceFlags?: string | null;
  /** Its delivery's place in its lane (N), sent as `webhook-sequence`; null for an event without an ordering key. */
  sequence?: number | null;
}

export interface AttemptResult {
  /** Assigned before sending, so replaying a recorded outcome (outbox) cannot insert it twice. */
  id: string;
  number: number;
  trigger: AttemptTrigger;
  url: string;
  startedAt: number;
  durationMs: number;
  ok: boolean;
  statusCode: number | null;
  responseBody: string | null;
  error: AttemptError | null;
  errorDetail: string | null;
  failure: FailureKind | null;
  control: "disable" | "abort" | null;
  retryAfter: string | null;
  requestHeaders: Record<string, string>;
}

interface SendAttemptInput {
  endpoint: ResolvedEndpoint;
  event: AttemptEvent;
  /** The delivery it is an attempt of: its first scheduled attempt takes an id from it (./first-attempt-id.ts). */
  deliveryId?: string;
  number: number;
  trigger: AttemptTrigger;
  config: Config;
  now: () => number;
  /**
   * The invocation's connections (./connection-slots.ts): the attempt waits for one before its
   * clock starts, so its timeout runs from the request's start on the wire. None: it sends at once.
   */
  connections?: ConnectionSlots;
}

/** RFC 7617 with charset UTF-8: base64 of the UTF-8 bytes (btoa alone throws beyond Latin-1). */
function basicCredentials(username: string, password: string): string {
  let binary = "";
  for (const b of new TextEncoder().encode(`${username}:${password}`)) binary += String.fromCharCode(b);
  return `Basic ${btoa(binary)}`;
}

function authHeader(endpoint: ResolvedEndpoint): [string, string] | null {
  const auth = endpoint.auth;
  if (!auth) return null;
  if (auth.type === "basic") return ["authorization", basicCredentials(auth.username, auth.password)];
  return [auth.name.toLowerCase(), auth.value];
}

/** The request headers as logged: every value that could be a credential is masked. */
function maskHeaders(headers: Record<string, string>, secretNames: Set<string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) out[k] = secretNames.has(k) ? MASK : v;
  return out;
}

async function buildRequest(input: SendAttemptInput, timestampS: number) {
  const { endpoint, event } = input;
  const body = renderBody(endpoint.envelope, {
    id: event.id,
    type: event.type,
    createdAt: new Date(event.createdAt).toISOString(),
    data: JSON.parse(event.payload),
  });
  const headers: Record<string, string> = {};
  const secretNames = new Set<string>();
  for (const [k, v] of Object.entries(endpoint.headers)) {
    headers[k.toLowerCase()] = v;
    secretNames.add(k.toLowerCase());
  }
  const auth = authHeader(endpoint);
  if (auth) {
    headers[auth[0]] = auth[1];
    secretNames.add(auth[0]);
  }
  const signatures = await signatureHeaders(
    endpoint.signature,
    endpoint.secrets,
    event.id,
    timestampS,
    body,
    endpoint.headerSecret,
  );
  Object.assign(headers, {
    "content-type": "application/json",
    "user-agent": `Edgehooks/${input.config.version}`,
    "webhook-id": event.id,
    "webhook-timestamp": String(timestampS),
    "webhook-attempt": String(input.number),
    ...(event.sequence ? { "webhook-sequence": String(event.sequence) } : {}),
    ...signatures,
    ...(endpoint.propagateTraceparent === false ? {} : traceHeader(event)),
  });
  return { body, headers, logged: maskHeaders(headers, secretNames) };
}

async function readExcerpt(res: Response): Promise<string> {
  if (!res.body) return "";
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    while (size < RESPONSE_BODY_LIMIT) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      size += value.byteLength;
    }
  } finally {
    // Stop reading a huge answer: we keep 16 KiB and drop the rest unread.
    reader.cancel().catch(() => {});
  }
  const all = new Uint8Array(Math.min(size, RESPONSE_BODY_LIMIT));
  let offset = 0;
  for (const c of chunks) {
    const part = c.subarray(0, all.length - offset);
    all.set(part, offset);
    offset += part.length;
    if (offset >= all.length) break;
  }
  return new TextDecoder().decode(all);
}

/** An attempt that never left: refused destination, or a request that could not be built. */
function notSent(
  base: Pick<AttemptResult, "id" | "number" | "trigger" | "url" | "startedAt">,
  kind: "blocked_destination" | "connection",
  detail: string,
): AttemptResult {
  return {
    ...base,
    durationMs: 0,
    ok: false,
    statusCode: null,
    responseBody: null,
    error: kind,
    errorDetail: detail,
    failure: kind,
    control: null,
    retryAfter: null,
    requestHeaders: {},
  };
}

export async function sendAttempt(input: SendAttemptInput): Promise<AttemptResult> {
  if (!input.connections) return attemptOnWire(input);
  const release = await input.connections.acquire();
  try {
    return await attemptOnWire(input);
  } finally {
    release();
  }
}

/** The attempt once it has a connection: everything it measures starts here. */
async function attemptOnWire(input: SendAttemptInput): Promise<AttemptResult> {
  const startedAt = input.now();
  const base = {
    id:
      input.deliveryId && isFirstScheduled(input.number, input.trigger)
        ? firstAttemptId(input.deliveryId)
        : newIdBeside("att", input.event.id, startedAt),
    number: input.number,
    trigger: input.trigger,
    url: input.endpoint.url,
    startedAt,
  };
  const verdict = checkDestination(input.endpoint.url, {
    ...destinationRules(input.config, input.endpoint.sandbox),
    selfHosts: selfHosts(input.config),
  });
  if (!verdict.ok) {
    return notSent(base, "blocked_destination", verdict.reason);
  }
  // Nothing that goes wrong before the request leaves may throw: a throw would leave the
  // delivery pending (the dispatcher re-sends its siblings every lease) and /test answer 500.
  let built: Awaited<ReturnType<typeof buildRequest>>;
  try {
    if (input.endpoint.unusable) throw new Error(input.endpoint.unusable);
    built = await buildRequest(input, Math.floor(startedAt / 1000));
  } catch (err) {
    return notSent(
      base,
      "connection",
      `the request could not be built: ${String((err as Error)?.message ?? err).slice(0, 400)}`,
    );
  }
  const { body, headers, logged } = built;
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, input.endpoint.timeoutMs);
  const t0 = Date.now();
  try {
    const res = await fetch(verdict.url.toString(), {
      method: "POST",
      headers,
      body,
      redirect: "manual",
      signal: controller.signal,
    });
    const excerpt = await readExcerpt(res);
    const cls = classifyResponse(res.status, res.headers);
    return {
      ...base,
      durationMs: Date.now() - t0,
      ok: cls.ok,
      statusCode: res.status,
      responseBody: excerpt,
      error: null,
      errorDetail: null,
      failure: cls.ok ? null : "http",
      control: cls.control,
      retryAfter: cls.retryAfter,
      requestHeaders: logged,
    };
  } catch (err) {
    const kind = classifyFetchError(err, timedOut);
    return {
      ...base,
      durationMs: Date.now() - t0,
      ok: false,
      statusCode: null,
      responseBody: null,
      error: kind,
      errorDetail: timedOut
        ? `no answer within ${input.endpoint.timeoutMs} ms`
        : String((err as Error)?.message ?? err).slice(0, 500),
      failure: kind,
      control: null,
      retryAfter: null,
      requestHeaders: logged,
    };
  } finally {
    clearTimeout(timer);
  }
}
