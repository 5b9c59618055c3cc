/**
 * The portal's endpoint form edits everything the API lets a tenant set except the secret:
 * auth and custom headers (write-only values: never rendered, blank keeps, explicit remove),
 * signature profile, envelope, limits, retry policy, filters, metadata. Deliveries to the real
 * test receiver show the settings took effect.
 */
import { describe, expect, it } from "vitest";
import { api, createTenant } from "../helpers/api";
import { createFields, PortalClient } from "../helpers/portal";
import { receiverUrl, uniquePath, waitForReceived } from "../helpers/receiver";

const BASIC_PASSWORD = "pa55-word-SECRET";
const TOKEN_VALUE = "tok-VALUE-secret-123";
const HEADER_VALUE = "custom-header-SECRET";

async function signedIn() {
  const tenant = await createTenant();
  const { client } = await PortalClient.open(tenant);
  const csrf = PortalClient.csrfOf((await client.get("/portal/endpoints/new")).html);
  return { tenant, client, csrf };
}

/** The fields the edit page renders, as the browser would post them back untouched, plus changes. */
function editFields(html: string, changes: Record<string, string>) {
  const fields: Record<string, string | string[]> = {};
  for (const m of html.matchAll(
    /<input type="(?:hidden|text|url|number|password)"[^>]*?name="([^"]+)"(?:[^>]*?value="([^"]*)")?[^>]*\/?>/g,
  ))
    fields[m[1]!] = (m[2] ?? "").replace(/&amp;/g, "&").replace(/&quot;/g, '"');
  for (const m of html.matchAll(/<select[^>]*name="([^"]+)"[^>]*>([\s\S]*?)<\/select>/g))
    fields[m[1]!] = /<option value="([^"]*)" selected/.exec(m[2]!)?.[1] ?? /<option value="([^"]*)"/.exec(m[2]!)![1]!;
  for (const m of html.matchAll(/<textarea[^>]*name="([^"]+)"[^>]*>([\s\S]*?)<\/textarea>/g))
    fields[m[1]!] = m[2]!
      .trim()
      .replace(/&quot;/g, '"')
      .replace(/&amp;/g, "&");
  return { ...fields, ...changes };
}

async function sendTest(client: PortalClient, csrf: string, endpointId: string, path: string, count: number) {
  const res = await client.post(`/portal/endpoints/${endpointId}/test`, { _csrf: csrf });
  expect(res.status).toBe(200);
  expect(res.html).toContain("HTTP 200");
  return (await waitForReceived(path, count)).at(-1)!;
}

const endpointIdOf = (html: string) => /\/portal\/endpoints\/(ep_[0-9a-z]{26})/.exec(html)![1]!;

describe("portal endpoint form", () => {
  it("creates an endpoint with every setting, and the receiver gets basic auth, the custom header and the signature profile", async () => {
    const { tenant, client, csrf } = await signedIn();
    const path = uniquePath("/form");
    const created = await client.post(
      "/portal/endpoints",
      createFields(csrf, receiverUrl(path), {
        extra_types: "job.*, webhook.test",
        channels: "parser_1",
        filter: '{"type": {"$eq": "webhook.test"}}',
        retry: "custom",
        schedule: "10, 60, 600",
        rate_limit_per_s: "5",
        max_in_flight: "3",
        timeout_ms: "9000",
        auth_type: "basic",
        auth_username: "acme",
        auth_password: BASIC_PASSWORD,
        header_name_0: "X-Tenant-Tag",
        header_value_0: HEADER_VALUE,
        signature_scheme: "hmac-sha256-hex",
        signature_header: "X-Acme-Signature",
        signature_prefix: "sha256=",
        envelope: "event-data",
        metadata: "plan=pro\nregion = eu-west",
      }),
    );
    expect(created.status).toBe(201);
    const id = endpointIdOf(created.html);
    const ep = (await api("GET", `/v1/tenants/${tenant}/endpoints/${id}`)).body;
    expect(ep).toMatchObject({
      event_types: ["job.*", "webhook.test"],
      channels: ["parser_1"],
      filter: { type: { $eq: "webhook.test" } },
      retry_policy: { schedule_s: [10, 60, 600] },
      rate_limit_per_s: 5,
      max_in_flight: 3,
      timeout_ms: 9000,
      auth: { type: "basic" },
      headers: { "X-Tenant-Tag": "********" },
      signature: { scheme: "hmac-sha256-hex", header: "X-Acme-Signature", prefix: "sha256=" },
      envelope: "event-data",
      metadata: { plan: "pro", region: "eu-west" },
    });

    const got = await sendTest(client, csrf, id, path, 1);
    const expected = `Basic ${btoa(String.fromCharCode(...new TextEncoder().encode(`acme:${BASIC_PASSWORD}`)))}`;
    expect(got.headers.authorization).toBe(expected);
    expect(got.headers["x-tenant-tag"]).toBe(HEADER_VALUE);
    expect(got.headers["x-acme-signature"]).toMatch(/^sha256=[0-9a-f]{64}$/);
    expect(JSON.parse(got.body)).toMatchObject({ event: "webhook.test" });

    // Write-only: no page shows a value, not the detail page, not the edit form.
    for (const page of ["", "/edit"]) {
      const html = (await client.get(`/portal/endpoints/${id}${page}`)).html;
      for (const secret of [BASIC_PASSWORD, HEADER_VALUE, "acme"])
        expect(html, `${page} ${secret}`).not.toContain(secret);
      expect(html).toContain("X-Tenant-Tag");
    }
  });

  it("edit: blank values keep the stored ones; switching to a header token, removing a header and removing auth all take effect", async () => {
    const { tenant, client, csrf } = await signedIn();
    const path = uniquePath("/form-edit");
    const created = await client.post(
      "/portal/endpoints",
      createFields(csrf, receiverUrl(path), {
        auth_type: "basic",
        auth_username: "acme",
        auth_password: BASIC_PASSWORD,
        header_name_0: "X-Keep",
        header_value_0: "keep-me",
        header_name_1: "X-Drop",
        header_value_1: "drop-me",
      }),
    );
    const id = endpointIdOf(created.html);
    const edit = async (changes: Record<string, string>) => {
      const html = (await client.get(`/portal/endpoints/${id}/edit`)).html;
      const res = await client.post(`/portal/endpoints/${id}`, editFields(html, changes));
      expect(res.status, res.html.slice(0, 300)).toBe(303);
    };

    // 1. Saved untouched (only the description changed): credentials unchanged.
    await edit({ description: "renamed" });
    let got = await sendTest(client, csrf, id, path, 1);
    expect(got.headers.authorization).toMatch(/^Basic /);
    expect(got.headers["x-keep"]).toBe("keep-me");
    expect(got.headers["x-drop"]).toBe("drop-me");

    // 2. A new value for one header; the other header's Remove box; a header token instead of basic auth.
    const html = (await client.get(`/portal/endpoints/${id}/edit`)).html;
    const drop = /name="header_name_(\d+)" value="X-Drop"/.exec(html)![1]!;
    const keep = /name="header_name_(\d+)" value="X-Keep"/.exec(html)![1]!;
    const res = await client.post(
      `/portal/endpoints/${id}`,
      editFields(html, {
        [`header_remove_${drop}`]: "on",
        [`header_value_${keep}`]: "kept-and-changed",
        auth_type: "header",
        auth_header_name: "X-Webhook-Token",
        auth_header_value: TOKEN_VALUE,
      }),
    );
    expect(res.status).toBe(303);
    got = await sendTest(client, csrf, id, path, 2);
    expect(got.headers.authorization).toBeUndefined();
    expect(got.headers["x-webhook-token"]).toBe(TOKEN_VALUE);
    expect(got.headers["x-keep"]).toBe("kept-and-changed");
    expect(got.headers["x-drop"]).toBeUndefined();
    expect((await api("GET", `/v1/tenants/${tenant}/endpoints/${id}`)).body.headers).toEqual({ "X-Keep": "********" });

    // 3. The token's value left blank keeps it while its name changes.
    await edit({ auth_header_name: "X-Other-Token" });
    got = await sendTest(client, csrf, id, path, 3);
    expect(got.headers["x-other-token"]).toBe(TOKEN_VALUE);
    expect(got.headers["x-webhook-token"]).toBeUndefined();

    // 4. Remove authentication.
    await edit({ auth_type: "none" });
    got = await sendTest(client, csrf, id, path, 4);
    expect(got.headers["x-other-token"]).toBeUndefined();
    expect((await api("GET", `/v1/tenants/${tenant}/endpoints/${id}`)).body.auth).toBeNull();
    const editPage = (await client.get(`/portal/endpoints/${id}/edit`)).html;
    expect(editPage).not.toContain(TOKEN_VALUE);
    expect(editPage).not.toContain("kept-and-changed");
  });

  it("explains every bad input at once, in words next to each field, saves nothing, and never echoes typed credentials", async () => {
    const { tenant, client, csrf } = await signedIn();
    // One post with a problem at every stage: the form's own reading (metadata, filter JSON, a
    // header without a value), the API schema (auth, headers, signature, limits) and the
    // destination check (a URL without a scheme). All are reported together, not stage by stage.
    const res = await client.post(
      "/portal/endpoints",
      createFields(csrf, "localhost:4000/webhooks", {
        auth_type: "basic",
        auth_username: "user:with-colon",
        auth_password: "",
        header_name_0: "Content-Type",
        header_value_0: "typed-SECRET-1",
        header_name_1: "Bad Name",
        header_value_1: "typed-SECRET-2",
        header_name_2: "X-Only-Name",
        header_value_2: "",
        signature_scheme: "hmac-sha256-hex",
        signature_header: "",
        retry: "custom",
        schedule: "10, abc",
        rate_limit_per_s: "0",
        timeout_ms: "999999",
        filter: "{not json",
        metadata: "plan=pro\nno equals sign here",
      }),
    );
    expect(res.status).toBe(400);
    const errorOf = (id: string) => new RegExp(`id="${id}-error">([^<]*)<`).exec(res.html)?.[1];
    expect(errorOf("metadata")).toBe("write one key=value per line");
    expect(errorOf("filter")).toBe("not valid JSON");
    expect(errorOf("url")).toContain("http://");
    expect(errorOf("auth_username")).toBe("no &#39;:&#39; in a basic-auth username");
    expect(errorOf("auth_password")).toBe("required");
    expect(errorOf("headers")).toContain("enter a value for X-Only-Name");
    expect(errorOf("headers")).toContain("this header is set by Edgehooks and cannot be overridden");
    expect(errorOf("headers")).toContain("not a valid header name");
    expect(errorOf("signature_header")).toBe("not a valid header name");
    expect(errorOf("schedule")).toBe("step 2: enter a whole number");
    expect(errorOf("rate_limit_per_s")).toBe("at least 1");
    expect(errorOf("timeout_ms")).toBe("at most 30000");
    for (const typed of ["typed-SECRET-1", "typed-SECRET-2"]) expect(res.html).not.toContain(typed);
    expect(res.html).not.toMatch(/Too (small|big)|expected (string|number)/);
    expect((await api("GET", `/v1/tenants/${tenant}/endpoints`)).body.data).toEqual([]);
  });

  it("a new header needs both a name and a value; a refused destination is explained at the URL", async () => {
    const { client, csrf } = await signedIn();
    const res = await client.post(
      "/portal/endpoints",
      createFields(csrf, receiverUrl(uniquePath("/x")), {
        header_name_0: "X-Only-Name",
        header_name_1: "",
        header_value_1: "only-value",
      }),
    );
    expect(res.status).toBe(400);
    expect(res.html).toContain("enter a value for X-Only-Name");
    expect(res.html).toContain("a header value needs a header name");
    const ftp = await client.post("/portal/endpoints", createFields(csrf, "ftp://example.com/hook"));
    expect(ftp.status).toBe(400);
    expect(ftp.html).toMatch(/id="url-error">[^<]+</);
  });

  it("a second endpoint on one URL is created, with a notice naming the endpoint already there", async () => {
    const { tenant, client, csrf } = await signedIn();
    const url = receiverUrl(uniquePath("/shared"));
    const first = await client.post("/portal/endpoints", createFields(csrf, url));
    expect(first.status).toBe(201);
    expect(first.html).not.toContain("Check this:");
    const firstId = endpointIdOf(first.html);
    const second = await client.post("/portal/endpoints", createFields(csrf, url));
    expect(second.status).toBe(201);
    expect(second.html).toMatch(
      new RegExp(`role="alert"><strong>Check this:</strong> endpoint ${firstId} already sends to this URL`),
    );
    expect(second.html).toContain(`<a href="/portal/endpoints/${firstId}">${firstId}</a>`);
    expect((await api("GET", `/v1/tenants/${tenant}/endpoints`)).body.data).toHaveLength(2);
  });

  it("bounds the header rows one post can carry", async () => {
    const { tenant, client, csrf } = await signedIn();
    const rows: Record<string, string> = {};
    for (let i = 0; i < 200; i++) {
      rows[`header_name_${i}`] = `X-H${i}`;
      rows[`header_value_${i}`] = "v";
    }
    const res = await client.post("/portal/endpoints", createFields(csrf, receiverUrl(uniquePath("/many")), rows));
    // Rows past the 40th are not read at all; the 40 read exceed the API's 20-header cap.
    expect(res.status).toBe(400);
    expect(res.html).toContain("at most 20 custom headers");
    expect((await api("GET", `/v1/tenants/${tenant}/endpoints`)).body.data).toEqual([]);
  });
});

describe("form errors in words", () => {
  it("a custom schedule names the step that is wrong; presets and blank stay valid", async () => {
    const { parseEndpointForm, EMPTY_FORM } = await import("../../src/portal/form-input/endpoint");
    const { CreateEndpointInput } = await import("../../src/routes/endpoints/schema");
    const base = { ...EMPTY_FORM, url: "https://example.com/hook" };
    const tooLong = parseEndpointForm(CreateEndpointInput, { ...base, retry: "custom", schedule: "10, 60, 99999999" });
    expect(tooLong.ok).toBe(false);
    if (!tooLong.ok) expect(tooLong.issues).toEqual([{ path: "retry_policy.schedule_s.2", message: "at most 604800" }]);
    const empty = parseEndpointForm(CreateEndpointInput, { ...base, retry: "custom", schedule: "" });
    expect(empty.ok).toBe(false);
    if (!empty.ok) expect(empty.issues[0]!.message).toBe("add at least one");
    expect(parseEndpointForm(CreateEndpointInput, { ...base, retry: "rapid" }).ok).toBe(true);
    expect(parseEndpointForm(CreateEndpointInput, base).ok).toBe(true);
  });
});
