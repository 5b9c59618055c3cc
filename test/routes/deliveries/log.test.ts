/**
 * The delivery log: every filter (endpoint, event, type, status, status-code class, channel, time
 * window) returns exactly the matching deliveries, and cursor pages stay stable while new
 * deliveries arrive.
 */
import { describe, expect, it } from "vitest";
import { api } from "../../helpers/api";
import { ladder } from "../../helpers/ladder";
import { script, uniquePath } from "../../helpers/receiver";

async function ids(path: string) {
  const res = await api("GET", path);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body.data.map((d: { id: string }) => d.id) as string[];
}

describe("delivery log filters", () => {
  it("filter by endpoint, event, type, status, status-code class, channel and time window", async () => {
    const path = uniquePath("/scripted");
    await script(path, [{ status: 200 }, { status: 404 }, { status: 503 }, { hang: true }]);
    const l = await ladder({
      path,
      endpoint: { retry_policy: { schedule_s: [60] }, max_in_flight: 1, timeout_ms: 1000 },
    });
    const e1 = await l.post({ type: "job.completed", data: {}, channels: ["parser_1"] });
    const e2 = await l.post({ type: "job.failed", data: {}, channels: ["parser_2"] });
    const e3 = await l.post({ type: "job.failed", data: {} });
    const e4 = await l.post({ type: "invoice.paid", data: {} });
    for (let i = 0; i < 4; i++) await l.runAlarm();
    const all = await l.deliveries();
    const byEvent = Object.fromEntries(all.map((d: { event_id: string; id: string }) => [d.event_id, d.id]));
    const base = `/v1/tenants/${l.tenant}/deliveries`;

    expect(await ids(`${base}?event_type=job.failed`)).toEqual([byEvent[e3], byEvent[e2]]);
    expect(await ids(`${base}?status=succeeded`)).toEqual([byEvent[e1]]);
    expect(await ids(`${base}?status=pending_retry`)).toEqual([byEvent[e4], byEvent[e3], byEvent[e2]]);
    expect(await ids(`${base}?status_code_class=2xx`)).toEqual([byEvent[e1]]);
    expect(await ids(`${base}?status_code_class=4xx`)).toEqual([byEvent[e2]]);
    expect(await ids(`${base}?status_code_class=5xx`)).toEqual([byEvent[e3]]);
    expect(await ids(`${base}?status_code_class=none`)).toEqual([byEvent[e4]]);
    expect(await ids(`${base}?channel=parser_2`)).toEqual([byEvent[e2]]);
    expect(await ids(`${base}?event_id=${e1}`)).toEqual([byEvent[e1]]);
    expect(await ids(`${base}?endpoint_id=${l.endpoint.id}&limit=100`)).toHaveLength(4);
    const future = new Date(Date.now() + 3600_000).toISOString();
    expect(await ids(`${base}?since=${future}`)).toEqual([]);
    expect(await ids(`${base}?until=${future}`)).toHaveLength(4);

    const attempts = `/v1/tenants/${l.tenant}/attempts`;
    expect(await ids(`${attempts}?error=timeout`)).toHaveLength(1);
    expect(await ids(`${attempts}?status_code_class=4xx`)).toHaveLength(1);
    expect(await ids(`${attempts}?endpoint_id=${l.endpoint.id}`)).toHaveLength(4);

    for (const bad of [
      "status=done",
      "status_code_class=6xx",
      "since=yesterday",
      "endpoint_id=nope",
      "limit=0",
      "cursor=zzz",
    ]) {
      const res = await api("GET", `${base}?${bad}`);
      expect(res.status, bad).toBe(400);
      expect(res.body.error.code).toBe("bad_request");
    }
  });

  it("cursor pages stay stable while new deliveries arrive", async () => {
    const l = await ladder({ path: uniquePath("/ok") });
    for (let i = 0; i < 5; i++) await l.post({ type: "a.b", data: { i } });
    const base = `/v1/tenants/${l.tenant}/deliveries?limit=2`;
    const first = await api("GET", base);
    expect(first.body.data).toHaveLength(2);
    // New rows land at the head while the client pages.
    await l.post({ type: "a.b", data: { i: 5 } });
    await l.post({ type: "a.b", data: { i: 6 } });
    const seen = [...first.body.data.map((d: { id: string }) => d.id)];
    let cursor = first.body.next_cursor;
    while (cursor) {
      const next = await api("GET", `${base}&cursor=${cursor}`);
      seen.push(...next.body.data.map((d: { id: string }) => d.id));
      cursor = next.body.next_cursor;
    }
    expect(seen).toHaveLength(5);
    expect(new Set(seen).size).toBe(5);
    expect([...seen].sort().reverse()).toEqual(seen);
  });
});
