/**
 * "Would an event like this reach the endpoint?": the endpoint's event types, channels and payload
 * filter against a given event; sends nothing. Rate-limited per tenant like the other on-demand
 * actions (src/services/tenant-action-limit.ts): a read-only key may call it, and each call
 * evaluates up to one filter's budget over a body of up to 1 MiB.
 */
import { type Filter, matchesFilter, validateFilter } from "../delivery/filter";
import { matchesChannels, matchesEventType } from "../delivery/match";
import { ApiError } from "../errors";
import type { ServiceCtx } from "./context";
import { getEndpoint } from "./endpoints";
import { TEST_EVENT_TYPE } from "./endpoints-test";
import { limitTenantAction } from "./tenant-action-limit";

interface FilterTestInput {
  data: unknown;
  type?: string;
  channels?: string[];
}

export async function testEndpointFilter(
  ctx: ServiceCtx,
  tenantId: string,
  endpointId: string,
  input: FilterTestInput,
) {
  await limitTenantAction(ctx.env, tenantId, "test-filter");
  const endpoint = await getEndpoint(ctx, tenantId, endpointId);
  // A filter stored before a check it now fails (an RE2-incompatible or oversized pattern, too
  // deep) cannot be evaluated as written: say so.
  const stored = endpoint.filter ? validateFilter(endpoint.filter) : null;
  if (stored && !stored.ok) {
    throw new ApiError(
      "bad_request",
      "the endpoint's filter cannot be evaluated; update it",
      stored.issues.map((i) => ({ path: i.path ? `filter.${i.path}` : "filter", message: i.message })),
    );
  }
  const type = input.type ?? TEST_EVENT_TYPE;
  const channels = input.channels ?? [];
  const filter_matches = matchesFilter(endpoint.filter as Filter | null, { type, channels, data: input.data });
  const event_type_matches = matchesEventType(endpoint.eventTypes, type);
  const channels_match = matchesChannels(endpoint.channels, channels);
  return {
    matches: filter_matches && event_type_matches && channels_match,
    filter_matches,
    event_type_matches,
    channels_match,
  };
}
