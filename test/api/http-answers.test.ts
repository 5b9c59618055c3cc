/**
 * What the API says to a client that is nearly right: a body sent with the wrong content type
 * names the one it accepts, a method a resource does not take answers 405 with the ones it does,
 * and the reference answers at /docs/ as well as /docs.
 */
import { SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { createTenant, ROOT_KEY } from "../helpers/api";

const auth = { authorization: `Bearer ${ROOT_KEY}` };

describe("HTTP answers", () => {
  it("415 names application/json", async () => {
    const tenant = await createTenant();
    const res = await SELF.fetch(`http://edgehooks.test/v1/tenants/${tenant}/events`, {
      method: "POST",
      headers: { ...auth, "content-type": "text/plain" },
      body: JSON.stringify({ type: "a.b", data: {} }),
    });
    expect(res.status).toBe(415);
    const body = (await res.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe("unsupported_media_type");
    expect(body.error.message).toContain("application/json");
  });

  it("a method the resource does not take answers 405 with Allow, in the envelope", async () => {
    const tenant = await createTenant();
    const res = await SELF.fetch(`http://edgehooks.test/v1/tenants/${tenant}`, {
      method: "PUT",
      headers: { ...auth, "content-type": "application/json" },
      body: "{}",
    });
    expect(res.status).toBe(405);
    const allow = (res.headers.get("allow") ?? "").split(/,\s*/).sort();
    expect(allow).toEqual(expect.arrayContaining(["DELETE", "GET", "PATCH"]));
    expect(allow).not.toContain("PUT");
    const body = (await res.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe("method_not_allowed");
    expect(body.error.message).toContain("PATCH");
    // A path that is no resource at all is still 404.
    expect((await SELF.fetch("http://edgehooks.test/v1/nothing-here", { method: "PUT", headers: auth })).status).toBe(
      404,
    );
  });

  it("an endpoint URL without a scheme is refused with what it must start with", async () => {
    const tenant = await createTenant();
    const res = await SELF.fetch(`http://edgehooks.test/v1/tenants/${tenant}/endpoints`, {
      method: "POST",
      headers: { ...auth, "content-type": "application/json" },
      body: JSON.stringify({ url: "localhost:4000/webhooks" }),
    });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: { issues: { path: string; message: string }[] } };
    // This deployment allows http:// (the tests' ALLOW_HTTP_URLS), so the message offers both.
    expect(body.error.issues).toContainEqual(
      expect.objectContaining({ path: "url", message: expect.stringContaining("must start with https:// or http://") }),
    );
  });

  it("a reused Idempotency-Key answers the first event with Idempotent-Replayed: true", async () => {
    const tenant = await createTenant();
    const post = () =>
      SELF.fetch(`http://edgehooks.test/v1/tenants/${tenant}/events`, {
        method: "POST",
        headers: { ...auth, "content-type": "application/json", "idempotency-key": "job_123-done" },
        body: JSON.stringify({ type: "a.b", data: {} }),
      });
    const first = await post();
    expect(first.headers.get("idempotent-replayed")).toBeNull();
    const again = await post();
    expect(again.status).toBe(202);
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    expect(((await again.json()) as { id: string }).id).toBe(((await first.json()) as { id: string }).id);
  });

  it("/docs/ answers like /docs", async () => {
    const res = await SELF.fetch("http://edgehooks.test/docs/", { redirect: "manual" });
    expect([200, 301, 308]).toContain(res.status);
    if (res.status !== 200) expect(res.headers.get("location")).toMatch(/\/docs$/);
  });
});
