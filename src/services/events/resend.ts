/** Resend: a new delivery of an event to every endpoint that matches it now. Rate-limited per tenant. */
import { newId } from "../../db/ids";
import { fanoutMessage } from "../../domain/queue-messages";
import { notFound } from "../../errors";
import { logForId } from "../../tenant-log/client";
import type { ServiceCtx } from "../context";
import { limitTenantAction } from "../tenant-action-limit";

export async function resendEvent(ctx: ServiceCtx, tenantId: string, eventId: string) {
  await limitTenantAction(ctx.env, tenantId, "resend");
  const event = await logForId(ctx.env, tenantId, eventId).getEvent(eventId);
  if (!event || event.tenantId !== tenantId) throw notFound("event");
  // A fresh origin makes fresh deliveries; the fan-out is otherwise the same idempotent path.
  const origin = `resend:${newId("dlv")}`;
  await ctx.env.EVENTS_QUEUE.send(fanoutMessage(tenantId, [eventId], origin), { contentType: "json" });
  return { event_id: eventId, origin };
}
