/** One of each resource, made through the API, for tests that walk every route of the document. */
import { api, createEndpoint, createTenant, eventually, uniqueTenantId } from "./api";
import { receiverUrl, uniquePath } from "./receiver";

export interface Fixture {
  tenant_id: string;
  endpoint_id: string;
  event_id: string;
  delivery_id: string;
  attempt_id: string;
  task_id: string;
  key_id: string;
  session_id: string;
  name: string;
}

export async function makeFixture(): Promise<Fixture> {
  const tenant_id = await createTenant();
  const endpoint = await createEndpoint(tenant_id, { url: receiverUrl(uniquePath()), event_types: ["fixture.*"] });
  const event = await api("POST", `/v1/tenants/${tenant_id}/events`, {
    body: { type: "fixture.created", data: { n: 1 } },
  });
  const deliveries = await eventually(
    () => api("GET", `/v1/tenants/${tenant_id}/events/${event.body.id}/deliveries`),
    (r) => r.body.data?.length === 1,
  );
  const attempts = await eventually(
    () => api("GET", `/v1/tenants/${tenant_id}/attempts`),
    (r) => r.body.data?.length >= 1,
  );
  const task = await api("POST", `/v1/tenants/${tenant_id}/endpoints/${endpoint.id}/recover`, {
    body: { since: "2026-01-01T00:00:00Z" },
  });
  const key = await api("POST", "/v1/api-keys", { body: { name: "fixture", scopes: ["read"], tenant_id } });
  const session = await api("POST", `/v1/tenants/${tenant_id}/portal-sessions`, { body: {} });
  const name = `fixture.${uniqueTenantId("t")
    .toLowerCase()
    .replace(/[^a-z0-9]/g, "")}`;
  const type = await api("POST", "/v1/event-types", { body: { name } });
  for (const [what, res, status] of [
    ["task", task, 202],
    ["key", key, 201],
    ["session", session, 201],
    ["event type", type, 201],
  ] as const) {
    if (res.status !== status) throw new Error(`fixture ${what}: ${res.status} ${JSON.stringify(res.body)}`);
  }
  return {
    tenant_id,
    endpoint_id: endpoint.id,
    event_id: event.body.id,
    delivery_id: deliveries.body.data[0].id,
    attempt_id: attempts.body.data[0].id,
    task_id: task.body.id,
    key_id: key.body.id,
    session_id: session.body.id,
    name,
  };
}

/** A body each operation with one accepts, so a test reaches the checks that come after validation. */
export function validBody(operationId: string): unknown {
  const bodies: Record<string, unknown> = {
    createTenant: { name: "Valid" },
    updateTenant: { name: "Renamed" },
    createApiKey: { name: "valid", scopes: ["read"] },
    createEndpoint: { url: receiverUrl(uniquePath()) },
    updateEndpoint: { description: "valid" },
    testEndpoint: {},
    testEndpointFilter: { data: {} },
    rotateEndpointSecret: {},
    testUrl: { url: receiverUrl(uniquePath()) },
    createEventType: { name: `valid.t${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}` },
    updateEventType: { description: "valid" },
    createEvent: { type: "valid.event", data: {} },
    createEventBatch: { events: [{ type: "valid.event", data: {} }] },
    recoverEndpoint: { since: "2026-01-01T00:00:00Z" },
    createReplay: { mode: "retry", since: new Date(Date.now() - 3600_000).toISOString(), dry_run: true },
    createPortalSession: {},
  };
  if (!(operationId in bodies))
    throw new Error(`no valid body known for ${operationId}: add one to test/helpers/fixtures.ts`);
  return bodies[operationId];
}
