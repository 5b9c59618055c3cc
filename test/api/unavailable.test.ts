/**
 * A Durable Object that is overloaded or was reset mid-call throws with `overloaded` or
 * `retryable` set; the API answers that as 503 `unavailable` with Retry-After in the one envelope,
 * never a 500. The route below throws what the runtime throws; the app's error handler is the real one.
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { createApp } from "../../src/app";
import { ApiError, asUnavailable, UNAVAILABLE_RETRY_AFTER_S } from "../../src/errors";

function runtimeError(message: string, flags: { overloaded?: boolean; retryable?: boolean }) {
  return Object.assign(new Error(message), flags);
}

async function answerTo(thrown: unknown) {
  const app = createApp();
  app.get("/throws", () => {
    throw thrown;
  });
  return app.request("/throws", {}, env);
}

describe("storage unavailable", () => {
  it.each([
    ["overloaded", runtimeError("Durable Object is overloaded. Too many requests queued.", { overloaded: true })],
    ["reset (retryable)", runtimeError("Durable Object reset because its code was updated.", { retryable: true })],
    [
      "wrapped by the query builder",
      Object.assign(new Error("Failed query: select 1"), {
        cause: runtimeError("Durable Object is overloaded.", { overloaded: true }),
      }),
    ],
  ])("a %s object answers 503 unavailable with Retry-After", async (_what, thrown) => {
    const res = await answerTo(thrown);
    expect(res.status).toBe(503);
    expect(res.headers.get("retry-after")).toBe(String(UNAVAILABLE_RETRY_AFTER_S));
    expect(res.headers.get("x-request-id")).toMatch(/^req_/);
    const body = (await res.json()) as { error: { code: string; message: string; request_id: string } };
    expect(body.error.code).toBe("unavailable");
    expect(body.error.message).toContain("retry");
    // The runtime's own words stay in the log.
    expect(body.error.message).not.toContain("Durable Object");
  });

  it("any other error is still a 500 with the fixed message", async () => {
    const res = await answerTo(new Error("boom"));
    expect(res.status).toBe(500);
    expect(((await res.json()) as { error: { code: string; message: string } }).error).toMatchObject({
      code: "internal",
      message: "internal error",
    });
  });

  it("recognises only the runtime's flags", () => {
    expect(asUnavailable(runtimeError("x", { overloaded: true }))).toBeInstanceOf(ApiError);
    expect(asUnavailable(runtimeError("x", { retryable: false }))).toBeNull();
    expect(asUnavailable(new Error("x"))).toBeNull();
    expect(asUnavailable(null)).toBeNull();
    expect(asUnavailable("overloaded")).toBeNull();
  });
});
