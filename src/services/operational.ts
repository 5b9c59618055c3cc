/**
 * Operational events: Edgehooks posts its own events (endpoint.*, delivery.*) to the endpoints of
 * the reserved tenant `_operator`, created on first use. Their data names ids, never payloads or
 * secrets. Events about `_operator`'s own endpoints are not emitted, so a failing operator
 * endpoint cannot feed itself.
 */
import type { ServiceCtx } from "./context";
import { ingestEvents } from "./events/ingest";
import { ensureTenant } from "./tenants";

export const OPERATOR_TENANT = "_operator";

export type OperationalType =
  | "endpoint.created"
  | "endpoint.updated"
  | "endpoint.deleted"
  | "endpoint.disabled"
  | "endpoint.enabled"
  | "delivery.failing"
  | "delivery.exhausted"
  | "delivery.recovered";

export interface OperationalEvent {
  type: OperationalType;
  tenantId: string;
  data: Record<string, unknown>;
}

export async function emitOperational(ctx: ServiceCtx, events: OperationalEvent[]) {
  const wanted = events.filter((e) => e.tenantId !== OPERATOR_TENANT);
  if (!wanted.length) return;
  await ensureTenant(ctx.db, OPERATOR_TENANT, "Edgehooks operator");
  await ingestEvents(
    ctx,
    OPERATOR_TENANT,
    wanted.map((e) => ({ input: { type: e.type, data: { tenant_id: e.tenantId, ...e.data } } })),
  );
}
