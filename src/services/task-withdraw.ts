/** Cancelled tasks (src/services/tasks.ts, replays.ts) take back what dispatchers still hold of them. */
import { dispatcherFor } from "../dispatcher/client";
import type { ServiceCtx } from "./context";

/** Takes deliveries back from the dispatchers holding them (they are `cancelled` in the log): one call per endpoint. */
export async function withdrawDeliveries(ctx: ServiceCtx, deliveries: { id: string; endpointId: string }[]) {
  const byEndpoint = new Map<string, string[]>();
  for (const d of deliveries) byEndpoint.set(d.endpointId, [...(byEndpoint.get(d.endpointId) ?? []), d.id]);
  await Promise.all([...byEndpoint].map(([endpointId, ids]) => dispatcherFor(ctx.env, endpointId).cancelMany(ids)));
}
