import { describe, expect, it } from "vitest";
import { classifyFetchError, classifyResponse } from "../../src/delivery/classify";

describe("classifyResponse", () => {
  it.each<{
    status: number;
    headers?: Record<string, string>;
    ok: boolean;
    control: "disable" | "abort" | null;
    retryAfter?: string;
  }>([
    { status: 200, ok: true, control: null },
    { status: 201, ok: true, control: null },
    { status: 204, ok: true, control: null },
    { status: 299, ok: true, control: null },
    { status: 300, ok: false, control: null },
    { status: 301, ok: false, control: null }, // redirects are not followed: a failure
    { status: 304, ok: false, control: null },
    { status: 199, ok: false, control: null },
    { status: 400, ok: false, control: null },
    { status: 401, ok: false, control: null },
    { status: 404, ok: false, control: null },
    { status: 410, ok: false, control: "disable" },
    { status: 429, headers: { "retry-after": "30" }, ok: false, control: null, retryAfter: "30" },
    { status: 500, ok: false, control: null },
    {
      status: 503,
      headers: { "Retry-After": "Sun, 01 Mar 2026 12:02:00 GMT" },
      ok: false,
      control: null,
      retryAfter: "Sun, 01 Mar 2026 12:02:00 GMT",
    },
    { status: 500, headers: { "webhook-delivery": "disable" }, ok: false, control: "disable" },
    { status: 200, headers: { "webhook-delivery": "disable" }, ok: true, control: "disable" },
    { status: 400, headers: { "Webhook-Delivery": "DISABLE" }, ok: false, control: "disable" },
    { status: 400, headers: { "webhook-delivery": " Disable " }, ok: false, control: "disable" },
    { status: 422, headers: { "webhook-delivery": "abort-message" }, ok: false, control: "abort" },
    { status: 422, headers: { "webhook-delivery": "Abort-Message" }, ok: false, control: "abort" },
    { status: 410, headers: { "webhook-delivery": "abort-message" }, ok: false, control: "disable" }, // disable outranks
    { status: 500, headers: { "webhook-delivery": "abort-message, disable" }, ok: false, control: "disable" },
    { status: 500, headers: { "webhook-delivery": "retry" }, ok: false, control: null },
    { status: 500, headers: { "webhook-delivery": "disabled" }, ok: false, control: null },
    { status: 500, headers: { "x-webhook-delivery": "disable" }, ok: false, control: null },
  ])("$status $headers → ok=$ok control=$control", ({ status, headers, ok, control, retryAfter }) => {
    expect(classifyResponse(status, new Headers(headers))).toEqual({ ok, control, retryAfter: retryAfter ?? null });
  });
});

describe("classifyFetchError", () => {
  const withCause = new Error("fetch failed", { cause: new Error("getaddrinfo ENOTFOUND hooks.example") });
  const timeoutError = new DOMException("The operation timed out.", "TimeoutError");
  it.each<{ name: string; err: unknown; timedOut: boolean; expected: string }>([
    { name: "our timer fired", err: new Error("The operation was aborted"), timedOut: true, expected: "timeout" },
    { name: "timer wins over a DNS message", err: new Error("DNS lookup failed"), timedOut: true, expected: "timeout" },
    { name: "AbortSignal.timeout()", err: timeoutError, timedOut: false, expected: "timeout" },
    {
      name: "workerd DNS",
      err: new Error("DNS lookup failed.; params.host = x; gai_strerror(status) = Name or service not known"),
      timedOut: false,
      expected: "dns",
    },
    { name: "getaddrinfo in cause", err: withCause, timedOut: false, expected: "dns" },
    { name: "could not resolve", err: new TypeError("Could not resolve host"), timedOut: false, expected: "dns" },
    { name: "TLS", err: new Error("TLS peer's certificate is not trusted"), timedOut: false, expected: "tls" },
    { name: "SSL", err: new Error("SSL handshake failed"), timedOut: false, expected: "tls" },
    {
      name: "certificate",
      err: new Error("self signed certificate in certificate chain"),
      timedOut: false,
      expected: "tls",
    },
    { name: "connection lost", err: new Error("Network connection lost."), timedOut: false, expected: "connection" },
    {
      name: "refused",
      err: new TypeError("connect ECONNREFUSED 1.2.3.4:443"),
      timedOut: false,
      expected: "connection",
    },
    {
      name: "internal error",
      err: new Error("internal error; reference = abc"),
      timedOut: false,
      expected: "connection",
    },
    { name: "a string", err: "dns failure", timedOut: false, expected: "dns" },
    { name: "a plain object", err: { message: "tls alert" }, timedOut: false, expected: "tls" },
    { name: "undefined", err: undefined, timedOut: false, expected: "connection" },
    {
      name: "words that merely contain tls/ssl",
      err: new Error("rustls_missing? no: 'mysslstuff'"),
      timedOut: false,
      expected: "connection",
    },
  ])("$name → $expected", ({ err, timedOut, expected }) => {
    expect(classifyFetchError(err, timedOut)).toBe(expected);
  });
});
