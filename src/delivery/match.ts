import { type EventFilterScope, type Filter, matchesFilter } from "./filter";

// Which endpoints an event goes to: event-type patterns and channels. Used by fan-out for every
// event × endpoint pair, so these are plain string checks with no allocation on the hot path.

/**
 * A valid event type name or subscription pattern: dot-separated segments of [A-Za-z0-9_-],
 * optionally ending in `.*` (a prefix pattern), or a lone `*`. Shared with the zod schemas.
 */
export const EVENT_TYPE_PATTERN = /^(?:\*|[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)*(?:\.\*)?)$/;

/**
 * Edgehooks' own alerts to a tenant (`edgehooks.endpoint.disabled`, ...) live under this prefix.
 * Producers may not ingest or test types under it, so no producer event can pass for an alert,
 * and only a pattern that names the prefix itself subscribes to them: `*` or no list (all the
 * producer's types) never start receiving alerts nobody asked for.
 */
export const RESERVED_TYPE_PREFIX = "edgehooks.";

export function isReservedType(type: string): boolean {
  return type.startsWith(RESERVED_TYPE_PREFIX);
}

/** Absent or empty list means "all types" (docs/contract.md "Endpoints": `event_types` absent = all), alerts excepted. */
export function matchesEventType(patterns: string[] | null | undefined, type: string): boolean {
  if (type.startsWith(RESERVED_TYPE_PREFIX)) return !!patterns && matchesPattern(patterns, type, true);
  if (!patterns || patterns.length === 0) return true;
  return matchesPattern(patterns, type, false);
}

function matchesPattern(patterns: string[], type: string, reserved: boolean): boolean {
  for (const pattern of patterns) {
    if (reserved && !pattern.startsWith(RESERVED_TYPE_PREFIX)) continue;
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

/** What fan-out needs of an event. */
interface RoutableEvent {
  type: string;
  channels: string[] | null;
}

/**
 * Whether the event goes to the endpoint: active, type pattern, channels, then its payload filter.
 * `scope` is shared by every endpoint of one event: its payload is parsed once (only if a filter
 * asks for it) and all its filters draw on one work budget.
 */
export function endpointMatches(endpoint: RoutableEndpoint, event: RoutableEvent, scope: EventFilterScope): boolean {
  if (endpoint.status !== "active") return false;
  if (!matchesEventType(endpoint.eventTypes, event.type)) return false;
  if (!matchesChannels(endpoint.channels, event.channels)) return false;
  if (endpoint.filter) return matchesFilter(endpoint.filter as Filter, () => scope.event, scope.budget);
  return true;
}
