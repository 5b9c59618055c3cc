/**
 * Posting events and reading them back: an event is validated (400 naming the field), accepted with
 * any JSON value as data, bounded in size (413 over 1 MiB) and in how far ahead it may be scheduled
 * (the tenant's retention); a batch answers each event's id or error in order; what was accepted is
 * readable at once and listed newest first by type, channel and time; forty concurrent posts each
 * make their own event. The idempotency rules are in idempotency.test.ts beside this file.
 */
import { describe, expect, it } from "vitest";
import { api, createEndpoint, createTenant } from "../../helpers/api";
import { receiverUrl, uniquePath, waitForReceived } from "../../helpers/receiver";
import { logCount } from "../../helpers/tenant-log";

describe("ingest validation", () => {
  it.each([
    [{ data: {} }, "type"],
    [{ type: "a.b" }, "data"],
    [{ type: "job.*", data: {} }, "type"],
    [{ type: "has space", data: {} }, "type"],
    [{ type: "a.b", data: {}, event_type: "x" }, "event_type"],
    [{ type: "a.b", data: {}, channels: "c" }, "channels"],
    [{ type: "a.b", data: {}, deliver_at: "tomorrow" }, "deliver_at"],
    [{ type: "a.b", data: {}, deliver_at: "2026-01-02T00:00:00Z", expires_at: "2026-01-01T00:00:00Z" }, "expires_at"],
    [{ type: "a.b", data: {}, ordering_key: "" }, "ordering_key"],
  ])("%j → 400 on %s", async (body, path) => {
    const tenant = await createTenant();
    const res = await api("POST", `/v1/tenants/${tenant}/events`, { body });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe("bad_request");
    expect(res.body.error.issues.map((i: { path: string }) => i.path)).toContain(path);
  });

  it("any JSON value is valid data", async () => {
    const tenant = await createTenant();
    for (const data of [null, 0, "text", [1, 2], { deep: { er: [true] } }]) {
      const res = await api("POST", `/v1/tenants/${tenant}/events`, { body: { type: "a.b", data } });
      expect(res.status, JSON.stringify(data)).toBe(202);
      expect((await api("GET", `/v1/tenants/${tenant}/events/${res.body.id}`)).body.data).toEqual(data);
    }
  });

  it("a body over 1 MiB is 413, just under is accepted; an unknown tenant is 404", async () => {
    const tenant = await createTenant();
    const big = await api("POST", `/v1/tenants/${tenant}/events`, {
      body: { type: "a.b", data: "x".repeat(1024 * 1024) },
    });
    expect(big.status).toBe(413);
    expect(big.body.error.code).toBe("payload_too_large");
    const fits = await api("POST", `/v1/tenants/${tenant}/events`, {
      body: { type: "a.b", data: "x".repeat(1024 * 1024 - 100) },
    });
    expect(fits.status).toBe(202);
    const missing = await api("POST", "/v1/tenants/no_such_tenant/events", { body: { type: "a.b", data: {} } });
    expect(missing.status).toBe(404);
  });
});

describe("deliver_at and expires_at stay within the tenant's retention", () => {
  const DAY = 86_400_000;
  const at = (ms: number) => new Date(ms).toISOString();

  it("a time past the retention is 400 naming the field; one just inside it is accepted", async () => {
    const tenant = await createTenant();
    await api("PATCH", `/v1/tenants/${tenant}`, { body: { retention_days: 7 } });
    for (const field of ["deliver_at", "expires_at"]) {
      const late = await api("POST", `/v1/tenants/${tenant}/events`, {
        body: { type: "a.b", data: {}, [field]: at(Date.now() + 8 * DAY) },
      });
      expect(late.status, field).toBe(400);
      expect(late.body.error.code).toBe("bad_request");
      expect(late.body.error.issues.map((i: { path: string }) => i.path)).toEqual([field]);
      expect(late.body.error.issues[0].message).toContain("7 days");
      const decades = await api("POST", `/v1/tenants/${tenant}/events`, {
        body: { type: "a.b", data: {}, [field]: "2099-01-01T00:00:00Z" },
      });
      expect(decades.status, field).toBe(400);
      const inside = await api("POST", `/v1/tenants/${tenant}/events`, {
        body: { type: "a.b", data: {}, [field]: at(Date.now() + 6 * DAY) },
      });
      expect(inside.status, field).toBe(202);
    }
  });

  it("in a batch only the event past the retention is refused", async () => {
    const tenant = await createTenant();
    const res = await api("POST", `/v1/tenants/${tenant}/events/batch`, {
      body: {
        events: [
          { type: "a.b", data: 1 },
          { type: "a.b", data: 2, deliver_at: "2099-01-01T00:00:00Z" },
        ],
      },
    });
    expect(res.status).toBe(202);
    expect(res.body.data[0].id).toMatch(/^evt_/);
    expect(res.body.data[1].error.code).toBe("bad_request");
    expect(res.body.data[1].error.issues[0].path).toBe("deliver_at");
    expect(await logCount(tenant, "events")).toBe(1);
  });
});

