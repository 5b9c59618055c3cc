/** Talks to the test receiver started in test/global-setup.ts. */
import { env } from "cloudflare:workers";

export interface Received {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: string;
  at: number;
}

export interface ScriptedAnswer {
  status?: number;
  headers?: Record<string, string>;
  body?: string;
  hang?: boolean;
}

const base = () => `http://127.0.0.1:${(env as unknown as { RECEIVER_PORT: string }).RECEIVER_PORT}`;

let counter = 0;
/** A fresh path so tests never read each other's deliveries. */
export function uniquePath(prefix = "/hook"): string {
  counter += 1;
  return `${prefix}/${Date.now().toString(36)}-${counter}-${Math.random().toString(36).slice(2, 8)}`;
}

export const receiverUrl = (path: string) => `${base()}${path}`;

export async function script(path: string, responses: ScriptedAnswer[]) {
  const res = await fetch(`${base()}/_control/script`, { method: "POST", body: JSON.stringify({ path, responses }) });
  if (res.status !== 204) throw new Error(`receiver refused script: ${res.status}`);
}

export async function received(path: string): Promise<Received[]> {
  const res = await fetch(`${base()}/_control/received?path=${encodeURIComponent(path)}`);
  return (await res.json()) as Received[];
}

/** How many requests reached `path`, and how many distinct webhook-ids (events) among them. */
export async function receivedCount(path: string): Promise<{ requests: number; ids: number }> {
  const res = await fetch(`${base()}/_control/count?path=${encodeURIComponent(path)}`);
  return (await res.json()) as { requests: number; ids: number };
}

/** Polls until `count` distinct events reached `path` (bounded); answers the last count. */
export async function waitForDistinct(
  path: string,
  count: number,
  timeoutMs = 10_000,
): Promise<{ requests: number; ids: number }> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const got = await receivedCount(path);
    if (got.ids >= count) return got;
    if (Date.now() > deadline) throw new Error(`receiver got ${got.ids} of ${count} distinct events at ${path}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Polls until `count` requests reached `path` (bounded; the pipeline is asynchronous). */
export async function waitForReceived(path: string, count = 1, timeoutMs = 10_000): Promise<Received[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const got = await received(path);
    if (got.length >= count) return got;
    if (Date.now() > deadline) throw new Error(`receiver got ${got.length} of ${count} requests at ${path}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Requests waiting now at a `/held/...` path, and the most that ever waited there at once. */
export async function heldAt(path: string): Promise<{ held: number; max: number }> {
  const res = await fetch(`${base()}/_control/held?path=${encodeURIComponent(path)}`);
  return (await res.json()) as { held: number; max: number };
}

/** Answers every request waiting at a `/held/...` path (200). */
export async function release(path: string) {
  const res = await fetch(`${base()}/_control/release`, { method: "POST", body: JSON.stringify({ path }) });
  if (res.status !== 204) throw new Error(`receiver refused release: ${res.status}`);
}
