import { matchesFilter, type Filter } from "./filter";

// Which endpoints an event goes to: event-type patterns and channels. Used by fan-out for every
// event × endpoint pair, so these are plain string checks with no allocation on the hot path.

/**
 * A valid event type name or subscription pattern: dot-separated segments of [A-Za-z0-9_-],
 * optionally ending in `.*` (a prefix pattern), or a lone `*`. Shared with the zod schemas.
 */
export const EVENT_TYPE_PATTERN = /^(?:\*|[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)*(?:\.\*)?)$/;

/** Absent or empty list means "all types" (SPEC: `event_types` absent = all). */
export function matchesEventType(patterns: string[] | null | undefined, type: string): boolean {
  if (!patterns || patterns.length === 0) return true;
  for (const pattern of patterns) {
    if (pattern === "*" || pattern === type) return true;
    if (pattern.endsWith(".*")) {
      // Keep the dot in the prefix: `job.*` must not match `jobs.x`, nor `job` itself.
      const prefix = pattern.slice(0, -1);
      if (type.length > prefix.length && type.startsWith(prefix)) return true;
    }
  }
  return false;
}

/**
 * An endpoint without channels receives every event; one with channels receives only events
 * that share at least one of them (an event without channels shares none).
 */
export function matchesChannels(
  endpointChannels: string[] | null | undefined,
  eventChannels: string[] | null | undefined,
): boolean {
  if (!endpointChannels || endpointChannels.length === 0) return true;
  if (!eventChannels || eventChannels.length === 0) return false;
  return eventChannels.some((c) => endpointChannels.includes(c));
}

/** What fan-out needs of an endpoint to decide whether an event goes to it. */
export interface RoutableEndpoint {
  id: string;
  status: string;
  eventTypes: string[] | null;
  channels: string[] | null;
  filter: unknown;
}

/** What fan-out needs of an event; `data` is parsed once per event, only if a filter asks for it. */
export interface RoutableEvent {
  type: string;
  channels: string[] | null;
  data: () => unknown;
}

/** Whether the event goes to the endpoint: active, type pattern, channels, then its payload filter. */
export function endpointMatches(endpoint: RoutableEndpoint, event: RoutableEvent): boolean {
  if (endpoint.status !== "active") return false;
  if (!matchesEventType(endpoint.eventTypes, event.type)) return false;
  if (!matchesChannels(endpoint.channels, event.channels)) return false;
  if (endpoint.filter) return matchesFilter(endpoint.filter as Filter, { type: event.type, channels: event.channels ?? [], data: event.data() });
  return true;
}
