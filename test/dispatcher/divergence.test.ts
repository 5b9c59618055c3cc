/**
 * The endpoint's state in D1 and in its dispatcher never disagree for good: a disable the receiver
 * asked for is written to D1 only if D1 still has the version the dispatcher acted on, and retried
 * until it lands; a deleted endpoint clears its dispatcher only once the log has its cancellations.
 * Failures are real ones: a D1 trigger that aborts the update, a TenantLog whose record() throws.
 */
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { EndpointDispatcher } from "../../src/dispatcher/endpoint-dispatcher";
import { TenantLog } from "../../src/tenant-log/tenant-log";
import { api } from "../helpers/api";
import { ladder } from "../helpers/ladder";
import { uniquePath } from "../helpers/receiver";

const d1Row = (id: string) =>
  env.DB.prepare("SELECT status, disabled_reason, version, description FROM endpoints WHERE id = ?").bind(id).first();

const snapshotOf = (stub: DurableObjectStub<EndpointDispatcher>) =>
  runInDurableObject(stub, (i: EndpointDispatcher) => {
    const e = (
      i as unknown as {
        store: {
          endpoint: { status: string; disabledReason: string | null; version: number; description: string | null };
        };
      }
    ).store.endpoint;
    return { status: e.status, disabled_reason: e.disabledReason, version: e.version, description: e.description };
  });

/** Makes every TenantLog's record() fail until the answer is called. */
function failRecord(): () => void {
  const original = TenantLog.prototype.record;
  TenantLog.prototype.record = async () => {
    throw new Error("the TenantLog is unavailable (injected)");
  };
  return () => {
    TenantLog.prototype.record = original;
  };
}

describe("a disable the receiver asked for (410)", () => {
  it("is retried until D1 has it, when the first write fails", async () => {
    const l = await ladder({ path: uniquePath("/status/410") });
    const trigger = `fail_${l.endpoint.id}`;
    await env.DB.prepare(
      `CREATE TRIGGER ${trigger} BEFORE UPDATE ON endpoints WHEN OLD.id = '${l.endpoint.id}' BEGIN SELECT RAISE(ABORT, 'injected'); END`,
    ).run();
    try {
      await l.post({ type: "a.b", data: {} });
      await l.runAlarm();
      expect(await d1Row(l.endpoint.id)).toMatchObject({ status: "active" });
    } finally {
      await env.DB.prepare(`DROP TRIGGER ${trigger}`).run();
    }
    expect(await l.runAlarm()).toBe(true);
    const row = await d1Row(l.endpoint.id);
    expect(row).toMatchObject({ status: "disabled", disabled_reason: "gone" });
    expect(await snapshotOf(l.stub)).toEqual({
      status: "disabled",
      disabled_reason: "gone",
      version: row!.version,
      description: row!.description,
    });
  });

  it("does not overwrite a change D1 has and the dispatcher has not seen yet", async () => {
    const l = await ladder({ path: uniquePath("/status/410") });
    const before = (await d1Row(l.endpoint.id))!.version as number;
    await l.post({ type: "a.b", data: {} });
    // A PATCH whose snapshot push has not reached the dispatcher yet (the fan-out carried the one before).
    await env.DB.prepare("UPDATE endpoints SET description = 'changed', version = version + 1 WHERE id = ?")
      .bind(l.endpoint.id)
      .run();
    await l.runAlarm();
    const row = await d1Row(l.endpoint.id);
    expect(row).toEqual({ status: "disabled", disabled_reason: "gone", version: before + 2, description: "changed" });
    expect(await snapshotOf(l.stub)).toEqual(row);
  });
});

describe("a deleted endpoint whose cancellations cannot reach the log", () => {
  it("keeps them, and its pending set, until the log takes them", async () => {
    const l = await ladder({ endpoint: { retry_policy: { schedule_s: [600] } } });
    const eventId = await l.post({ type: "a.b", data: {} });
    await l.runAlarm();
    expect((await l.deliveries(eventId))[0].status).toBe("pending_retry");

    const restore = failRecord();
    try {
      expect((await api("DELETE", `/v1/tenants/${l.tenant}/endpoints/${l.endpoint.id}`)).status).toBe(204);
      expect((await l.inspect()).outbox).toBeGreaterThan(0);
    } finally {
      restore();
    }
    expect(await l.runAlarm()).toBe(true);
    const [d] = await api("GET", `/v1/tenants/${l.tenant}/deliveries?event_id=${eventId}`).then((r) => r.body.data);
    expect(d.status).toBe("cancelled");
    expect((await l.inspect()).outbox).toBe(0);
    expect((await l.inspect()).pending).toEqual([]);
  });
});
