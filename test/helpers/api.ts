/** Calls the Worker's HTTP API in-process (SELF), with the root key unless told otherwise. */
import { SELF } from "cloudflare:test";

export const ROOT_KEY = "ek_root_test_key_0123456789";

export interface ApiAnswer<T = any> {
  status: number;
  body: T;
  headers: Headers;
}

export async function api<T = any>(
  method: string,
  path: string,
  opts: { body?: unknown; key?: string | null; headers?: Record<string, string>; raw?: string } = {},
): Promise<ApiAnswer<T>> {
  const headers: Record<string, string> = { ...(opts.headers ?? {}) };
  const key = opts.key === undefined ? ROOT_KEY : opts.key;
  if (key !== null) headers.authorization = `Bearer ${key}`;
  let body: string | undefined;
  if (opts.raw !== undefined) body = opts.raw;
  else if (opts.body !== undefined) body = JSON.stringify(opts.body);
  if (body !== undefined && !Object.keys(headers).some((h) => h.toLowerCase() === "content-type"))
    headers["content-type"] = "application/json";
  const res = await SELF.fetch(`http://edgehooks.test${path}`, { method, headers, body });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    // not JSON: keep the text
  }
  return { status: res.status, body: parsed as T, headers: res.headers };
}

let n = 0;
export const uniqueTenantId = (prefix = "org") =>
  `${prefix}_${Date.now().toString(36)}${(n++).toString(36)}${Math.random().toString(36).slice(2, 6)}`;

/** A fresh tenant for one test. */
export async function createTenant(id = uniqueTenantId()) {
  const res = await api("POST", "/v1/tenants", { body: { id, name: `Tenant ${id}` } });
  if (res.status !== 201) throw new Error(`tenant create failed: ${res.status} ${JSON.stringify(res.body)}`);
  return id;
}

export async function createEndpoint(tenantId: string, body: Record<string, unknown>) {
  const res = await api("POST", `/v1/tenants/${tenantId}/endpoints`, { body });
  if (res.status !== 201) throw new Error(`endpoint create failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body as { id: string; secret: string; [k: string]: unknown };
}

/** Polls an API read until `done` holds (bounded): the pipeline runs asynchronously. */
export async function eventually<T>(read: () => Promise<T>, done: (v: T) => boolean, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await read();
    if (done(v)) return v;
    if (Date.now() > deadline)
      throw new Error(`condition not met in ${timeoutMs} ms; last value: ${JSON.stringify(v).slice(0, 500)}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
