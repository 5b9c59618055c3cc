/**
 * Wire compatibility: deliveries verify with real, independent verifiers — the standardwebhooks
 * and svix libraries for `standard`, and a vendor-docs style HMAC check for `hmac-sha256-hex` —
 * before, during and after a secret rotation.
 */

import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { createHmac, timingSafeEqual } from "node:crypto";
import { Webhook as StandardWebhook } from "standardwebhooks";
import { Webhook as SvixWebhook } from "svix";
import { describe, expect, it } from "vitest";
import { dispatcherFor } from "../../src/dispatcher/client";
import type { EndpointDispatcher } from "../../src/dispatcher/endpoint-dispatcher";
import { rotated } from "../../src/services/endpoint-secrets";
import { api, createEndpoint, createTenant } from "../helpers/api";
import { type Received, receiverUrl, uniquePath, waitForReceived } from "../helpers/receiver";

const verifyStandard = (secret: string, r: Received) => new StandardWebhook(secret).verify(r.body, r.headers);
/** svix's verify answers nothing and throws on a bad signature. */
const verifySvix = (secret: string, r: Received) => {
  new SvixWebhook(secret).verify(r.body, r.headers);
  return JSON.parse(r.body) as unknown;
};

/** The check vendors' docs show: hex HMAC of the raw body with the secret string as the key. */
function vendorVerify(secret: string, rawBody: string, header: string, prefix = ""): boolean {
  const expected = Buffer.from(prefix + createHmac("sha256", secret).update(rawBody).digest("hex"));
  const got = Buffer.from(header);
  return expected.length === got.length && timingSafeEqual(expected, got);
}

async function deliverOne(tenant: string, path: string, type = "job.completed") {
  const before = (await waitForReceived(path, 0)).length;
  const res = await api("POST", `/v1/tenants/${tenant}/events`, { body: { type, data: { job_id: "j1" } } });
  expect(res.status).toBe(202);
  const got = await waitForReceived(path, before + 1);
  return got[before]!;
}

describe("standard profile", () => {
  it("verifies with standardwebhooks and svix before, during and after a rotation", async () => {
    const tenant = await createTenant();
    const path = uniquePath("/ok");
    const ep = await createEndpoint(tenant, { url: receiverUrl(path) });
    const oldSecret = ep.secret;
    expect(oldSecret).toMatch(/^whsec_[A-Za-z0-9+/]{32,}={0,2}$/);
    expect(atob(oldSecret.slice(6)).length).toBeGreaterThanOrEqual(24);

    const before = await deliverOne(tenant, path);
    expect(verifyStandard(oldSecret, before)).toMatchObject({ type: "job.completed" });
    expect(verifySvix(oldSecret, before)).toMatchObject({ type: "job.completed" });

    const rotation = await api("POST", `/v1/tenants/${tenant}/endpoints/${ep.id}/rotate-secret`, {
      body: { grace_period_s: 3600 },
    });
    expect(rotation.status).toBe(200);
    const newSecret = rotation.body.secret;
    expect(newSecret).toMatch(/^whsec_/);
    expect(newSecret).not.toBe(oldSecret);
    expect(rotation.body.live_secrets).toBe(2);

    // During the grace period both secrets sign; each alone verifies.
    const during = await deliverOne(tenant, path);
    expect(during.headers["webhook-signature"]!.split(" ")).toHaveLength(2);
    for (const s of [oldSecret, newSecret]) {
      expect(verifyStandard(s, during)).toEqual(JSON.parse(during.body));
      expect(() => verifySvix(s, during)).not.toThrow();
    }

    // Rotating with no grace ends the previous secrets at once: only the newest verifies.
    const again = await api("POST", `/v1/tenants/${tenant}/endpoints/${ep.id}/rotate-secret`, {
      body: { grace_period_s: 0 },
    });
    const newest = again.body.secret;
    expect(again.body.live_secrets).toBe(1);
    const after = await deliverOne(tenant, path);
    expect(after.headers["webhook-signature"]!.split(" ")).toHaveLength(1);
    expect(verifyStandard(newest, after)).toEqual(JSON.parse(after.body));
    expect(() => verifySvix(newest, after)).not.toThrow();
    for (const s of [oldSecret, newSecret]) {
      expect(() => verifyStandard(s, after)).toThrow();
      expect(() => verifySvix(s, after)).toThrow();
    }
  });

  it("after the grace period the old secret stops signing (clock driven, no waiting)", async () => {
    const now = Date.parse("2026-11-22T12:00:00Z");
    const list = rotated([{ secret: "whsec_old", expires_at: null }], "whsec_new", 86_400, now);
    expect(list).toEqual([
      { secret: "whsec_new", expires_at: null, pending: true },
      { secret: "whsec_old", expires_at: now + 86_400_000 },
    ]);
    const { liveSecrets } = await import("../../src/attempts/endpoint-snapshot");
    expect(liveSecrets(list, now + 86_399_000)).toEqual(["whsec_new", "whsec_old"]);
    expect(liveSecrets(list, now + 86_400_000)).toEqual(["whsec_new"]);
  });

  it("keeps at most 10 old secrets", () => {
    let list = [{ secret: "s0", expires_at: null as number | null }];
    for (let i = 1; i <= 15; i++) list = rotated(list, `s${i}`, 604_800, 1000 + i);
    expect(list).toHaveLength(11);
    expect(list[0]!.secret).toBe("s15");
  });

  it("the dispatcher signs retries with the rotated set", async () => {
    const tenant = await createTenant();
    const path = uniquePath("/ok");
    const ep = await createEndpoint(tenant, { url: receiverUrl(path) });
    const rotation = await api("POST", `/v1/tenants/${tenant}/endpoints/${ep.id}/rotate-secret`, {
      body: { grace_period_s: 0 },
    });
    const version: number | null = await runInDurableObject(
      dispatcherFor(env, ep.id),
      async (i: EndpointDispatcher) => {
        const { endpoint } = await i.inspect();
        return endpoint ? endpoint.version : null;
      },
    );
    expect(version).toBe(2);
    const got = await deliverOne(tenant, path);
    expect(verifyStandard(rotation.body.secret, got)).toEqual(JSON.parse(got.body));
  });

  it.each([
    [{}, 400, "unknown"],
    [{ grace_period_s: -1 }, 400, "grace_period_s"],
    [{ grace_period_s: 604_801 }, 400, "grace_period_s"],
    [{ grace: 1 }, 400, "grace"],
  ])("rotate-secret refuses %j", async (body, status, path) => {
    const tenant = await createTenant();
    const ep = await createEndpoint(tenant, { url: receiverUrl("/x") });
    if (path === "unknown") {
      // An empty body is allowed: the default grace applies.
      const res = await api("POST", `/v1/tenants/${tenant}/endpoints/${ep.id}/rotate-secret`);
      expect(res.status).toBe(200);
      return;
    }
    const res = await api("POST", `/v1/tenants/${tenant}/endpoints/${ep.id}/rotate-secret`, { body });
    expect(res.status).toBe(status);
    expect(res.body.error.issues.map((i: { path: string }) => i.path)).toContain(path);
  });
});

