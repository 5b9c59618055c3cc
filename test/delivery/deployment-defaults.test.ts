/** DEFAULT_SIGNATURE and DEFAULT_RETRY_POLICY: parsed from the environment, used where an endpoint sets none. */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { BUILT_IN_DEFAULTS, deploymentDefaults } from "../../src/attempts/deployment-defaults";
import { resolveEndpoint } from "../../src/attempts/endpoint-snapshot";
import { serviceCtx } from "../../src/services/context";
import { createEndpoint, endpointView } from "../../src/services/endpoints";
import { api, createTenant } from "../helpers/api";

const HEX = '{"scheme":"hmac-sha256-hex","header":"X-Webhook-Signature"}';

describe("deployment defaults", () => {
  it("are Standard Webhooks and the standard ladder when unset", () => {
    expect(deploymentDefaults({})).toEqual(BUILT_IN_DEFAULTS);
    expect(deploymentDefaults({ DEFAULT_SIGNATURE: " ", DEFAULT_RETRY_POLICY: "" })).toEqual(BUILT_IN_DEFAULTS);
  });

  it("parse a JSON signature profile, a preset name and a custom schedule", () => {
    expect(deploymentDefaults({ DEFAULT_SIGNATURE: HEX, DEFAULT_RETRY_POLICY: "rapid" })).toEqual({
      signature: { scheme: "hmac-sha256-hex", header: "X-Webhook-Signature", prefix: "" },
      retryPolicy: "rapid",
    });
    expect(deploymentDefaults({ DEFAULT_RETRY_POLICY: '{"schedule_s":[1,60]}' }).retryPolicy).toEqual({
      schedule_s: [1, 60],
    });
  });

  it("fall back to the built-in default on a value that does not parse", () => {
    for (const bad of ["hourly", "{not json", '{"schedule_s":[]}', '{"scheme":"md5"}']) {
      const d = deploymentDefaults({ DEFAULT_SIGNATURE: bad, DEFAULT_RETRY_POLICY: bad });
      expect(d, bad).toEqual(BUILT_IN_DEFAULTS);
    }
  });

  it("apply to endpoints that set none, in the API view and at signing; an endpoint's own choice wins", async () => {
    const tenant = await createTenant();
    const ctx = serviceCtx(env);
    const { row: plain } = await createEndpoint(ctx, tenant, { url: "https://example.com/a" });
    const { row: own } = await createEndpoint(ctx, tenant, {
      url: "https://example.com/b",
      signature: { scheme: "standard" },
      retry_policy: "doubling",
    });
    const defaults = deploymentDefaults({ DEFAULT_SIGNATURE: HEX, DEFAULT_RETRY_POLICY: "extended" });

    expect(endpointView(plain, defaults)).toMatchObject({
      signature: { scheme: "hmac-sha256-hex" },
      retry_policy: "extended",
    });
    expect(endpointView(own, defaults)).toMatchObject({ signature: { scheme: "standard" }, retry_policy: "doubling" });

    const deploymentEnv = { ...env, DEFAULT_SIGNATURE: HEX, DEFAULT_RETRY_POLICY: "extended" };
    expect((await resolveEndpoint(deploymentEnv, plain, Date.now())).signature).toMatchObject({
      header: "X-Webhook-Signature",
    });
    expect((await resolveEndpoint(deploymentEnv, plain, Date.now())).retryPolicy).toBe("extended");
    expect((await resolveEndpoint(deploymentEnv, own, Date.now())).signature).toEqual({ scheme: "standard" });
  });

  it("PATCH with null puts an endpoint back on the deployment default", async () => {
    const tenant = await createTenant();
    const created = await api("POST", `/v1/tenants/${tenant}/endpoints`, {
      body: { url: "https://example.com/c", retry_policy: "rapid" },
    });
    expect(created.body.retry_policy).toBe("rapid");
    const patched = await api("PATCH", `/v1/tenants/${tenant}/endpoints/${created.body.id}`, {
      body: { retry_policy: null, signature: null },
    });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ retry_policy: "standard", signature: { scheme: "standard" } });
  });
});
