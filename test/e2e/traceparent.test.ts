/**
 * traceparent from the ingest request to every attempt (single and batch ingest): the real
 * receiver sees the ingest's trace id on the first attempt and on a retry, each attempt its own
 * span id; an invalid header is ignored (202, nothing sent on); no header, no traceparent.
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { serviceCtx } from "../../src/services/context";
import { fanOut } from "../../src/services/events/fanout";
import { api } from "../helpers/api";
import { ladder } from "../helpers/ladder";
import { PortalClient } from "../helpers/portal";
import { receiverUrl, script, uniquePath } from "../helpers/receiver";

const TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";
const INGEST_SPAN = "00f067aa0ba902b7";
const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

async function postWith(tenant: string, path: string, body: unknown, headers: Record<string, string>) {
  const res = await api("POST", `/v1/tenants/${tenant}${path}`, { body, headers });
  expect(res.status, JSON.stringify(res.body)).toBe(202);
  const ids: string[] = path.endsWith("/batch") ? res.body.data.map((d: { id: string }) => d.id) : [res.body.id];
  await fanOut(
    serviceCtx(env),
    ids.map((eventId) => ({ tenantId: tenant, eventId, origin: "" })),
  );
  return ids;
}

describe("traceparent", () => {
  it("sends the ingest's trace id on the first attempt and on a retry, with a new span per attempt", async () => {
    const path = uniquePath("/scripted");
    await script(path, [{ status: 500 }, { status: 200 }]);
    const l = await ladder({ path, endpoint: { retry_policy: { schedule_s: [60] } } });
    const [eventId] = await postWith(
      l.tenant,
      "/events",
      { type: "trace.me", data: {} },
      { traceparent: `00-${TRACE}-${INGEST_SPAN}-01` },
    );
    await l.runAlarm(); // attempt 1: 500
    await l.advance(60_000);
    await l.runAlarm(); // attempt 2: 200
    const got = await l.received();
    expect(got.map((r) => r.headers["webhook-attempt"])).toEqual(["1", "2"]);
    const spans = got.map((r) => {
      const m = TRACEPARENT.exec(r.headers.traceparent ?? "");
      expect(m, r.headers.traceparent).not.toBeNull();
      expect(m![1]).toBe(TRACE);
      expect(m![3]).toBe("01");
      return m![2];
    });
    expect(new Set([...spans, INGEST_SPAN]).size).toBe(3);
    // The attempts record the header they sent; the event keeps the trace.
    const [delivery] = await l.deliveries(eventId);
    const detail = await l.delivery(delivery.id);
    expect(
      detail.attempts.map((a: { request_headers: Record<string, string> }) => a.request_headers.traceparent),
    ).toEqual(got.map((r) => r.headers.traceparent));
  });

  it("carries a batch's traceparent to each of its events' deliveries", async () => {
    const l = await ladder({ path: uniquePath("/ok") });
    await postWith(
      l.tenant,
      "/events/batch",
      {
        events: [
          { type: "a.b", data: { n: 1 } },
          { type: "a.b", data: { n: 2 } },
        ],
      },
      { traceparent: `00-${TRACE}-${INGEST_SPAN}-00` },
    );
    await l.runAlarm();
    const got = await l.received();
    expect(got).toHaveLength(2);
    for (const r of got)
      expect(TRACEPARENT.exec(r.headers.traceparent ?? "")?.slice(1, 4)).toEqual([TRACE, expect.any(String), "00"]);
  });

  it("ignores an invalid traceparent (the event is accepted) and sends none without one", async () => {
    const l = await ladder({ path: uniquePath("/ok") });
    await postWith(
      l.tenant,
      "/events",
      { type: "a.b", data: { n: 1 } },
      { traceparent: `00-${"0".repeat(32)}-${INGEST_SPAN}-01` },
    );
    await postWith(l.tenant, "/events", { type: "a.b", data: { n: 2 } }, { traceparent: "not a traceparent" });
    await postWith(l.tenant, "/events", { type: "a.b", data: { n: 3 } }, {});
    await l.runAlarm();
    const got = await l.received();
    expect(got).toHaveLength(3);
    for (const r of got) expect(r.headers.traceparent).toBeUndefined();
  });

  it("an endpoint may opt out (propagate_traceparent: false): no traceparent reaches it until it opts back in", async () => {
    const l = await ladder({ path: uniquePath("/ok"), endpoint: { propagate_traceparent: false } });
    expect((l.endpoint as Record<string, unknown>).propagate_traceparent).toBe(false);
    const url = `/v1/tenants/${l.tenant}/endpoints/${l.endpoint.id}`;
    expect((await api("GET", url)).body.propagate_traceparent).toBe(false);
    const [first] = await postWith(
      l.tenant,
      "/events",
      { type: "a.b", data: { n: 1 } },
      { traceparent: `00-${TRACE}-${INGEST_SPAN}-01` },
    );
    await l.runAlarm();
    const [got] = await l.received();
    expect(got!.headers.traceparent).toBeUndefined();
    const [delivery] = await l.deliveries(first);
    expect((await l.delivery(delivery.id)).attempts[0].request_headers.traceparent).toBeUndefined();

    const patched = await api("PATCH", url, { body: { propagate_traceparent: true } });
    expect(patched.body.propagate_traceparent).toBe(true);
    await postWith(
      l.tenant,
      "/events",
      { type: "a.b", data: { n: 2 } },
      { traceparent: `00-${TRACE}-${INGEST_SPAN}-01` },
    );
    await l.runAlarm();
    const after = await l.received();
    expect(after).toHaveLength(2);
    expect(TRACEPARENT.exec(after[1]!.headers.traceparent ?? "")?.[1]).toBe(TRACE);
  });

  it("propagation is on by default, a non-boolean is 400, and the portal form sets and shows the opt-out", async () => {
    const l = await ladder({ path: uniquePath("/ok") });
    expect((l.endpoint as Record<string, unknown>).propagate_traceparent).toBe(true);
    const bad = await api("PATCH", `/v1/tenants/${l.tenant}/endpoints/${l.endpoint.id}`, {
      body: { propagate_traceparent: "no" },
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error.issues[0].path).toBe("propagate_traceparent");

    const { client } = await PortalClient.open(l.tenant);
    const form = await client.get(`/portal/endpoints/${l.endpoint.id}/edit`);
    expect(form.html).toMatch(/<input type="checkbox"[^>]*name="omit_traceparent"/);
    expect(form.html).not.toMatch(/name="omit_traceparent"[^>]*checked/);
    const created = await client.post("/portal/endpoints", {
      _csrf: PortalClient.csrfOf(form.html),
      url: receiverUrl(uniquePath("/ok")),
      timeout_ms: "15000",
      retry: "default",
      auth_type: "none",
      signature_scheme: "default",
      envelope: "standard",
      omit_traceparent: "on",
    });
    expect(created.status, created.html.slice(0, 300)).toBe(201);
    const id = /\/portal\/endpoints\/(ep_[0-9a-z]{26})/.exec(created.html)![1]!;
    expect((await api("GET", `/v1/tenants/${l.tenant}/endpoints/${id}`)).body.propagate_traceparent).toBe(false);
    expect((await client.get(`/portal/endpoints/${id}/edit`)).html).toMatch(/name="omit_traceparent"[^>]*checked/);
  });
});
