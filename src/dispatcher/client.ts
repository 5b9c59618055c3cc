/**
 * How callers reach an endpoint's EndpointDispatcher: by RPC on the object named by the endpoint
 * id. The one place that derives the stub from the id; nothing outside src/dispatcher touches its
 * storage.
 */
import type { EndpointDispatcher } from "./endpoint-dispatcher";

export function dispatcherFor(env: Env, endpointId: string): DurableObjectStub<EndpointDispatcher> {
  return env.DISPATCHER.getByName(endpointId);
}

export type { EnqueueItem } from "./endpoint-dispatcher";
