/**
 * Operational events: Edgehooks posts its own events (endpoint.*, delivery.*) to the endpoints of
 * the reserved tenant `_operator`, created on first use. Their data names ids, never payloads or
 * secrets. Events about `_operator`'s own endpoints are not emitted, so a failing operator
 * endpoint cannot feed itself.
 *
 * The operator's copies live with the tenant they are about: in that tenant's operator log
 * (operatorLogName, src/tenant-log/client.ts), from which they are fanned out to the operator's
 * endpoints and where their deliveries and attempts are recorded. No single log receives every
 * tenant's operational traffic, and an endpoint route waits only on its own tenant's.
 *
 * Tenant alerts: the events of TENANT_ALERT_TYPES also go to the tenant they are about, as
 * `edgehooks.<type>` (a prefix producers cannot ingest), when one of its endpoints subscribes to
 * that prefix. The data is the same: that tenant's own ids. A delivery of an alert raises no
 * further alert, so a failing alert endpoint cannot feed itself either.
 */

import { and, inArray, like } from "drizzle-orm";
import { endpoints } from "../db/schema";
import { isReservedType, RESERVED_TYPE_PREFIX } from "../delivery/match";
import {
  EVENTS_PER_INGEST,
  emittable,
  OPERATOR_TENANT,
  type OperationalEvent,
  type OperationalType,
} from "../domain/operational";
import type { OperationalMessage } from "../domain/queue-messages";
import { ApiError } from "../errors";
import { chunk } from "../lib/chunk";
import { IDS_PER_IN_LIST } from "../lib/platform-limits";
import { operatorLogName } from "../tenant-log/client";
import type { ServiceCtx } from "./context";
import { ingestEvents } from "./events/ingest";
import { ensureTenant } from "./tenants";

/** What a tenant may subscribe to about itself, as `edgehooks.<type>`. */
const TENANT_ALERT_TYPES: readonly OperationalType[] = [
  "endpoint.disabled",
  "delivery.failing",
  "delivery.exhausted",
  "endpoint.secret_rotated",
];

const tenantAlertType = (type: OperationalType) => `${RESERVED_TYPE_PREFIX}${type}`;

/**
 * Stores the operator's copies now, each in the operator log of the tenant it is about (routes,
 * and the queue consumer for what the dispatchers queued with src/attempts/queue-operational.ts),
 * then the tenants' own alerts.
 */
export async function emitOperational(ctx: ServiceCtx, events: OperationalEvent[]) {
  const runs = emittable(events);
  if (!runs.length) return;
  await ensureTenant(ctx.db, OPERATOR_TENANT, "Edgehooks operator");
  const byTenant = new Map<string, OperationalEvent[]>();
  for (const e of runs.flat()) byTenant.set(e.tenantId, [...(byTenant.get(e.tenantId) ?? []), e]);
  await Promise.all(
    [...byTenant].map(async ([tenantId, about]) => {
      for (const run of chunk(about, EVENTS_PER_INGEST)) {
        await ingestEvents(
          ctx,
          OPERATOR_TENANT,
          run.map((e) => ({ input: { type: e.type, data: { tenant_id: e.tenantId, ...e.data } } })),
          operatorLogName(tenantId),
        );
      }
    }),
  );
  await emitTenantAlerts(ctx, events);
}

/** The operational events the dispatchers queued (src/attempts/queue-operational.ts), stored in one emit. */
export async function storeQueuedOperational(ctx: ServiceCtx, bodies: OperationalMessage[]) {
  await emitOperational(
    ctx,
    bodies.flatMap((b) =>
      b.events.map((e) => ({
        type: e.type as OperationalType,
        tenantId: e.tenant_id,
        data: e.data,
        eventType: e.event_type,
      })),
    ),
  );
}

/** Tenants with at least one endpoint subscribed to Edgehooks' alerts (an `edgehooks.` pattern). */
async function subscribedTenants(ctx: ServiceCtx, tenantIds: string[]): Promise<Set<string>> {
  const found = new Set<string>();
  // event_types is JSON text: an element starting with the prefix appears as `"edgehooks.`.
  for (const ids of chunk(tenantIds, IDS_PER_IN_LIST)) {
    const rows = await ctx.db
      .selectDistinct({ tenantId: endpoints.tenantId })
      .from(endpoints)
      .where(and(inArray(endpoints.tenantId, ids), like(endpoints.eventTypes, `%"${RESERVED_TYPE_PREFIX}%`)))
      .all();
    for (const r of rows) found.add(r.tenantId);
  }
  return found;
}

/** Each tenant's own alerts, to its own endpoints only: one ingest per tenant and run. */
async function emitTenantAlerts(ctx: ServiceCtx, events: OperationalEvent[]) {
  const alerts = events.filter(
    (e) =>
      e.tenantId !== OPERATOR_TENANT &&
      TENANT_ALERT_TYPES.includes(e.type) &&
      !(e.eventType !== undefined && isReservedType(e.eventType)),
  );
  if (!alerts.length) return;
  const byTenant = new Map<string, OperationalEvent[]>();
  for (const e of alerts) byTenant.set(e.tenantId, [...(byTenant.get(e.tenantId) ?? []), e]);
  const subscribed = await subscribedTenants(ctx, [...byTenant.keys()]);
  for (const [tenantId, own] of byTenant) {
    if (!subscribed.has(tenantId)) continue;
    for (const run of chunk(own, EVENTS_PER_INGEST)) {
      try {
        await ingestEvents(
          ctx,
          tenantId,
          run.map((e) => ({ input: { type: tenantAlertType(e.type), data: { tenant_id: tenantId, ...e.data } } })),
        );
      } catch (err) {
        // The tenant was deleted meanwhile: nobody is left to alert.
        if (err instanceof ApiError && err.code === "not_found") break;
        throw err;
      }
    }
  }
}
