/** What receivers can say (410, webhook-delivery) and what operators can do (disable, enable). */
import { describe, expect, it } from "vitest";
import { api } from "../helpers/api";
import { ladder } from "../helpers/ladder";
import { script, uniquePath } from "../helpers/receiver";

async function endpointOf(l: Awaited<ReturnType<typeof ladder>>) {
  return (await api("GET", `/v1/tenants/${l.tenant}/endpoints/${l.endpoint.id}`)).body;
}

describe("receiver control", () => {
  it.each([
    ["410 Gone", { status: 410 }],
    ["webhook-delivery: disable", { status: 500, headers: { "webhook-delivery": "disable" } }],
  ])("%s disables the endpoint (gone) and holds its pending deliveries until enabled", async (_name, answer) => {
    const path = uniquePath("/scripted");
    await script(path, [answer]);
    const l = await ladder({ path, endpoint: { retry_policy: { schedule_s: [10, 10] } } });
    const first = await l.post({ type: "a.b", data: { n: 1 } });
    await l.runAlarm();
    expect(await endpointOf(l)).toMatchObject({ status: "disabled", disabled_reason: "gone" });

    // Held, not lost: the delivery keeps its status and place on the ladder.
    const held = (await l.inspect()).pending;
    expect(held.map((p) => p.event_id)).toEqual([first]);
    const [d] = await l.deliveries(first);
    expect(d.status).toBe("pending_retry");

    // While disabled, nothing is sent even when due, and new events produce no deliveries.
    await l.advance(60_000);
    await l.runAlarm();
    expect(await l.received()).toHaveLength(1);
    const second = await l.post({ type: "a.b", data: { n: 2 } });
    expect(await l.deliveries(second)).toHaveLength(0);

    // Enabling resumes the held delivery (and does not replay events posted while disabled).
    const enabled = await api("POST", `/v1/tenants/${l.tenant}/endpoints/${l.endpoint.id}/enable`);
    expect(enabled.body).toMatchObject({ status: "active", disabled_reason: null });
    expect(await l.runAlarm()).toBe(true);
    const got = await l.received();
    expect(got).toHaveLength(2);
    expect(got[1]!.headers["webhook-id"]).toBe(first);
    expect(got[1]!.headers["webhook-attempt"]).toBe("2");
    const [after] = await l.deliveries(first);
    expect(after.status).toBe("succeeded");
  });

  it("webhook-delivery: abort-message cancels that delivery only", async () => {
    const path = uniquePath("/scripted");
    await script(path, [{ status: 400, headers: { "webhook-delivery": "abort-message" } }]);
    const l = await ladder({ path });
    const aborted = await l.post({ type: "a.b", data: { n: 1 } });
    await l.runAlarm();
    const [d] = await l.deliveries(aborted);
    expect(d.status).toBe("cancelled");
    expect((await l.inspect()).pending).toHaveLength(0);
    expect(await endpointOf(l)).toMatchObject({ status: "active" });
    // The next event goes through normally.
    const next = await l.post({ type: "a.b", data: { n: 2 } });
    await l.runAlarm();
    expect((await l.deliveries(next))[0].status).toBe("succeeded");
  });

  it("a manual disable holds deliveries; enable resumes them", async () => {
    const l = await ladder({ path: uniquePath("/ok") });
    const disabled = await api("POST", `/v1/tenants/${l.tenant}/endpoints/${l.endpoint.id}/disable`);
    expect(disabled.body).toMatchObject({ status: "disabled", disabled_reason: "manual" });
    // Deliveries already with the dispatcher stay held; the fan-out skips the disabled endpoint.
    const eventId = await l.post({ type: "a.b", data: {} });
    expect(await l.deliveries(eventId)).toHaveLength(0);
    await api("POST", `/v1/tenants/${l.tenant}/endpoints/${l.endpoint.id}/enable`);
    const later = await l.post({ type: "a.b", data: {} });
    await l.runAlarm();
    expect((await l.deliveries(later))[0].status).toBe("succeeded");
  });
});