describe("hmac-sha256-hex profile", () => {
  it.each([
    ["X-DocExtract-Signature", ""],
    ["X-Webhook-Signature", "sha256="],
    ["X-Bundata-Signature", ""],
  ])("%s (prefix %j) verifies the vendor way, alongside the standard headers", async (header, prefix) => {
    const tenant = await createTenant();
    const path = uniquePath("/ok");
    const ep = await createEndpoint(tenant, {
      url: receiverUrl(path),
      signature: { scheme: "hmac-sha256-hex", header, prefix },
    });
    const got = await deliverOne(tenant, path);
    const value = got.headers[header.toLowerCase()]!;
    expect(value).toMatch(new RegExp(`^${prefix.replace("=", "\\=")}[0-9a-f]{64}$`));
    expect(vendorVerify(ep.secret, got.body, value, prefix)).toBe(true);
    expect(vendorVerify("whsec_wrong", got.body, value, prefix)).toBe(false);
    // Standard Webhooks headers still come along.
    expect(verifyStandard(ep.secret, got)).toEqual(JSON.parse(got.body));

    // The test button signs the same way.
    const test = await api("POST", `/v1/tenants/${tenant}/endpoints/${ep.id}/test`, { body: {} });
    expect(test.body.status_code).toBe(200);
    const all = await waitForReceived(path, 2);
    expect(vendorVerify(ep.secret, all[1]!.body, all[1]!.headers[header.toLowerCase()]!, prefix)).toBe(true);
  });
});

describe("envelopes", () => {
  it.each([
    [
      "standard",
      (id: string) => ({ id, type: "job.completed", timestamp: expect.any(String), data: { job_id: "j1" } }),
    ],
    ["event-data", () => ({ event: "job.completed", data: { job_id: "j1" } })],
    [
      "jsonapi",
      (id: string) => ({
        data: {
          type: "event",
          id,
          attributes: { event_type: "job.completed", created_at: expect.any(String), data: { job_id: "j1" } },
        },
      }),
    ],
  ])("%s", async (envelope, shape) => {
    const tenant = await createTenant();
    const path = uniquePath("/ok");
    const ep = await createEndpoint(tenant, { url: receiverUrl(path), envelope });
    const got = await deliverOne(tenant, path);
    expect(JSON.parse(got.body)).toEqual(shape(got.headers["webhook-id"]!));
    expect(verifyStandard(ep.secret, got)).toEqual(JSON.parse(got.body));
  });
});
