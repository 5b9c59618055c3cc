/**
 * Drives one endpoint's dispatcher by hand: a fake clock and a fixed jitter source are set on the
 * Durable Object before anything is enqueued, so its alarm lands in the (real) future and only
 * runs when a test calls runDurableObjectAlarm. No sleeping on the ladder.
 */
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { dispatcherFor } from "../../src/dispatcher/client";
import type { Clock } from "../../src/dispatcher/clock";
import type { EndpointDispatcher } from "../../src/dispatcher/endpoint-dispatcher";
import { serviceCtx } from "../../src/services/context";
import { fanOut } from "../../src/services/events/fanout";
import { api, createEndpoint, createTenant } from "./api";
import { received, receiverUrl, uniquePath } from "./receiver";

/** The frozen clock starts a day ahead of real time, so alarms it sets never fire by themselves. */
export const CLOCK_AHEAD_MS = 24 * 3600_000;

/** A clock a test drives: time moves only when told, and the jitter is fixed (0.5: none) unless set. */
export class TestClock implements Clock {
  constructor(
    public ms: number,
    public jitter = 0.5,
  ) {}
  now() {
    return this.ms;
  }
  random() {
    return this.jitter;
  }
}

export interface Ladder {
  tenant: string;
  endpoint: { id: string; secret: string };
  path: string;
  stub: DurableObjectStub<EndpointDispatcher>;
  now(): Promise<number>;
  advance(ms: number): Promise<number>;
  setRandom(value: number): Promise<void>;
  post(body: Record<string, unknown>): Promise<string>;
  runAlarm(): Promise<boolean>;
  alarmAt(): Promise<number | null>;
  inspect(): ReturnType<EndpointDispatcher["inspect"]>;
  received(): ReturnType<typeof received>;
  deliveries(eventId?: string): Promise<any[]>;
  delivery(id: string): Promise<any>;
}

export async function ladder(
  opts: { endpoint?: Record<string, unknown>; path?: string; tenant?: string } = {},
): Promise<Ladder> {
  const tenant = opts.tenant ?? (await createTenant());
  const path = opts.path ?? uniquePath("/status/500");
  const endpoint = await createEndpoint(tenant, { url: receiverUrl(path), ...(opts.endpoint ?? {}) });
  const stub = dispatcherFor(env, endpoint.id);
  // The test and the object share one isolate: the object reads the very clock the test moves.
  const clock = new TestClock(Date.now() + CLOCK_AHEAD_MS);
  await runInDurableObject(stub, (instance: EndpointDispatcher) => {
    instance.useClock(clock);
  });
  const self: Ladder = {
    tenant,
    endpoint,
    path,
    stub,
    now: () => runInDurableObject(stub, (i: EndpointDispatcher) => i.now()),
    advance: (ms) =>
      runInDurableObject(stub, (i: EndpointDispatcher) => {
        clock.ms += ms;
        return i.now();
      }),
    setRandom: (value) =>
      runInDurableObject(stub, (_i: EndpointDispatcher) => {
        clock.jitter = value;
      }),
    async post(body) {
      const res = await api("POST", `/v1/tenants/${tenant}/events`, { body });
      if (res.status !== 202) throw new Error(`ingest failed: ${res.status} ${JSON.stringify(res.body)}`);
      // Fan out now instead of waiting for the queue; the queued message later finds nothing new.
      await fanOut(serviceCtx(env), [{ tenantId: tenant, eventId: res.body.id, origin: "" }]);
      return res.body.id as string;
    },
    runAlarm: () => runDurableObjectAlarm(stub),
    alarmAt: () => runInDurableObject(stub, (_i: EndpointDispatcher, state) => state.storage.getAlarm()),
    inspect: () => stub.inspect(),
    received: () => received(path),
    async deliveries(eventId) {
      const q = eventId ? `?event_id=${eventId}` : "";
      const res = await api("GET", `/v1/tenants/${tenant}/deliveries${q}${q ? "&" : "?"}endpoint_id=${endpoint.id}`);
      return res.body.data;
    },
    async delivery(id) {
      return (await api("GET", `/v1/tenants/${tenant}/deliveries/${id}`)).body;
    },
  };
  return self;
}
