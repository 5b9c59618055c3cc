/**
 * The hosts this deployment answers on. Configuration names some (PUBLIC_URL, SELF_HOSTS); every
 * request adds the host it came in on, because on Cloudflare a request reaches this Worker only
 * through one of its own routes or domains. Kept per isolate and bounded, so a flood of odd Host
 * headers (possible only locally) cannot grow it.
 */
import type { Config } from "../config";

const MAX_LEARNED = 32;
const learned = new Set<string>();

export function noteRequestHost(requestUrl: string) {
  let host: string;
  try {
    const url = new URL(requestUrl);
    // Always with its port (the URL drops a default one): on an address or a loopback name the
    // port is what tells this service from another local program, and a loopback host without
    // one would make every local port "this deployment".
    host = url.hostname ? `${url.hostname}:${url.port || (url.protocol === "https:" ? "443" : "80")}` : "";
  } catch {
    return;
  }
  if (!host || learned.has(host) || learned.size >= MAX_LEARNED) return;
  learned.add(host);
}

/** Every host an endpoint may not target: configured and seen. */
export function selfHosts(config: Config): string[] {
  return [...config.selfHosts, ...learned];
}
