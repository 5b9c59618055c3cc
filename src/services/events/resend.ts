/** Resend: a new delivery of an event to every endpoint that matches it now. */
import { and, eq } from "drizzle-orm";
import { newId } from "../../db/ids";
import { events } from "../../db/schema";
import { notFound } from "../../errors";
import { fanoutMessage } from "../../queue/messages";
import type { ServiceCtx } from "../context";

export async function resendEvent(ctx: ServiceCtx, tenantId: string, eventId: string) {
  const event = await ctx.db.select({ id: events.id }).from(events).where(and(eq(events.id, eventId), eq(events.tenantId, tenantId))).get();
  if (!event) throw notFound("event");
  // A fresh origin makes fresh deliveries; the fan-out is otherwise the same idempotent path.
  const origin = `resend:${newId("dlv")}`;
  await ctx.env.EVENTS_QUEUE.send(fanoutMessage(tenantId, [eventId], origin), { contentType: "json" });
  return { event_id: eventId, origin };
}
