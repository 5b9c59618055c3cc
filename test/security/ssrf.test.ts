/**
 * The SSRF guard at create, at update and before every attempt. The test environment allows
 * http and private addresses (so the local receiver works); these tests run the services with a
 * production configuration instead.
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { resolveEndpoint } from "../../src/attempts/endpoint-snapshot";
import { sendAttempt } from "../../src/attempts/send-attempt";
import { ApiError } from "../../src/errors";
import { serviceCtx } from "../../src/services/context";
import { createEndpoint as createEndpointVerb, updateEndpoint } from "../../src/services/endpoints";
import { api, createTenant } from "../helpers/api";
import { ladder } from "../helpers/ladder";

const production = () => {
  const ctx = serviceCtx(env);
  return { ...ctx, config: { ...ctx.config, allowHttp: false, allowPrivate: false } };
};

const REFUSED = [
  "http://example.com/hook",
  "ftp://example.com/hook",
  "javascript:alert(1)",
  "https://localhost/hook",
  "https://localhost./hook",
  "https://LOCALHOST/hook",
  "https://foo.localhost/hook",
  "https://metadata.google.internal/computeMetadata/v1/",
  "https://db.internal/",
  "https://127.0.0.1/",
  "https://127.1/",
  "https://2130706433/",
  "https://0x7f000001/",
  "https://0177.0.0.1/",
  "https://0x7f.0.0.1/",
  "https://10.0.0.1/",
  "https://172.16.5.4/",
  "https://192.168.1.1/",
  "https://169.254.169.254/latest/meta-data/",
  "https://100.64.0.1/",
  "https://0.0.0.0/",
  "https://224.0.0.1/",
  "https://255.255.255.255/",
  "https://[::1]/",
  "https://[::]/",
  "https://[::ffff:127.0.0.1]/",
  "https://[::ffff:7f00:1]/",
  "https://[::ffff:169.254.169.254]/",
  "https://[fe80::1]/",
  "https://[fd00::1]/",
  "https://[fc00::1]/",
  "https://[ff02::1]/",
  "https://user:pass@example.com/hook",
  "https://example.com@127.0.0.1/",
  `https://example.com/${"a".repeat(2100)}`,
  "not a url",
];

const ALLOWED = [
  "https://example.com/hook",
  "https://hooks.example.co.uk:8443/a?b=c",
  "https://8.8.8.8/",
  "https://[2606:4700:4700::1111]/",
  "https://[::ffff:8.8.8.8]/",
];

describe("destination URLs", () => {
  it(`refuses ${REFUSED.length} tricky spellings at create`, async () => {
    const tenant = await createTenant();
    for (const url of REFUSED) {
      const err = await createEndpointVerb(production(), tenant, { url }).catch((e) => e);
      expect(err, url).toBeInstanceOf(ApiError);
      expect(err.status, url).toBe(400);
      expect(err.issues?.[0]?.path, url).toBe("url");
    }
  });

  it("allows public https destinations at create", async () => {
    const tenant = await createTenant();
    for (const url of ALLOWED) {
      const { row } = await createEndpointVerb(production(), tenant, { url });
      expect(row.url, url).toBe(new URL(url).toString());
    }
  });

  it("refuses them at update too", async () => {
    const tenant = await createTenant();
    const { row } = await createEndpointVerb(production(), tenant, { url: "https://example.com/hook" });
    for (const url of REFUSED) {
      const err = await updateEndpoint(production(), tenant, row.id, { url }).catch((e) => e);
      expect(err, url).toBeInstanceOf(ApiError);
      expect(err.status, url).toBe(400);
    }
    // And over HTTP: a 400 in the envelope with the reason on `url`.
    const res = await api("POST", `/v1/tenants/${tenant}/endpoints`, { body: { url: "ftp://example.com/" } });
    expect(res.status).toBe(400);
    expect(res.body.error.issues[0].path).toBe("url");
  });

  it("checks again before every attempt: a blocked attempt is recorded and sends nothing", async () => {
    const tenant = await createTenant();
    const { row } = await createEndpointVerb(serviceCtx(env), tenant, { url: "https://example.com/hook" });
    const ctx = production();
    for (const url of REFUSED.slice(0, 30)) {
      const endpoint = await resolveEndpoint(env, { ...row, url }, Date.now());
      const result = await sendAttempt({
        endpoint,
        event: { id: "evt_01jd0000000000000000000000", type: "a.b", createdAt: Date.now(), payload: "{}" },
        number: 1,
        trigger: "scheduled",
        config: ctx.config,
        now: () => Date.now(),
      });
      expect(result, url).toMatchObject({ ok: false, error: "blocked_destination", statusCode: null, durationMs: 0 });
      // The attempt log names the same reason the API gives when such a URL is created.
      const refusal = await createEndpointVerb(ctx, tenant, { url }).catch((e) => e);
      expect(result.errorDetail, url).toBe(refusal.issues[0].message);
    }
  });

  it("a delivery to a destination that became blocked ends failed instead of walking the ladder", async () => {
    const l = await ladder({ endpoint: { retry_policy: "standard" } });
    // The stored URL changes behind the API's back: the attempt-time check catches it. (This
    // environment allows http and private addresses; credentials in a URL are refused always.)
    const { getEndpoint } = await import("../../src/services/endpoints");
    const row = await getEndpoint(serviceCtx(env), l.tenant, l.endpoint.id);
    await l.stub.configure({ ...row, url: "https://user:pw@example.com/hook", version: row.version + 1 });
    const eventId = await l.post({ type: "a.b", data: {} });
    await l.runAlarm();
    const [d] = await l.deliveries(eventId);
    expect(d.status).toBe("failed");
    expect(d.last_error).toBe("blocked_destination");
    expect((await l.inspect()).pending).toHaveLength(0);
    expect(await l.received()).toHaveLength(0);
  });
});
