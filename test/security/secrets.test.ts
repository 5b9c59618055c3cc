/**
 * Secrets at rest and in answers: the endpoint secret, auth values and custom header values are
 * encrypted in D1, never in an API answer after creation, and masked in attempt logs.
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { api, createTenant, eventually } from "../helpers/api";
import { receiverUrl, uniquePath, waitForReceived } from "../helpers/receiver";
import { logRows } from "../helpers/tenant-log";

const D1_TABLES = ["tenants", "api_keys", "endpoints", "event_types", "portal_sessions", "task_owners"];
const LOG_TABLES = [
  "events",
  "idempotency_keys",
  "deliveries",
  "attempts",
  "dead_letters",
  "tasks",
  "delivery_stats",
  "meta",
];

/** Everything at rest: D1 (configuration) and the tenant's TenantLog (traffic). */
async function dumpStores(tenant: string): Promise<string> {
  const parts: string[] = [];
  for (const t of D1_TABLES) parts.push(JSON.stringify((await env.DB.prepare(`SELECT * FROM ${t}`).all()).results));
  for (const t of LOG_TABLES) parts.push(JSON.stringify(await logRows(tenant, `SELECT * FROM ${t}`)));
  return parts.join("\n");
}

describe("endpoint credentials", () => {
  it.each([
    [
      "basic",
      { type: "basic", username: "zapier-user", password: "pa55-basic-SECRET" },
      "authorization",
      `Basic ${btoa("zapier-user:pa55-basic-SECRET")}`,
      "pa55-basic-SECRET",
    ],
    [
      "header",
      { type: "header", name: "X-Webhook-Token", value: "tok-HEADER-SECRET" },
      "x-webhook-token",
      "tok-HEADER-SECRET",
      "tok-HEADER-SECRET",
    ],
  ])(
    "%s auth and custom headers reach the receiver, and are never shown again nor stored in clear",
    async (_kind, auth, header, wire, plain) => {
      const tenant = await createTenant();
      const path = uniquePath("/ok");
      const created = await api("POST", `/v1/tenants/${tenant}/endpoints`, {
        body: { url: receiverUrl(path), auth, headers: { "X-Customer": "cust-HEADER-VALUE-SECRET" } },
      });
      expect(created.status).toBe(201);
      const secret = created.body.secret as string;
      expect(created.body.auth).toEqual({ type: auth.type });
      expect(created.body.headers).toEqual({ "X-Customer": "********" });

      const posted = await api("POST", `/v1/tenants/${tenant}/events`, { body: { type: "a.b", data: {} } });
      const [got] = await waitForReceived(path);
      expect(got!.headers[header]).toBe(wire);
      expect(got!.headers["x-customer"]).toBe("cust-HEADER-VALUE-SECRET");

      const deliveries = await eventually(
        () => api("GET", `/v1/tenants/${tenant}/events/${posted.body.id}/deliveries`),
        (r) => r.body.data[0]?.status === "succeeded",
      );
      const test = await api("POST", `/v1/tenants/${tenant}/endpoints/${created.body.id}/test`, { body: {} });
      const answers = [
        await api("GET", `/v1/tenants/${tenant}/endpoints/${created.body.id}`),
        await api("GET", `/v1/tenants/${tenant}/endpoints`),
        await api("PATCH", `/v1/tenants/${tenant}/endpoints/${created.body.id}`, { body: { description: "x" } }),
        await api("GET", `/v1/tenants/${tenant}/deliveries/${deliveries.body.data[0].id}`),
        await api("GET", `/v1/tenants/${tenant}/attempts`),
        test,
      ];
      const text = JSON.stringify(answers.map((a) => a.body));
      for (const value of [secret, plain, "cust-HEADER-VALUE-SECRET", wire]) expect(text).not.toContain(value);
      const detail = answers[3]!.body;
      expect(detail.attempts[0].request_headers[header]).toBe("********");
      expect(detail.attempts[0].request_headers["x-customer"]).toBe("********");
      expect(test.body.request_headers[header]).toBe("********");

      // Nothing in D1 or the tenant's log holds them in clear (AES-GCM under ENCRYPTION_KEY, with a key id).
      const dump = await dumpStores(tenant);
      for (const value of [secret, secret.slice(6), plain, "cust-HEADER-VALUE-SECRET"])
        expect(dump).not.toContain(value);
      const row = await env.DB.prepare("SELECT secrets_enc, auth_enc, headers_enc FROM endpoints WHERE id = ?")
        .bind(created.body.id)
        .first<Record<string, string>>();
      for (const v of Object.values(row!)) expect(v).toMatch(/^v2\.[0-9a-f]{8}\.[A-Za-z0-9+/=]+\.[A-Za-z0-9+/=]+$/);
    },
  );

  it("API keys and portal tokens are stored as hashes only", async () => {
    const tenant = await createTenant();
    const key = (await api("POST", "/v1/api-keys", { body: { name: "k", scopes: ["read"], tenant_id: tenant } })).body
      .key as string;
    const token = (await api("POST", `/v1/tenants/${tenant}/portal-sessions`, { body: {} })).body.token as string;
    const dump = await dumpStores(tenant);
    expect(dump).not.toContain(key);
    expect(dump).not.toContain(key.slice(3));
    expect(dump).not.toContain(token);
    expect((await api("GET", "/v1/api-keys")).body.data.some((k: { key?: string }) => "key" in k)).toBe(false);
  });

  it.each([
    ["Content-Type"],
    ["content-length"],
    ["Host"],
    ["User-Agent"],
    ["webhook-id"],
    ["Webhook-Signature"],
    ["bad header"],
  ])("custom header %s is refused", async (name) => {
    const tenant = await createTenant();
    const res = await api("POST", `/v1/tenants/${tenant}/endpoints`, {
      body: { url: receiverUrl("/x"), headers: { [name]: "v" } },
    });
    expect(res.status).toBe(400);
    expect(res.body.error.issues[0].path).toMatch(/^headers/);
  });
});