describe("batch ingest", () => {
  it("answers each event's id or error, in order", async () => {
    const tenant = await createTenant();
    const path = uniquePath("/ok");
    await createEndpoint(tenant, { url: receiverUrl(path) });
    const res = await api("POST", `/v1/tenants/${tenant}/events/batch`, {
      body: {
        events: [{ type: "a.b", data: 1 }, { type: "bad type", data: 2 }, { type: "a.c", data: 3, id: "x" }, "nope"],
      },
    });
    expect(res.status).toBe(202);
    const [a, b, c, d] = res.body.data;
    expect(a.id).toMatch(/^evt_/);
    expect(b.error).toMatchObject({ code: "bad_request" });
    expect(b.error.issues[0].path).toBe("type");
    expect(c.id).toMatch(/^evt_/);
    expect(d.error.code).toBe("bad_request");
    await waitForReceived(path, 2);
  });

  it("a batch with no valid event is refused whole, naming each item's issues under events.<index>", async () => {
    const tenant = await createTenant();
    const res = await api("POST", `/v1/tenants/${tenant}/events/batch`, {
      body: { events: [{ type: "bad type", data: 1 }, "nope", { type: "a.b", data: 1, extra: true }] },
    });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe("bad_request");
    expect(res.body.error.message).toBe("no valid event in the batch");
    expect(res.body.error.issues.map((i: { path: string }) => i.path)).toEqual([
      "events.0.type",
      "events.1",
      "events.2.extra",
    ]);
    expect(await logCount(tenant, "events")).toBe(0);
  });

  it.each([
    [{ events: [] }],
    [{ events: Array(101).fill({ type: "a.b", data: {} }) }],
    [{}],
    [{ events: [{ data: 1 }] }],
  ])("refuses %#", async (body) => {
    const tenant = await createTenant();
    const res = await api("POST", `/v1/tenants/${tenant}/events/batch`, { body });
    expect(res.status).toBe(400);
  });
});

describe("listing events", () => {
  it("filters by type, channel and time, pages newest first", async () => {
    const tenant = await createTenant();
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      ids.push(
        (
          await api("POST", `/v1/tenants/${tenant}/events`, {
            body: { type: i % 2 ? "odd.one" : "even.one", data: { i }, channels: [`c${i}`] },
          })
        ).body.id,
      );
    }
    const all = await api("GET", `/v1/tenants/${tenant}/events?limit=2`);
    expect(all.body.data.map((e: { id: string }) => e.id)).toEqual([ids[4], ids[3]]);
    const seen = [...all.body.data];
    let cursor = all.body.next_cursor;
    while (cursor) {
      const next = await api("GET", `/v1/tenants/${tenant}/events?limit=2&cursor=${cursor}`);
      seen.push(...next.body.data);
      cursor = next.body.next_cursor;
    }
    expect(seen.map((e) => e.id)).toEqual([...ids].reverse());
    expect((await api("GET", `/v1/tenants/${tenant}/events?type=odd.one`)).body.data).toHaveLength(2);
    expect(
      (await api("GET", `/v1/tenants/${tenant}/events?channel=c3`)).body.data.map((e: { id: string }) => e.id),
    ).toEqual([ids[3]]);
    expect((await api("GET", `/v1/tenants/${tenant}/events?channel=c`)).body.data).toHaveLength(0);
    const future = new Date(Date.now() + 60_000).toISOString();
    expect((await api("GET", `/v1/tenants/${tenant}/events?since=${future}`)).body.data).toHaveLength(0);
  });
});

describe("concurrent ingest", () => {
  it("forty requests at once: each its own event, repeats deduplicated, a missing tenant 404, all read back and delivered", async () => {
    const tenant = await createTenant();
    const path = uniquePath("/ok");
    await createEndpoint(tenant, { url: receiverUrl(path) });
    const plain = Array.from({ length: 30 }, (_, n) =>
      api("POST", `/v1/tenants/${tenant}/events`, { body: { type: "order.paid", data: { n } } }),
    );
    const keyed = Array.from({ length: 8 }, (_, n) =>
      api("POST", `/v1/tenants/${tenant}/events`, {
        headers: { "Idempotency-Key": `k-${n % 4}` },
        body: { type: "order.paid", data: { k: n % 4 } },
      }),
    );
    const batch = api("POST", `/v1/tenants/${tenant}/events/batch`, {
      body: {
        events: [
          { type: "a.b", data: {} },
          { type: "a.b", data: {} },
        ],
      },
    });
    const missing = api("POST", "/v1/tenants/no-such-tenant-anywhere/events", { body: { type: "a.b", data: {} } });
    const [plainRes, keyedRes, batchRes, missingRes] = await Promise.all([
      Promise.all(plain),
      Promise.all(keyed),
      batch,
      missing,
    ]);

    expect(plainRes.every((r) => r.status === 202)).toBe(true);
    expect(new Set(plainRes.map((r) => r.body.id)).size).toBe(30);
    expect(keyedRes.every((r) => r.status === 202)).toBe(true);
    for (let k = 0; k < 4; k++) expect(keyedRes[k]!.body.id).toBe(keyedRes[k + 4]!.body.id);
    expect(batchRes.status).toBe(202);
    expect(missingRes.status).toBe(404);

    const ids = [
      ...plainRes.map((r) => r.body.id),
      ...keyedRes.slice(0, 4).map((r) => r.body.id),
      ...batchRes.body.data.map((d: { id: string }) => d.id),
    ];
    for (const id of ids) expect((await api("GET", `/v1/tenants/${tenant}/events/${id}`)).status).toBe(200);
    await waitForReceived(path, 36);
  });
});
